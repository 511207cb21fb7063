"""The shared exercise feedback names typical mistakes."""

import numpy as np
import pytest

from mmkit.exercises.feedback import (
    attempt,
    check,
    compare,
    compare_number,
    correct,
    diagnose,
    known_mistake,
    matches,
    unpack,
)

EXPECTED = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


@pytest.mark.parametrize("answer, phrase", [
    (None, "forget to `return`"),
    ("abc", "should be an array of numbers"),
    (EXPECTED.T, "transpose of the right answer"),
    (EXPECTED.reshape(3, 2) * 0 + 1, "arranged differently"),
    (EXPECTED.sum(axis=0), "one axis is missing"),
    (-EXPECTED, "opposite sign"),
    (EXPECTED / 2, "0.5 × the right answer"),
    (np.where(EXPECTED == 5, np.nan, EXPECTED), "NaN/inf value(s), the first at index [1, 1]"),
    (np.where(EXPECTED == 6, 7.0, EXPECTED), "1 of 6 values of your answer differ; the first "
                                             "at index [1, 2]: expected 6, got 7"),
])
def test_typical_mistakes_are_named(answer, phrase):
    feedback = compare(answer, EXPECTED)
    assert not feedback.ok
    assert phrase in feedback.message
    assert repr(feedback).startswith("✗ ")


def test_the_right_answer_passes_within_tolerance():
    feedback = compare(EXPECTED + 1e-10, EXPECTED)
    assert feedback.ok and repr(feedback) == "✓ Correct!"


def test_numbers():
    assert compare_number(0.25, 0.25).ok
    assert "opposite sign" in compare_number(-0.25, 0.25).message
    assert "single number" in compare_number([0.25], 0.25).message


def test_attempt_turns_unfinished_and_crashing_code_into_feedback():
    def unfinished(x):
        raise NotImplementedError()

    def crashing(x):
        return x @ np.ones((5, 5))

    @check
    def check_double(f):
        feedback = compare(attempt(f, EXPECTED), 2 * EXPECTED)
        return correct("Doubled!") if feedback.ok else feedback

    assert "Not answered yet" in check_double(unfinished).message
    message = check_double(crashing).message
    assert message.startswith("Your code raised ValueError") and "x @ np.ones((5, 5))" in message
    assert check_double(lambda x: 2 * x).ok
    assert check_double.__name__ == "check_double"


def test_a_crash_inside_a_library_points_at_the_learners_line():
    def learner(x):
        return np.linalg.inv(x)  # singular: raises inside NumPy

    message = check(lambda f: compare(attempt(f, np.zeros((2, 2))), EXPECTED))(learner).message
    assert "LinAlgError" in message and "np.linalg.inv(x)" in message


def test_single_numbers_get_single_number_wording_and_no_answer():
    assert compare_number(-0.25, 0.25).message == (
        "your answer has the right size but the opposite sign: check the direction "
        "(a minus sign, or pred − target vs target − pred)")
    assert "0.5 × the right answer:" in compare_number(0.125, 0.25).message
    message = compare_number(0.3, 0.25).message
    assert message == "your answer is 0.3: not the expected value" and "0.25" not in message


def test_known_mistakes_are_recognised_by_value_and_shape():
    x, w = np.ones((3, 2)), np.arange(4.0).reshape(2, 2)
    mistakes = [(x @ w, "you used W, not W.T"), (x @ w.T + 1, "the bias was added twice")]
    assert matches(x @ w.T, x @ w.T) and not matches("text", x) and not matches(x, x.T)
    assert known_mistake(x @ w, mistakes).message == "you used W, not W.T"
    assert known_mistake(x @ w.T, mistakes) is None
    assert known_mistake(None, mistakes) is None


@pytest.mark.parametrize("answer, phrase", [
    (None, "forget `return dx, dW`"),
    (np.ones(2), "got a ndarray"),
    ((1, 2, 3), "got 3 values"),
])
def test_unpack_names_what_was_returned(answer, phrase):
    assert phrase in unpack(answer, ("dx", "dW")).message
    assert unpack((1, 2), ("dx", "dW")) is None


def test_feedback_refuses_to_be_used_as_a_truth_value():
    with pytest.raises(TypeError, match=r"feedback\.ok"):
        bool(compare(EXPECTED, EXPECTED))


def test_diagnose_tries_known_mistakes_then_compares():
    mistakes = [(-EXPECTED, "flipped: use pred − target")]
    assert diagnose(EXPECTED, EXPECTED, mistakes) is None
    assert diagnose(-EXPECTED, EXPECTED, mistakes).message == "flipped: use pred − target"
    message = diagnose(EXPECTED.T, EXPECTED, mistakes, name="dW", hint="dW has W's shape.").message
    assert message.startswith("dW has shape (3, 2), expected (2, 3)")
    assert message.endswith(". dW has W's shape.")
    message = diagnose(None, EXPECTED, hint="Return dW.").message
    assert message.endswith("did you forget to `return` it? Return dW.")  # no "?."
    coincides = [(EXPECTED, "a mistake that gives the right answer on this input")]
    assert diagnose(EXPECTED, EXPECTED, coincides) is None


# ---- the kit's own answer is switched off while the learner's function runs ----------

def _kit_softmax(z):
    """Stands in for a kit function that an exercise asks the learner to write."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class _KitLayer:
    def forward(self, z):
        return _kit_softmax(z)


@check(kit=[_kit_softmax, _KitLayer])
def _check_softmax(function):
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    out = attempt(function, z)
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return compare(out, expected)


def _own_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _calls_the_kit(z):
    return _kit_softmax(z)


def _hides_the_refusal(z):
    try:
        return _kit_softmax(z)
    except Exception:
        return _own_softmax(z)


def test_a_learners_own_function_passes_and_the_kit_works_again_afterwards():
    assert _check_softmax(_own_softmax).ok
    assert np.allclose(_kit_softmax(np.zeros((1, 2))), 0.5)  # switched on again
    import sys

    assert sys.getprofile() is None


@pytest.mark.parametrize("answer, phrase", [
    (_kit_softmax, "test_exercise_feedback._kit_softmax`, not an answer"),
    (_calls_the_kit, "test_exercise_feedback._kit_softmax`, which does what this exercise "
                     "asks: write it yourself, in the cell that defines `_calls_the_kit`"),
    (_hides_the_refusal, "`_hides_the_refusal` calls the kit's own"),
    (lambda z: _KitLayer().forward(z), "_KitLayer.forward`, which does what this exercise "
                                       "asks: write it yourself, in the exercise's cell"),
])
def test_the_kits_own_answer_is_refused_however_it_is_reached(answer, phrase):
    feedback = _check_softmax(answer)
    assert not feedback.ok
    assert phrase in feedback.message


def test_the_private_references_are_switched_off_in_every_check(monkeypatch):
    from mmkit.exercises import _reference

    def reference_softmax(z):
        return _own_softmax(z)

    reference_softmax.__module__ = _reference.__name__
    monkeypatch.setattr(_reference, "reference_softmax", reference_softmax, raising=False)
    feedback = _check_softmax(lambda z: reference_softmax(z))
    assert not feedback.ok and "reference_softmax" in feedback.message


def test_only_python_functions_can_be_switched_off():
    with pytest.raises(TypeError, match="cannot switch off"):
        check(kit=[np.exp])


def test_a_notebook_shows_right_answers_on_stdout_and_wrong_ones_on_stderr_for_nbgrader():
    """Run in a real kernel: the verdict's stream decides nbgrader's points, nothing raises."""
    import nbclient
    from nbformat.v4 import new_code_cell, new_notebook
    from nbgrader.utils import determine_grade

    def graded(source):
        return new_code_cell(source, metadata={"nbgrader": {
            "grade": True, "solution": False, "locked": True, "points": 2,
            "grade_id": f"cell{abs(hash(source))}", "schema_version": 3}})

    nb = new_notebook(cells=[
        new_code_cell("from mmkit.exercises.feedback import correct, wrong"),
        graded("correct()"),
        graded("wrong('Not answered yet')"),
        new_code_cell("print('the next cell still runs')"),
    ])
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    right, missing, after = nb.cells[1:]
    assert [(o.output_type, o.get("name"), o.get("text")) for o in right.outputs] == [
        ("stream", "stdout", "✓ Correct!\n")]
    assert [(o.output_type, o.get("name"), o.get("text")) for o in missing.outputs] == [
        ("stream", "stderr", "✗ Not answered yet\n")]
    assert after.outputs[0].text == "the next cell still runs\n"
    assert determine_grade(right) == (2, 2)
    assert determine_grade(missing) == (0, 2)
