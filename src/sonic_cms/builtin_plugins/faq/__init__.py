"""The FAQ plugin: its own table (from its own revision set) and a CRUD API under
/api/plugins/faq/, whose public reads go through the cache."""

from __future__ import annotations

from pathlib import Path

from sonic_cms.builtin_plugins.faq.routes import router
from sonic_cms.plugins.spec import PluginSpec

plugin = PluginSpec(
    name="faq",
    display_name="FAQ",
    version="1.0.0",
    author="sonic-cms",
    category="content",
    description="Frequently asked questions with a public, cached API",
    permissions=(("faq.manage", "Create, edit and delete FAQ entries"),),
    migrations=Path(__file__).parent / "migrations",
    tables=("faqs",),
    router=router,
)
