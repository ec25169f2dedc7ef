"""``make bench``: every benchmark in bench/, one after the other, each printing its figures.

Benchmarks are modules named in BENCHMARKS that exist in this checkout; each runs in its own
process with its defaults (SQLite). Pass a module name to run only that one:
``python -m bench.run_all content_load``.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

BENCHMARKS = (
    "content_load",
    "content_service_time",
    "content_write_time",
    "read_path",
    "mixed_load",
    "side_by_side",
)


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks; the exit status is the first failure's, else 0."""
    wanted = (argv if argv is not None else sys.argv[1:]) or list(BENCHMARKS)
    status = 0
    for name in wanted:
        module = f"bench.{name}"
        if importlib.util.find_spec(module) is None:
            print(f"== {module}: not in this checkout, skipped", flush=True)
            continue
        print(f"== {module}", flush=True)
        code = subprocess.call([sys.executable, "-m", module])
        status = status or code
    return status


if __name__ == "__main__":
    sys.exit(main())
