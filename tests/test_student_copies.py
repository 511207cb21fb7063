"""The learner's copy: no solution survives, the teaching outputs do, and it runs."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader.utils import determine_grade

from tests.conftest import one_at_a_time
from tools.notebooks import WIDGET_VIEW, course_notebooks, execute, start_kernel
from tools.student import WIDGET_NOTE, student_copy, write_copies

SOLUTION = '''def relu(x):
    """max(0, x)"""
    ### BEGIN SOLUTION
    return np.maximum(0, x)
    ### END SOLUTION'''
CHECK = """check_relu(relu)
### BEGIN HIDDEN TESTS
assert relu(-1) == 0
### END HIDDEN TESTS"""


def solved_notebook() -> nbformat.NotebookNode:
    """A small solved notebook as `make refresh` stores it: a figure, a widget, an exercise."""
    figure = new_output("display_data", data={"image/png": "iVBORw0KGgo=",
                                              "text/plain": "<Figure size 600x350 with 1 Axes>"})
    widget = new_output("execute_result", execution_count=3, data={
        WIDGET_VIEW: {"model_id": "0" * 32, "version_major": 2, "version_minor": 0},
        "text/plain": "interactive(children=(IntSlider(value=1),))"})
    verdict = new_output("stream", name="stdout", text="✓ Correct!\n")
    nb = new_notebook(cells=[
        new_code_cell("plot()", execution_count=1, outputs=[figure]),
        new_markdown_cell("Write `relu` between `### BEGIN SOLUTION` and `### END SOLUTION`."),
        new_code_cell("print(0.25)", execution_count=2,
                      outputs=[new_output("stream", name="stdout", text="0.25\n")]),
        new_code_cell("relu_widget()", execution_count=3, outputs=[widget]),
        new_code_cell(SOLUTION, execution_count=4),
        new_code_cell(CHECK, execution_count=5, outputs=[verdict]),
    ])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def test_solution_becomes_a_stub_and_hidden_tests_vanish():
    copy = student_copy(solved_notebook())
    assert copy.cells[4].source == '''def relu(x):
    """max(0, x)"""
    # YOUR CODE HERE
    raise NotImplementedError()'''
    assert copy.cells[5].source == "check_relu(relu)"


def test_teaching_outputs_stay_and_exercise_outputs_go():
    nb = solved_notebook()
    copy = student_copy(nb)
    assert copy.cells[0].outputs == nb.cells[0].outputs  # the figure reads before any run
    assert copy.cells[2].outputs[0].text == "0.25\n"
    assert copy.cells[5].outputs == []  # the check says nothing until it is run
    assert [cell.get("execution_count") for cell in copy.cells if "outputs" in cell] == [None] * 5
    assert nb.cells[5].outputs and nb.cells[0].execution_count == 1  # the original is untouched


def test_a_stored_widget_view_becomes_a_note_to_run_its_cell():
    (output,) = student_copy(solved_notebook()).cells[3].outputs
    assert output.output_type == "display_data" and output.data == {"text/plain": WIDGET_NOTE}


def test_exercise_cells_carry_nbgraders_metadata_and_checks_are_locked():
    copy = student_copy(solved_notebook())
    assert copy.cells[4].metadata.nbgrader["grade_id"] == "relu"
    assert copy.cells[5].metadata.nbgrader["grade_id"] == "check_relu"
    assert copy.cells[5].metadata.editable is False  # nbgrader's LockCells
    assert "nbgrader" not in copy.cells[2].metadata


def test_a_banner_comes_first():
    copy = student_copy(solved_notebook(), banner="**Your copy**")
    assert copy.cells[0].cell_type == "markdown" and copy.cells[0].source == "**Your copy**"


@pytest.mark.parametrize("broken, phrase", [
    ("### BEGIN SOLUTION\nx = 1", "tiny.ipynb, cell 1: a block is not closed"),
    ("x = 1\n### END SOLUTION", "tiny.ipynb, cell 1: line 2: '### END SOLUTION' without its "
                                "BEGIN"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
     "tiny.ipynb, cell 1: line 2: '### BEGIN SOLUTION' inside an open block"),
    ("check_x(x)\n### BEGIN HIDDEN TESTS\nassert x", "tiny.ipynb, cell 1: a block is not closed"),
])
def test_unbalanced_markers_are_refused_naming_notebook_and_cell(broken, phrase):
    nb = new_notebook(cells=[new_code_cell("x = 0"), new_code_cell(broken)])
    with pytest.raises(ValueError, match=phrase):
        student_copy(nb, "tiny.ipynb")


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: p.name)
def test_no_solution_survives_in_a_course_notebook(path):
    nb = nbformat.read(path, as_version=4)
    copy = student_copy(nb, path.name)
    solutions = 0
    for original, stripped in zip(nb.cells, copy.cells, strict=True):
        if original.cell_type != "code" or "BEGIN SOLUTION" not in original.source:
            continue
        solutions += 1
        solution = original.source.split("BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
        for line in solution.splitlines()[1:]:
            if line.strip():
                assert line not in stripped.source.splitlines(), line
        assert "SOLUTION" not in stripped.source
        assert "raise NotImplementedError()" in stripped.source
    assert solutions >= 1, f"{path.name} has no exercise"


def test_make_student_writes_one_copy_per_notebook(tmp_path):
    source = tmp_path / "01_tiny.ipynb"
    nbformat.write(solved_notebook(), source)
    (written,) = write_copies([source], tmp_path / "student")
    assert written == tmp_path / "student" / "01_tiny.ipynb"
    assert "raise NotImplementedError()" in nbformat.read(written, as_version=4).cells[4].source


# ---- every student copy runs top to bottom ---------------------------------------

class StudentCopyRun:
    """Runs one course notebook's student copy (subclassed per notebook below)."""

    path = None

    def test_runs_and_every_check_says_not_answered(self, tmp_path):
        copy = student_copy(nbformat.read(self.path, as_version=4), self.path.name)
        target = tmp_path / self.path.name
        nbformat.write(copy, target)
        run = execute(target, allow_errors=True, start=one_at_a_time(start_kernel))
        checks = 0
        for index, cell in enumerate(run.cells):
            if cell.cell_type != "code":
                continue
            errors = [o for o in cell.outputs if o.output_type == "error"]
            role = cell.metadata.get("nbgrader", {})
            if role.get("solution"):  # a stub may raise when its cell runs (an assigned answer)
                assert all(e.ename == "NotImplementedError" for e in errors), (index, errors)
            else:
                assert not errors, f"cell {index} raised: {errors[0].ename}: {errors[0].evalue}"
            if role.get("grade"):
                checks += 1
                stderr = "".join(o.text for o in cell.outputs if o.get("name") == "stderr")
                assert "✗ Not answered yet" in stderr, (index, cell.outputs)
                assert determine_grade(cell) == (0, role["points"])
        assert checks >= 1


# One class per notebook: `make test` distributes by module and class (--dist loadscope),
# so the copies run on both workers beside the notebooks' nbval runs.
for _path in course_notebooks():
    _name = "TestStudentCopyOf_" + _path.stem
    globals()[_name] = type(_name, (StudentCopyRun,), {"path": _path})
