"""Magic link authentication: passwordless sign-in with a single-use link mailed to the
account's address.

SonicJS's ``magic-link-auth`` plugin rebuilt: its routes (``/auth/magic-link/request`` and
``/verify``), its ``magic_links`` table (from this plugin's own revision) and its settings; the
token is stored as a keyed digest, and unknown or inactive addresses get the answers real ones
get. SonicJS's dependency on its ``email`` plugin is sonic-cms's mailer (``SONIC_MAIL_*``).
"""

from __future__ import annotations

from pathlib import Path

from sonic_cms.builtin_plugins.magic_link_auth.routes import router
from sonic_cms.builtin_plugins.magic_link_auth.service import MagicLinkSettings
from sonic_cms.plugins.spec import PluginSpec

plugin = PluginSpec(
    name="magic-link-auth",
    display_name="Magic Link Authentication",
    version="1.0.0",
    author="sonic-cms",
    category="security",
    description="Passwordless authentication via email magic links",
    settings_model=MagicLinkSettings,
    migrations=Path(__file__).parent / "migrations",
    tables=("magic_links",),
    router=router,
    route_prefix="/auth/magic-link",
)
