"""Execute, refresh and statically check the course notebooks.

    python -m tools.notebooks refresh [NOTEBOOK ...]   re-execute in place (make refresh)
    python -m tools.notebooks run NOTEBOOK             execute without saving (benchmarks)
    python -m tools.notebooks check [NOTEBOOK ...]     the static checks, as the tests run them

`make refresh` and `make test` export the same environment (see the Makefile),
so refreshed outputs are the ones the tests compare against.
"""

import argparse
import re
import sys
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


def course_notebooks() -> list[Path]:
    """The numbered notebooks, in course order."""
    return sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def execute(path: Path, timeout: int = CELL_TIMEOUT_S) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh kernel of this environment; return it run.

    Cells run with the notebook's folder as working directory. No timing
    metadata and no widget state (random model ids) are kept, so a re-run changes
    nothing but outputs that really changed; a stored widget shows again once
    its cell is run.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}},
                            record_timing=False)
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
    """Re-execute a notebook and store its new outputs in place."""
    nb = execute(path)
    nbformat.validate(nb)
    nbformat.write(nb, path)


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
    parser.add_argument("command", choices=["refresh", "run", "check"])
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
        else:
            for problem in problems(path):
                print(f"{path}: {problem}")
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
