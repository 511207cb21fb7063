"""Command line for the benchmarks: `python -m benchmarks notebooks [NOTEBOOK ...]`."""

import argparse
import sys
from pathlib import Path

from benchmarks import notebooks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("notebooks", help="wall time and peak memory of each notebook")
    run.add_argument("paths", nargs="*", type=Path, help="default: every course notebook")
    run.add_argument("--out", type=Path, default=notebooks.RESULTS)
    args = parser.parse_args(argv)
    notebooks.main(args.paths, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
