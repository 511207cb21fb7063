"""Execute, refresh and statically check the course notebooks.

    python -m tools.notebooks refresh [NOTEBOOK ...]   re-execute in place (make refresh)
    python -m tools.notebooks run NOTEBOOK             execute without saving (benchmarks)
    python -m tools.notebooks check [NOTEBOOK ...]     the static checks, as the tests run them
    python -m tools.notebooks stamp [NOTEBOOK ...]     nbgrader metadata from the markers, no run

`make refresh` and `make test` export the same environment (see the Makefile),
so refreshed outputs are the ones the tests compare against.

Exercises carry nbgrader's cell metadata, derived from the code alone (see
`nbgrader_metadata`): `refresh` and `stamp` write it, `check` refuses a
notebook whose metadata disagrees with its markers.
"""

import argparse
import ast
import re
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from mmkit.offline import MESSAGE as OFFLINE_MESSAGE
from mmkit.paths import notebooks_dir

MAX_BYTES = 1_500_000
#: Where the test split may first be read: a Markdown heading that starts "Final evaluation".
FINAL_EVALUATION = re.compile(r"^#+\s*(\d+\.\s*)?Final evaluation", re.IGNORECASE | re.MULTILINE)
#: How code reads the test split: a name ending in `_test` (X_test, data.y_test) or "test".
TEST_SPLIT = re.compile(r"\b\w*_test\b|([\"'])test\1")
#: The exercises' private answers: a notebook that imports them gives the answers away.
PRIVATE_REFERENCE = re.compile(r"\b_reference\b")
SETUP_CALL = re.compile(r"\bnb_setup\(")
CELL_TIMEOUT_S = 600
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: nbgrader's markers (matched as substrings, as nbgrader does) and its metadata schema.
SOLUTION = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_TESTS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
NBGRADER_SCHEMA = 3


def course_notebooks() -> list[Path]:
    """The numbered notebooks, in course order."""
    return sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def start_kernel(client: NotebookClient) -> None:
    """Start `client`'s kernel and wait until it answers (what `execute` does first)."""
    client.km = client.create_kernel_manager()
    client.start_new_kernel()
    client.start_new_kernel_client()


def execute(path: Path, timeout: int = CELL_TIMEOUT_S, allow_errors: bool = False,
            start: Callable[[NotebookClient], None] = start_kernel) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh kernel of this environment; return it run.

    Cells run with the notebook's folder as working directory. No timing
    metadata and no widget state (random model ids) are kept, so a re-run changes
    nothing but outputs that really changed; a stored widget shows again once
    its cell is run. `allow_errors`: run on past a cell that raises (its error
    is stored). `start`: how the kernel is started (tests serialise it across
    workers).
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}},
                            record_timing=False, allow_errors=allow_errors)
    start(client)
    # nbclient imitates a browser's Output widget (it sends the captured outputs back to
    # the kernel on the shell channel), which now and then loses the cell's execute reply:
    # the run then waits out the whole timeout (nbclient issue #312). Without the
    # imitation, what a widget draws arrives as ordinary outputs of its cell, and is
    # dropped below: a stored widget cell keeps only the widget.
    client.widget_registry = {}
    client.execute()
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        if "outputs" in cell:
            cell.outputs = coalesce_streams(cell.outputs)
            if any(WIDGET_VIEW in output.get("data", {}) for output in cell.outputs):
                cell.outputs = [o for o in cell.outputs if WIDGET_VIEW in o.get("data", {})]
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view:  # a random id of a widget not stored: make it stable, so diffs stay quiet
                view["model_id"] = f"{index:032x}"
    nb.metadata.pop("widgets", None)
    return nb


def coalesce_streams(outputs: list) -> list:
    """Consecutive stdout (or stderr) outputs of a cell merged into one.

    How a kernel splits a cell's printing into messages depends on timing (a busy
    machine splits more), so stored notebooks would change with the load;
    merged, they change only when the text does (nbval merges them the same way).
    """
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")):
            previous["text"] = "".join(previous["text"]) + "".join(output["text"])
        else:
            merged.append(output)
    return merged


def refresh(path: Path) -> None:
    """Re-execute a notebook and store its new outputs (and its nbgrader metadata) in place."""
    nb = execute(path)
    stamp(nb, Path(path).name)
    nbformat.validate(nb)
    nbformat.write(nb, path)


# ---- nbgrader: exercise cells and their metadata ---------------------------------

def marker_problem(source: str, markers: tuple[str, str] = SOLUTION) -> str | None:
    """What is wrong with the (BEGIN, END) `markers` of a cell's source, or None.

    nbgrader refuses a nested or unclosed block but silently passes over an END
    without its BEGIN; all three are refused here.
    """
    begin, end = markers
    open_line = None
    for number, line in enumerate(source.splitlines(), start=1):
        if begin in line:
            if open_line:
                return f"line {number}: {line.strip()!r} inside an open block (line {open_line})"
            open_line = number
        elif end in line:
            if open_line is None:
                return f"line {number}: {line.strip()!r} without its BEGIN"
            open_line = None
    return f"a block is not closed: missing '### {end}'" if open_line else None


def is_solution_cell(cell: nbformat.NotebookNode) -> bool:
    """A code cell holding a solution region (markers in Markdown prose do not count)."""
    return cell.cell_type == "code" and SOLUTION[0] in cell.source


def exercise_name(source: str) -> str | None:
    """The name a solution cell answers with: the function (or class) around the first
    `BEGIN SOLUTION`, else the first name assigned inside the region; None if neither."""
    lines = source.splitlines()
    begin = next(n for n, line in enumerate(lines, start=1) if SOLUTION[0] in line)
    end = next((n for n, line in enumerate(lines, start=1) if n > begin and SOLUTION[1] in line),
               len(lines))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and node.lineno <= begin <= node.end_lineno):
            return node.name
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and begin < node.lineno < end:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if names:
                return names[0]
    return None


def check_call(source: str) -> str | None:
    """The `check_...` function a cell calls as a statement of its own, or None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name)
                and node.value.func.id.startswith("check_")):
            return node.value.func.id
    return None


def nbgrader_metadata(nb: nbformat.NotebookNode, name: str = "notebook") -> list[dict | None]:
    """The nbgrader metadata each cell must carry (None: none), from its code alone.

    A code cell with `### BEGIN SOLUTION` is a solution cell, its grade_id the
    function it defines (or the answer it assigns); the next code cell, if it
    calls `check_...(...)`, is an autograded test cell worth its stored points
    (1 if none), its grade_id the check's name. grade_ids are made unique with
    a suffix (`_2`, ...). Raises ValueError naming the cell if an exercise's
    name cannot be told.
    """
    expected: list[dict | None] = [None] * len(nb.cells)
    used: set[str] = set()

    def unique(name: str) -> str:
        grade_id = re.sub(r"[^A-Za-z0-9_-]", "_", name)  # nbgrader's pattern for a grade_id
        candidate, k = grade_id, 1
        while candidate in used:
            k += 1
            candidate = f"{grade_id}_{k}"
        used.add(candidate)
        return candidate

    after_solution = False
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if is_solution_cell(cell):
            answer = exercise_name(cell.source)
            if answer is None:
                raise ValueError(f"{name}, cell {index}: cannot tell which function or answer "
                                 "the solution belongs to: put the solution region inside a "
                                 "`def`, or assign the answer to a name inside it")
            expected[index] = {"grade": False, "solution": True, "locked": False,
                               "grade_id": unique(answer), "schema_version": NBGRADER_SCHEMA}
            after_solution = True
            continue
        check = check_call(cell.source) if after_solution else None
        if check:
            points = cell.metadata.get("nbgrader", {}).get("points", 1)
            expected[index] = {"grade": True, "solution": False, "locked": True,
                               "points": points, "grade_id": unique(check),
                               "schema_version": NBGRADER_SCHEMA}
        after_solution = False
    return expected


def stamp(nb: nbformat.NotebookNode, name: str = "notebook") -> bool:
    """Give every cell the nbgrader metadata `nbgrader_metadata` prescribes (and drop it
    where none belongs), without touching sources or outputs. True if anything changed."""
    changed = False
    for cell, wanted in zip(nb.cells, nbgrader_metadata(nb, name), strict=True):
        if cell.metadata.get("nbgrader") == wanted:
            continue
        changed = True
        if wanted is None:
            del cell.metadata["nbgrader"]
        else:
            cell.metadata["nbgrader"] = wanted
    return changed


def nbgrader_problems(nb: nbformat.NotebookNode, name: str = "notebook") -> list[str]:
    """Exercise cells that nbgrader would refuse or grade wrongly, as stored."""
    found = []
    for index, cell in enumerate(nb.cells):
        markers = [m for m in (SOLUTION, HIDDEN_TESTS) if m[0] in cell.source]
        if cell.cell_type != "code" and markers:
            found.append(f"cell {index} (Markdown) contains {markers[0][0]!r}: nbgrader reads "
                         "the markers in Markdown cells too, and refuses the notebook; "
                         "write the marker differently in prose")
        elif cell.cell_type == "code":
            found += [f"cell {index}: {problem}" for problem in
                      (marker_problem(cell.source, m) for m in (SOLUTION, HIDDEN_TESTS))
                      if problem]
    try:
        expected = nbgrader_metadata(nb, name)
    except ValueError as error:
        return [*found, str(error)]
    code = [i for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and cell.source.strip()]
    for index, following in zip(code, [*code[1:], None], strict=True):
        if is_solution_cell(nb.cells[index]) and (
                following is None or not (expected[following] or {}).get("grade")):
            found.append(f"cell {index} holds a solution, but the next code cell does not call "
                         "a check (`check_...(answer)`)")
    for index, (cell, wanted) in enumerate(zip(nb.cells, expected, strict=True)):
        stored = cell.metadata.get("nbgrader")
        if stored != wanted:
            found.append(f"cell {index}: nbgrader metadata {stored}, expected {wanted}: run "
                         f"`python -m tools.notebooks stamp notebooks/{name}`")
    return found


def problems(path: Path) -> list[str]:
    """What is wrong with a notebook as stored, before any kernel runs it.

    Valid nbformat; kernelspec `python3`; under 1.5 MB; the first code cell
    calls `nb_setup(`; every code cell executed, in order from 1, with no
    stored error and no refused network access in its outputs.
    """
    path = Path(path)
    found = []
    size = path.stat().st_size
    if size > MAX_BYTES:
        found.append(f"{size / 1e6:.2f} MB; keep it under {MAX_BYTES / 1e6} MB (smaller figures)")
    try:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        nbformat.validate(nb)
    except Exception as error:  # nbformat raises several types for a broken file
        return [*found, f"not a valid notebook: {error}"]
    if nb.nbformat != 4:
        found.append(f"nbformat {nb.nbformat}; expected 4")
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != "python3":
        found.append(f"kernelspec {kernel!r}; expected 'python3'")
    code = [(i, cell) for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and cell.source.strip()]
    if not code:
        return [*found, "no code cells"]
    if not SETUP_CALL.search(code[0][1].source):
        found.append("the first code cell does not call nb_setup(...)")
    for expected, (i, cell) in enumerate(code, start=1):
        count = cell.get("execution_count")
        if count is None:
            found.append(f"cell {i} was never executed (nbval would not compare it)")
        elif count != expected:
            found.append(f"cell {i} has execution count {count}, expected {expected}: "
                         "run the whole notebook top to bottom (make refresh)")
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                found.append(f"cell {i} stores an error: {output.ename}: {output.evalue}")
            if OFFLINE_MESSAGE in str(output.get("text", "")):
                found.append(f"cell {i} tried to reach the network")
    found += test_split_uses(nb)
    found += nbgrader_problems(nb, path.name)
    found += [f"cell {i} imports the exercises' private reference answers"
              for i, cell in code if PRIVATE_REFERENCE.search(cell.source)]
    return found


def test_split_uses(nb: nbformat.NotebookNode) -> list[str]:
    """Cells that read the test split before the notebook's final-evaluation heading.

    The test split decides nothing: choices are made on validation, and test is
    evaluated once, at the end, under a heading "Final evaluation ..." (in a
    Markdown cell of its own). Before it, no code cell may name the test split.
    """
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and FINAL_EVALUATION.search(cell.source):
            break
        if cell.cell_type == "code":
            for line in cell.source.splitlines():
                match = TEST_SPLIT.search(line)
                if match:
                    found.append(f"cell {i} reads the test split before the final evaluation "
                                 f"(`{match.group(0)}` in `{line.strip()}`): choose on the "
                                 "validation split; evaluate on test once, under a heading "
                                 "'Final evaluation'")
                    break
    return found


def source_test_split_uses(path: Path) -> list[str]:
    """Lines of a Python file (a benchmark, a demos module) that read the test split.

    Benchmarks calibrate and compare, demos draw what notebooks choose: neither
    may read the test split; a notebook's final evaluation passes it explicitly.
    """
    return [f"{path.name}:{number}: reads the test split: `{line.strip()}`"
            for number, line in enumerate(Path(path).read_text().splitlines(), start=1)
            if TEST_SPLIT.search(line.split("#")[0])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.notebooks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["refresh", "run", "check", "stamp"])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or course_notebooks()
    failed = 0
    for path in paths:
        if args.command == "refresh":
            print(f"refreshing {path}", flush=True)
            refresh(path)
        elif args.command == "run":
            execute(path)
        elif args.command == "stamp":
            nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
            if stamp(nb, Path(path).name):
                nbformat.write(nb, path)
                print(f"stamped {path}")
        else:
            for problem in problems(path):
                print(f"{path}: {problem}")
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
