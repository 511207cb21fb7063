"""Start JupyterLab on the notebooks, the way `make lab` does.

    python -m tools.lab [--port N] [--token T] [--root DIR] [--no-browser]
"""

import argparse
import os
import sys
from pathlib import Path

from mmkit.paths import notebooks_dir


def lab_command(root: Path, port: int = 8888, token: str | None = None,
                open_browser: bool = True) -> list[str]:
    """The command line that serves `root` with JupyterLab on 127.0.0.1:`port`."""
    command = [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}",
               f"--ServerApp.root_dir={root}"]
    if token is not None:
        command.append(f"--IdentityProvider.token={token}")
    if not open_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and classroom VMs often run as root
    return command


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.lab", description=__doc__)
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--token", default=None, help="default: JupyterLab makes one")
    parser.add_argument("--root", type=Path, default=notebooks_dir())
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    command = lab_command(args.root, args.port, args.token, not args.no_browser)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
