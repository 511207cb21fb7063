"""The notebook harness: static checks, sanitize rules, strict nbval failing when it must."""

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbval.plugin import get_sanitize_patterns

from mmkit.paths import REPO_ROOT
from tools.notebooks import (
    MAX_BYTES,
    course_notebooks,
    execute,
    problems,
    source_test_split_uses,
)

SANITIZE = REPO_ROOT / "tests" / "sanitize.cfg"


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: p.name)
def test_course_notebook_passes_the_static_checks(path):
    assert problems(path) == []


def test_the_course_has_notebooks():
    assert course_notebooks(), "no notebooks found under notebooks/"


# ---- the static checks catch what they claim to ---------------------------------

def tiny_notebook(*sources: str, counts: list | None = None) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, source in enumerate(sources):
        cell = new_code_cell(source)
        cell.execution_count = (counts or list(range(1, len(sources) + 1)))[i]
        nb.cells.append(cell)
    return nb


def save(nb, tmp_path: Path, name: str = "nb.ipynb") -> Path:
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_a_clean_notebook_has_no_problems(tmp_path):
    assert problems(save(tiny_notebook("from mmkit import nb_setup\nnb_setup()", "1"),
                         tmp_path)) == []


def test_a_cell_never_executed_is_caught(tmp_path):
    nb = tiny_notebook("nb_setup()", "1 + 1", counts=[1, None])
    assert problems(save(nb, tmp_path)) == ["cell 1 was never executed (nbval would not "
                                            "compare it)"]


def test_cells_run_out_of_order_are_caught(tmp_path):
    nb = tiny_notebook("nb_setup()", "1", "2", counts=[1, 3, 2])
    found = problems(save(nb, tmp_path))
    assert any("cell 1 has execution count 3, expected 2" in p for p in found)


def test_a_stored_error_is_caught(tmp_path):
    nb = tiny_notebook("nb_setup()", "1 / 0")
    nb.cells[1].outputs = [new_output("error", ename="ZeroDivisionError",
                                      evalue="division by zero", traceback=[])]
    assert problems(save(nb, tmp_path)) == [
        "cell 1 stores an error: ZeroDivisionError: division by zero"]


def test_a_refused_download_in_the_outputs_is_caught(tmp_path):
    nb = tiny_notebook("nb_setup()", "load()")
    nb.cells[1].outputs = [new_output("stream", name="stderr", text="mmkit offline guard: "
                                      "network access refused: hub.example:443\n")]
    assert problems(save(nb, tmp_path)) == ["cell 1 tried to reach the network"]


def test_missing_setup_wrong_kernel_and_size_are_caught(tmp_path):
    nb = tiny_notebook("import numpy", "x = 1")
    nb.metadata.kernelspec["name"] = "ir"
    nb.cells[1].outputs = [new_output("stream", name="stdout", text="x" * MAX_BYTES)]
    found = problems(save(nb, tmp_path))
    assert "the first code cell does not call nb_setup(...)" in found
    assert "kernelspec 'ir'; expected 'python3'" in found
    assert any("MB; keep it under 1.5 MB" in p for p in found)


def test_an_invalid_file_is_caught(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [], "nbformat": 4}')
    assert problems(path)[0].startswith("not a valid notebook")


# ---- the sanitize file -----------------------------------------------------------

SANITIZE_EXAMPLES = {
    # each rule: a real output line it must rewrite, and what it must become
    r"/tmp/ipykernel_\d+/\d+\.py": ("/tmp/ipykernel_4242/1234567.py:3: UserWarning: x",
                                     "/tmp/ipykernel_PID/CELL.py:3: UserWarning: x"),
    r"\b0x[0-9a-fA-F]{4,}\b": ("<Model object at 0x7f3a2b1c9d50>", "<Model object at 0xADDRESS>"),
    r"(CPU times|Wall time): .*": ("CPU times: user 3 ms, sys: 0 ns, total: 3 ms\nWall time: 2 ms",
                                   "CPU times: TIME\nWall time: TIME"),
    r"[\d.]+ [nµm]?s ± [\d.]+ [nµm]?s per loop \(mean ± std\. dev\. of \d+ runs?, [\d,]+ loops? "
    r"each\)": ("12.3 µs ± 1.2 µs per loop (mean ± std. dev. of 7 runs, 100,000 loops each)",
                "TIMEIT"),
    r"\[\d{2}:\d{2}(:\d{2})?<[^\]]*\]": ("100%|####| 10/10 [00:01<00:00,  9.52it/s]",
                                         "100%|####| 10/10 [TQDM]"),
    r"\btook \d+(\.\d+)? ?(ns|µs|us|ms|s)\b": ("epoch 3: loss 0.25, took 1.75 s",
                                              "epoch 3: loss 0.25, took TIME"),
    r"/\S*/site-packages/": ("/home/me/mmkit/.venv/lib/python3.11/site-packages/sklearn/x.py:9",
                             "SITE-PACKAGES/sklearn/x.py:9"),
}


def test_every_sanitize_rule_is_well_formed_and_exampled():
    text = SANITIZE.read_text()
    patterns = get_sanitize_patterns(text)  # nbval's own parser
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(patterns) * 2 == len(lines), "a malformed regex/replace pair is silently ignored"
    assert [regex for regex, _ in patterns] == list(SANITIZE_EXAMPLES)


@pytest.mark.parametrize("regex", list(SANITIZE_EXAMPLES))
def test_every_sanitize_rule_fires(regex):
    replace = dict(get_sanitize_patterns(SANITIZE.read_text()))[regex]
    before, after = SANITIZE_EXAMPLES[regex]
    assert re.sub(regex, replace, before) == after


def test_sanitize_rules_leave_ordinary_numbers_alone():
    text = "test accuracy 0.9712 after 3 epochs; loss 0.0431; shape (64, 10)"
    for regex, replace in get_sanitize_patterns(SANITIZE.read_text()):
        assert re.sub(regex, replace, text) == text


# ---- strict nbval fails a notebook when it must ---------------------------------

@pytest.fixture(scope="module")
def reference_notebook(tmp_path_factory) -> nbformat.NotebookNode:
    """A small notebook executed once, with its outputs stored, as `make refresh` would."""
    nb = tiny_notebook("from mmkit import nb_setup\nnb_setup(seed=0)",
                       "import numpy as np\nprint(np.random.rand(3))",
                       "x = 6 * 7\nx", counts=[None, None, None])
    path = save(nb, tmp_path_factory.mktemp("ref"))
    return execute(path)


def run_nbval(notebooks: list[Path], tmp_path: Path) -> dict[str, list[str]]:
    """Run the project's pytest configuration on `notebooks`; failures per notebook."""
    report = tmp_path / "report.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-c", str(REPO_ROOT / "pyproject.toml"),
                    "--rootdir", str(tmp_path), f"--junitxml={report}", "-q",
                    *map(str, notebooks)], cwd=REPO_ROOT, capture_output=True, timeout=600)
    outcome: dict[str, list[str]] = {path.name: [] for path in notebooks}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("classname")  # the notebook's file name: they sit in tmp_path
        for child in case:
            if child.tag in ("failure", "error"):
                outcome[name].append(case.get("name"))
    return outcome


def test_strict_nbval_fails_on_changed_output_raised_error_and_hidden_download(
        reference_notebook, tmp_path):
    pristine = save(reference_notebook, tmp_path, "pristine.ipynb")

    edited = nbformat.from_dict(reference_notebook)
    edited.cells[2].outputs[0].data["text/plain"] = "43"  # was 42
    edited = save(edited, tmp_path, "edited.ipynb")

    raising = nbformat.from_dict(reference_notebook)
    raising.cells.append(new_code_cell('raise ValueError("boom")', execution_count=4))
    raising = save(raising, tmp_path, "raising.ipynb")

    online = nbformat.from_dict(reference_notebook)
    online.cells.append(new_code_cell(
        "import urllib.request\n"
        "try:  # a library that swallows the error and carries on\n"
        "    urllib.request.urlopen('http://example.com/model.bin', timeout=2)\n"
        "except OSError:\n"
        "    pass", execution_count=4))
    online = save(online, tmp_path, "online.ipynb")

    outcome = run_nbval([pristine, edited, raising, online], tmp_path)
    assert outcome == {"pristine.ipynb": [], "edited.ipynb": ["Cell 2"],
                       "raising.ipynb": ["Cell 3"], "online.ipynb": ["Cell 3"]}


# ---- the test split decides nothing ---------------------------------------------

def _markdown(nb, source):
    from nbformat.v4 import new_markdown_cell

    nb.cells.append(new_markdown_cell(source))


def test_reading_the_test_split_before_the_final_evaluation_is_caught(tmp_path):
    nb = tiny_notebook("from mmkit import nb_setup\nnb_setup()",
                       "lr = pick(data.X_val)\nscore = model(data.X_test)")
    found = problems(save(nb, tmp_path))
    assert len(found) == 1 and "cell 1 reads the test split" in found[0]
    assert "`X_test` in `score = model(data.X_test)`" in found[0]


def test_naming_the_split_test_is_caught_too(tmp_path):
    nb = tiny_notebook("nb_setup()", 'test = MMDigits("test")')
    assert any("`\"test\"`" in p for p in problems(save(nb, tmp_path)))


def test_the_test_split_is_allowed_after_the_final_evaluation_heading(tmp_path):
    nb = tiny_notebook("nb_setup()", "model.fit(data.X_train)")
    _markdown(nb, "## 7. Final evaluation on the test split (once)")
    nb.cells.append(new_code_cell("print(model.score(data.X_test, data.y_test))"))
    nb.cells[-1].execution_count = 3
    assert problems(save(nb, tmp_path)) == []


def test_a_heading_that_only_mentions_test_does_not_open_the_test_split(tmp_path):
    nb = tiny_notebook("nb_setup()")
    _markdown(nb, "## 5. Why we never test on training data")
    nb.cells.append(new_code_cell("score = model(X_test)"))
    nb.cells[-1].execution_count = 2
    assert any("reads the test split" in p for p in problems(save(nb, tmp_path)))


def test_a_notebook_importing_the_private_reference_answers_is_caught(tmp_path):
    nb = tiny_notebook("nb_setup()", "from mmkit.exercises._reference import softmax")
    assert problems(save(nb, tmp_path)) == [
        "cell 1 imports the exercises' private reference answers"]


@pytest.mark.parametrize("path", sorted([*(REPO_ROOT / "benchmarks").glob("*.py"),
                                         *(REPO_ROOT / "mmkit" / "demos").glob("*.py")]),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_benchmarks_and_demos_never_read_the_test_split(path):
    assert source_test_split_uses(path) == []


def test_a_benchmark_that_calibrates_on_test_is_caught(tmp_path):
    planted = tmp_path / "calibration.py"
    planted.write_text('score = baseline(MMDigits("train"), MMDigits("test"))  # on test!\n'
                       "# the test split is never read here\n")
    assert source_test_split_uses(planted) == [
        "calibration.py:1: reads the test split: "
        '`score = baseline(MMDigits("train"), MMDigits("test"))  # on test!`']


def test_kernels_start_one_at_a_time_across_workers():
    """nbval's kernel start-up runs under a file lock that every worker shares."""
    import fcntl

    import nbval.kernel

    from tests.conftest import KERNEL_START_LOCK, one_at_a_time

    assert nbval.kernel.start_new_kernel.one_at_a_time

    def another_worker_can_start() -> bool:
        with open(KERNEL_START_LOCK, "a") as other:
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(other, fcntl.LOCK_UN)
            return True

    assert one_at_a_time(another_worker_can_start)() is False  # held while starting
    assert another_worker_can_start()  # released afterwards


def test_stored_printing_does_not_depend_on_how_the_kernel_split_it():
    from tools.notebooks import coalesce_streams

    split = [new_output("stream", name="stdout", text="a\nb"),
             new_output("stream", name="stdout", text="c\n"),
             new_output("stream", name="stderr", text="warning\n"),
             new_output("execute_result", data={"text/plain": "1"}, execution_count=1),
             new_output("stream", name="stdout", text="d\n")]
    merged = coalesce_streams(split)
    assert [o.get("name", o.output_type) for o in merged] == ["stdout", "stderr",
                                                             "execute_result", "stdout"]
    assert merged[0]["text"] == "a\nbc\n"


def test_a_stored_widget_cell_keeps_only_the_widget(tmp_path):
    """What a widget draws is not stored (the browser redraws it); the widget view is."""
    nb = tiny_notebook("from mmkit import nb_setup\nnb_setup(seed=0)",
                       "import ipywidgets as widgets\nimport matplotlib.pyplot as plt\n"
                       "from IPython.display import display\n\n\ndef show(i):\n"
                       "    fig, ax = plt.subplots()\n    ax.plot([0, i])\n    display(fig)\n"
                       "    plt.close(fig)\n    print('drawn')\n\n\n"
                       "widgets.interactive(show, i=widgets.IntSlider(value=1, max=3))",
                       counts=[None, None])
    run = execute(save(nb, tmp_path))
    outputs = run.cells[1].outputs
    assert len(outputs) == 1 and outputs[0].output_type == "execute_result"
    assert outputs[0].data["application/vnd.jupyter.widget-view+json"]["model_id"] == f"{1:032x}"


# ---- nbgrader's metadata follows the markers -----------------------------------

def exercise_notebook() -> nbformat.NotebookNode:
    """Two exercises: a function to write, and an answer to assign; each with its check."""
    return tiny_notebook("from mmkit import nb_setup\nnb_setup()",
                         "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION",
                         "check_f(f)",
                         "### BEGIN SOLUTION\nanswer = 3\n### END SOLUTION",
                         "check_f(answer)")


def nbgrader_ids(nb) -> list:
    return [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells]


def test_stamp_gives_solution_and_check_cells_their_metadata(tmp_path):
    from tools.notebooks import stamp

    nb = exercise_notebook()
    sources = [cell.source for cell in nb.cells]
    assert stamp(nb) is True
    assert nbgrader_ids(nb) == [None, "f", "check_f", "answer", "check_f_2"]
    assert nb.cells[1].metadata.nbgrader == {"grade": False, "solution": True, "locked": False,
                                             "grade_id": "f", "schema_version": 3}
    assert nb.cells[2].metadata.nbgrader == {"grade": True, "solution": False, "locked": True,
                                             "points": 1, "grade_id": "check_f",
                                             "schema_version": 3}
    assert [cell.source for cell in nb.cells] == sources
    assert stamp(nb) is False
    assert problems(save(nb, tmp_path)) == []


def test_points_set_by_a_teacher_are_kept(tmp_path):
    from tools.notebooks import stamp

    nb = exercise_notebook()
    stamp(nb)
    nb.cells[4].metadata.nbgrader["points"] = 3
    assert stamp(nb) is False and nb.cells[4].metadata.nbgrader["points"] == 3
    assert problems(save(nb, tmp_path)) == []


def test_missing_or_stale_nbgrader_metadata_is_caught(tmp_path):
    nb = exercise_notebook()
    nb.cells[0].metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                        "points": 1, "grade_id": "old", "schema_version": 3}
    found = problems(save(nb, tmp_path))
    assert len(found) == 5
    assert found[0].startswith("cell 0: nbgrader metadata {'grade': True")
    assert found[0].endswith("expected None: run `python -m tools.notebooks stamp "
                             "notebooks/nb.ipynb`")
    assert found[1].startswith("cell 1: nbgrader metadata None, expected {'grade': False")


def test_a_solution_without_a_check_after_it_is_caught(tmp_path):
    from tools.notebooks import stamp

    nb = tiny_notebook("nb_setup()", "def f():\n    ### BEGIN SOLUTION\n    return 1\n"
                       "    ### END SOLUTION", "print(f())")
    stamp(nb)
    assert problems(save(nb, tmp_path)) == [
        "cell 1 holds a solution, but the next code cell does not call a check "
        "(`check_...(answer)`)"]


def test_markers_in_markdown_and_unbalanced_markers_are_caught(tmp_path):
    nb = tiny_notebook("nb_setup()", "def f():\n    ### BEGIN SOLUTION\n    return 1",
                       "check_f(f)")
    _markdown(nb, "Write it between `### BEGIN SOLUTION` and `### END SOLUTION`.")
    found = problems(save(nb, tmp_path))
    assert "cell 1: a block is not closed: missing '### END SOLUTION'" in found
    assert any(p.startswith("cell 3 (Markdown) contains 'BEGIN SOLUTION': nbgrader reads the "
                            "markers in Markdown cells too") for p in found)


def test_a_solution_that_names_nothing_is_caught(tmp_path):
    nb = tiny_notebook("nb_setup()", "### BEGIN SOLUTION\nprint(3)\n### END SOLUTION",
                       "check_f(f)")
    (found,) = problems(save(nb, tmp_path))
    assert found.startswith("nb.ipynb, cell 1: cannot tell which function or answer")


def test_refresh_and_stamp_write_the_metadata(tmp_path, monkeypatch, capsys):
    import tools.notebooks

    path = save(exercise_notebook(), tmp_path)
    monkeypatch.setattr(tools.notebooks, "execute", lambda p: nbformat.read(p, as_version=4))
    tools.notebooks.refresh(path)
    assert nbgrader_ids(nbformat.read(path, as_version=4))[1:3] == ["f", "check_f"]

    other = save(exercise_notebook(), tmp_path, "other.ipynb")
    assert tools.notebooks.main(["stamp", str(path), str(other)]) == 0
    assert capsys.readouterr().out == f"stamped {other}\n"  # `path` was right already
    assert problems(other) == []
