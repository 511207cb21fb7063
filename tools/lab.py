"""Start JupyterLab on the learner's workspace, the way `make lab` does.

    python -m tools.lab [--solved] [--port N] [--token T] [--workspace DIR] [--no-browser]

First brings the workspace up to date (`tools.workspace.set_up`: copies made
once, never overwritten, new notebooks added, broken files reported and left
alone), then serves it. `--solved` (`make lab SOLVED=1`) serves the solved
notebooks in `notebooks/` instead, for teachers.

nbgrader's JupyterLab menus and server pages (assignment list, formgrader) are
for teachers: the learner's lab switches them off (`tools/learner_config/`, added
to JUPYTER_CONFIG_PATH); the teachers' lab keeps them.
"""

import argparse
import os
import sys
from pathlib import Path

from mmkit.paths import notebooks_dir
from tools.workspace import WORKSPACE, set_up

#: Jupyter configuration of the learner's lab: nbgrader's extensions off.
LEARNER_CONFIG = Path(__file__).with_name("learner_config")


def learner_environment(environ: dict[str, str]) -> dict[str, str]:
    """`environ` with the learner's Jupyter configuration first on JUPYTER_CONFIG_PATH."""
    paths = [str(LEARNER_CONFIG), *filter(None, environ.get("JUPYTER_CONFIG_PATH", "")
                                          .split(os.pathsep))]
    return {**environ, "JUPYTER_CONFIG_PATH": os.pathsep.join(paths)}


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
    parser = argparse.ArgumentParser(prog="python -m tools.lab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--token", default=None, help="default: JupyterLab makes one")
    parser.add_argument("--solved", action="store_true",
                        help="open the solved notebooks in notebooks/ (for teachers)")
    parser.add_argument("--workspace", type=Path, default=WORKSPACE)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    if args.solved:
        root = notebooks_dir()
        print(f"Opening the SOLVED notebooks in {root} (every answer shown).")
    else:
        root = args.workspace
        for message in set_up(root):
            print(message)
        print(f"Opening your workspace {root}; the solved notebooks are in {notebooks_dir()} "
              "(make lab SOLVED=1).", flush=True)
    environ = dict(os.environ) if args.solved else learner_environment(dict(os.environ))
    command = lab_command(root, args.port, args.token, not args.no_browser)
    os.execve(command[0], command, environ)


if __name__ == "__main__":
    main()
