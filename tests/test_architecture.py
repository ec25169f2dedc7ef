"""The layers of docs/architecture.md hold: import-linter's contracts pass, and no folder of the
package grows past 20 modules (a stranger finds a behaviour in two hops: domain, then module)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "sonic_cms"
MAX_MODULES = 20


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"],
        cwd=PACKAGE.parents[1],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 kept, 0 broken" in result.stdout


def test_no_folder_holds_more_than_twenty_modules():
    crowded = {
        str(folder.relative_to(PACKAGE)): count
        for folder in [PACKAGE, *PACKAGE.rglob("*")]
        if folder.is_dir()
        and "static" not in folder.parts
        and (count := len(list(folder.glob("*.py")))) > MAX_MODULES
    }
    assert crowded == {}
