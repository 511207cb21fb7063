"""The learner's workspace: their own copies of the notebooks, which `make lab` opens.

    python -m tools.workspace set-up            create or update workspace/ (make lab does it)
    python -m tools.workspace restore NOTEBOOK  a fresh copy of one notebook (make restore)

`workspace/` (git-ignored) holds a learner's copy of each course notebook
(`tools.student.student_copy`: solutions stubbed, teaching outputs kept), made
the first time it is needed and never overwritten afterwards, so the learner's
work survives `git pull` and every later `make lab`; a notebook new to the
course is added when it appears. A copy that is not a readable notebook (a
learner's broken file) is left as it is and reported. `restore` replaces one
copy with a fresh one and moves the old one to `workspace/backups/`, dated.
"""

import argparse
import sys
from datetime import datetime
from pathlib import Path

import nbformat

from mmkit.paths import REPO_ROOT
from tools.notebooks import course_notebooks
from tools.student import student_copy

WORKSPACE = REPO_ROOT / "workspace"
BACKUPS = "backups"
README = """# Your workspace

These notebooks are **your copies**: edit them, run them, write your answers in
the exercise cells. `make lab` opens this folder and never overwrites a notebook
here, so your work survives updates of the kit (`git pull`) and every later
`make lab`; a notebook new to the course is added when it appears.

- Exercise solutions are replaced by `raise NotImplementedError()`: write your code
  there, then run the check cell below it.
- The outputs you see before running anything (figures, numbers) are those of the
  solved notebook; run the cells to make your own.
- The **solved notebooks**, with every answer, are in the kit's `notebooks/` folder;
  `make lab SOLVED=1` opens them instead of this workspace.
- To start one notebook over: `make restore NOTEBOOK=01` (its number). Your old copy
  is kept, dated, in `backups/`.
"""


def banner(path: Path) -> str:
    """The first Markdown cell of a copy of `path`: whose it is, where the solved one is."""
    number = path.name.split("_")[0]
    return (f"> **Your copy** of `{path.name}` in `workspace/`: `make lab` never overwrites it. "
            "Solutions are replaced by `raise NotImplementedError()`; the outputs shown are "
            "the solved notebook's until you run the cells. The solved version is "
            f"`notebooks/{path.name}` (`make lab SOLVED=1`); to start over: "
            f"`make restore NOTEBOOK={number}`.")


def write_fresh(source: Path, target: Path) -> None:
    """Write the learner's copy of the course notebook `source` to `target`."""
    nb = nbformat.read(source, as_version=4)
    nbformat.write(student_copy(nb, source.name, banner(source)), target)


def unreadable(path: Path) -> str | None:
    """Why `path` is not a notebook JupyterLab can open (not JSON, not nbformat), or None."""
    try:
        nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises several types for a broken file
        return f"{type(error).__name__}: {error}".splitlines()[0]
    return None


def set_up(workspace: Path = WORKSPACE, sources: list[Path] | None = None) -> list[str]:
    """Create the workspace and add the copies it lacks; never touch an existing one.

    Returns what a learner should read: copies added, and copies that are not
    readable notebooks (left untouched), each naming the file.
    """
    workspace = Path(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    readme = workspace / "README.md"
    if not readme.exists():
        readme.write_text(README)
    messages = []
    for source in sources if sources is not None else course_notebooks():
        target = workspace / source.name
        if not target.exists():
            write_fresh(source, target)
            messages.append(f"added your copy {target}")
        elif problem := unreadable(target):
            number = source.name.split("_")[0]
            messages.append(f"{target} is not a readable notebook ({problem}): left as it is. "
                            f"To start it over: make restore NOTEBOOK={number} "
                            f"(your file is kept in {workspace / BACKUPS}).")
    return messages


def find_source(which: str, sources: list[Path]) -> Path:
    """The course notebook `which` names: its number ("01", "1"), its stem or its file name."""
    name = Path(which).name
    for source in sources:
        number = source.name.split("_")[0]
        if name in (source.name, source.stem) or (name.isdigit() and int(name) == int(number)):
            return source
    choices = ", ".join(source.name.split("_")[0] for source in sources)
    raise ValueError(f"no course notebook {which!r}; expected one of: {choices}")


def restore(which: str, workspace: Path = WORKSPACE, sources: list[Path] | None = None,
            now: datetime | None = None) -> tuple[Path, Path | None]:
    """Replace the learner's copy of notebook `which` with a fresh one.

    The old copy, if any, moves to `workspace/backups/<stem>-<date>.ipynb` (outside
    the course list). Returns (the fresh copy, the backup or None).
    """
    workspace = Path(workspace)
    source = find_source(which, sources if sources is not None else course_notebooks())
    target = workspace / source.name
    backup = None
    if target.exists():
        stamp = (now or datetime.now()).strftime("%Y-%m-%d-%H%M%S")
        backup = workspace / BACKUPS / f"{source.stem}-{stamp}.ipynb"
        k = 1
        while backup.exists():  # two restores within a second
            k += 1
            backup = backup.with_name(f"{source.stem}-{stamp}-{k}.ipynb")
        backup.parent.mkdir(parents=True, exist_ok=True)
        target.rename(backup)
    workspace.mkdir(parents=True, exist_ok=True)
    write_fresh(source, target)
    return target, backup


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.workspace", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["set-up", "restore"])
    parser.add_argument("notebook", nargs="?", help="for restore: its number, e.g. 01")
    parser.add_argument("--workspace", type=Path, default=WORKSPACE)
    args = parser.parse_args(argv)
    if args.command == "set-up":
        for message in set_up(args.workspace):
            print(message)
        return 0
    if not args.notebook:
        print("name the notebook to restore, e.g. make restore NOTEBOOK=01")
        return 2
    try:
        target, backup = restore(args.notebook, args.workspace)
    except ValueError as error:
        print(error)
        return 2
    print(f"restored {target}" + (f"; your old copy is {backup}" if backup else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
