"""Students' copies keep no solution and no output."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tools.notebooks import course_notebooks
from tools.student import strip_solutions, student_copy

SOLVED = """def relu(x):
    \"\"\"max(0, x)\"\"\"
    ### BEGIN SOLUTION
    return np.maximum(0, x)
    ### END SOLUTION

check_relu(relu)
### BEGIN HIDDEN TESTS
assert relu(-1) == 0
### END HIDDEN TESTS"""


def test_solution_becomes_a_stub_and_hidden_tests_vanish():
    assert strip_solutions(SOLVED) == """def relu(x):
    \"\"\"max(0, x)\"\"\"
    # YOUR CODE HERE
    raise NotImplementedError()

check_relu(relu)"""


@pytest.mark.parametrize("broken, phrase", [
    ("### BEGIN SOLUTION\nx = 1", "not closed"),
    ("x = 1\n### END SOLUTION", "without its BEGIN"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside an open block"),
])
def test_unbalanced_markers_are_refused(broken, phrase):
    with pytest.raises(ValueError, match=phrase):
        strip_solutions(broken)


def test_copy_clears_outputs_and_counts():
    nb = new_notebook(cells=[new_code_cell(SOLVED, execution_count=3,
                                           outputs=[nbformat.v4.new_output("stream", text="x")])])
    copy = student_copy(nb)
    assert copy.cells[0].outputs == [] and copy.cells[0].execution_count is None
    assert nb.cells[0].execution_count == 3  # the original is untouched


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: p.name)
def test_no_solution_survives_in_a_course_notebook(path):
    nb = nbformat.read(path, as_version=4)
    copy = student_copy(nb)
    for original, stripped in zip(nb.cells, copy.cells, strict=True):
        if original.cell_type != "code" or "BEGIN SOLUTION" not in original.source:
            continue
        solution = original.source.split("BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
        for line in solution.splitlines()[1:]:
            if line.strip():
                assert line not in stripped.source.splitlines(), line
        assert "SOLUTION" not in stripped.source
        assert "raise NotImplementedError()" in stripped.source
