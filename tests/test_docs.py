"""Every setting is documented: a new setting without a README row fails here."""

import re
from pathlib import Path

import pytest

from sonic_cms.config import Settings
from sonic_cms.plugins.hooks import HOOKS

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_in_the_configuration_table(field: str):
    variable = f"SONIC_{field.upper()}"
    assert re.search(rf"^\| `{variable}` \|", README, re.M), f"{variable} missing from README"


PLUGINS_DOC = (Path(__file__).parent.parent / "docs" / "plugins.md").read_text()


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_every_hook_is_in_the_hook_reference(hook: str):
    row = re.search(rf"^\| `{re.escape(hook)}` \|.*\|$", PLUGINS_DOC, re.M)
    assert row, f"{hook} missing"
    fired_by = row.group(0).rstrip("|").rsplit("|", 1)[-1].strip()
    assert fired_by == HOOKS[hook], f"{hook}: the docs say {fired_by!r}, HOOKS {HOOKS[hook]!r}"
