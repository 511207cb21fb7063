"""Make the students' copies of the notebooks: solutions out, outputs cleared.

    python -m tools.student [--out student] [NOTEBOOK ...]      (make student)

Follows nbgrader's convention, so a teacher can also use nbgrader itself:
in a code cell, the lines from `### BEGIN SOLUTION` to `### END SOLUTION`
become `# YOUR CODE HERE` and `raise NotImplementedError()` (indented as the
marker was); `### BEGIN HIDDEN TESTS` to `### END HIDDEN TESTS` is removed.
The exercise checks then answer "Not answered yet" until the student writes
the code.
"""

import argparse
import re
import sys
from pathlib import Path

import nbformat

from mmkit.paths import REPO_ROOT
from tools.notebooks import course_notebooks

BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"


def strip_solutions(source: str) -> str:
    """Replace each solution block by a stub and drop hidden tests; raise on unbalanced markers."""
    out: list[str] = []
    inside = None
    for number, line in enumerate(source.splitlines(), start=1):
        if BEGIN in line or BEGIN_HIDDEN in line:
            if inside:
                raise ValueError(f"line {number}: {line.strip()!r} inside an open block")
            inside = END if BEGIN in line else END_HIDDEN
            if inside == END:
                indent = re.match(r"\s*", line).group(0)
                out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
        elif END in line or END_HIDDEN in line:
            if inside is None or inside not in line:
                raise ValueError(f"line {number}: {line.strip()!r} without its BEGIN")
            inside = None
        elif inside is None:
            out.append(line)
    if inside:
        raise ValueError(f"a block is not closed: missing '### {inside}'")
    return "\n".join(out)


def student_copy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy with solutions stubbed out and every output and execution count cleared."""
    copy = nbformat.from_dict(nb)
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs = []
            cell.execution_count = None
    return copy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.student", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "student")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in args.notebooks or course_notebooks():
        nb = nbformat.read(path, as_version=4)
        nbformat.write(student_copy(nb), args.out / path.name)
        print(f"wrote {args.out / path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
