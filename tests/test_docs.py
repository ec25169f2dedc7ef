"""Every setting is documented: a new setting without a README row fails here."""

import re
from pathlib import Path

import pytest

from sonic_cms.config import Settings
from sonic_cms.plugins.hooks import HOOKS
from sonic_cms.plugins.hookspecs import SPECS, Hook

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_in_the_configuration_table(field: str):
    variable = f"SONIC_{field.upper()}"
    assert re.search(rf"^\| `{variable}` \|", README, re.M), f"{variable} missing from README"


PLUGINS_DOC = (Path(__file__).parent.parent / "docs" / "plugins.md").read_text()


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_every_hook_spec_is_in_the_hook_reference(spec: Hook):
    """docs/plugins.md's row of each hook says what its spec says: phases, payload, who fires."""
    row = re.search(rf"^\| `{re.escape(spec.name)}` \|.*\|$", PLUGINS_DOC, re.M)
    assert row, f"{spec.name} missing"
    cells = [cell.strip() for cell in row.group(0).strip("|").split("|")]
    assert tuple(p.strip() for p in cells[1].split(",")) == spec.phases, spec.name
    assert cells[2] == spec.payload, spec.name
    assert cells[3] == spec.fired_by == HOOKS[spec.name], spec.name


def _cli_commands() -> set[str]:
    """Every command `sonic` runs, as ``sonic db time-travel info``, from the click tree."""
    import typer

    from sonic_cms.cli.main import app

    def walk(command: object, path: str) -> set[str]:
        children = getattr(command, "commands", None)
        if not children:
            return {path}
        return set().union(*(walk(sub, f"{path} {name}") for name, sub in children.items()))

    return walk(typer.main.get_command(app), "sonic")


def _readme_cli_rows() -> list[str]:
    """The first cell of each row of the README's CLI reference, as ``sonic db migrate``."""
    section = README.split("## CLI reference", 1)[1].split("\n## ", 1)[0]
    commands = []
    for row in re.findall(r"^\| `(sonic [^`]*)`", section, re.M):
        words = []
        for word in row.split()[1:]:
            if not re.fullmatch(r"[a-z][a-z-]*", word):
                break
            words.append(word)
        commands.append(" ".join(["sonic", *words]))
    return commands


def test_the_readme_cli_reference_lists_exactly_the_commands_sonic_has():
    listed = _readme_cli_rows()
    assert set(listed) == _cli_commands()


def test_no_cli_row_strays_outside_the_cli_reference():
    """Rows pasted into other sections render as stray lines (issue 14)."""
    outside = README.replace(README.split("## CLI reference", 1)[1].split("\n## ", 1)[0], "")
    assert not re.findall(r"^\| `sonic ", outside, re.M)
