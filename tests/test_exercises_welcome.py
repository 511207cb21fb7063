"""Notebook 00's warm-up check accepts the solution, names the typical mistakes, refuses the kit."""

import pytest

from mmkit.demos import welcome
from mmkit.exercises import _reference
from mmkit.exercises.welcome import CASES, check_switch_point


def solution(weight, bias):
    if weight == 0:
        return None
    return -bias / weight


def test_the_solution_passes():
    feedback = check_switch_point(solution)
    assert feedback.ok and feedback.message.startswith("Correct! x = −b/w")


def test_the_reference_agrees_with_the_neuron():
    for weight, bias in CASES:
        x0 = _reference.welcome_switch_point(weight, bias)
        assert welcome.neuron([x0], weight, bias)[0] == pytest.approx(0.5)
    assert _reference.welcome_switch_point(0.0, 1.0) is None
    assert str(_reference.welcome_switch_point(2.0, 0.0)) == "0.0"


@pytest.mark.parametrize("answer, phrase", [
    (lambda w, b: None if w == 0 else b / w, "gave -0.5: the sign is flipped"),
    (lambda w, b: None if w == 0 else -w / b, "gave 2: the fraction is upside down"),
    (lambda w, b: None if w == 0 else -b, "gave 1: x = −b is where x + b = 0"),
    (lambda w, b: None if w == 0 else (0.5 - b) / w, "gave 0.75: you solved w·x + b = 0.5"),
    (lambda w, b: -b / w, "switch_point(0.0, 1.0) divides by zero"),
    (lambda w, b: -b / w if w else float("-inf"), "switch_point(0.0, 1.0) returned -inf"),
    (lambda w, b: 3.0, "switch_point(2.0, -1.0) is 3: not the expected value. The output"),
])
def test_typical_mistakes_are_named(answer, phrase):
    feedback = check_switch_point(answer)
    assert not feedback.ok
    assert phrase in feedback.message


def test_each_mistake_has_its_own_message():
    messages = {check_switch_point(answer).message for answer in (
        lambda w, b: b / w, lambda w, b: -w / b, lambda w, b: -b, lambda w, b: (0.5 - b) / w,
        lambda w, b: -b / w)}
    assert len(messages) == 5


def test_the_kits_own_switch_point_is_refused_directly_and_wrapped():
    direct = check_switch_point(welcome.switch_point)
    assert not direct.ok
    assert "the kit's own `mmkit.demos.welcome.switch_point`, not an answer" in direct.message

    def switch_point(weight, bias):
        return welcome.switch_point(weight, bias)

    wrapped = check_switch_point(switch_point)
    assert not wrapped.ok
    assert ("`switch_point` calls the kit's own `mmkit.demos.welcome.switch_point`, which does "
            "what this exercise asks") in wrapped.message


def test_searching_with_the_kits_neuron_is_refused_too():
    def by_bisection(weight, bias):
        if weight == 0:
            return None
        low, high = -100.0, 100.0
        for _ in range(80):
            middle = (low + high) / 2
            above = welcome.neuron([middle], weight, bias)[0] > 0.5
            low, high = (low, middle) if above == (weight > 0) else (middle, high)
        return (low + high) / 2

    feedback = check_switch_point(by_bisection)
    assert not feedback.ok
    assert "calls the kit's own `mmkit.demos.welcome.neuron`" in feedback.message
    assert welcome.switch_point(2.0, -1.0) == 0.5  # switched on again afterwards


def test_unfinished_says_not_answered_yet():
    def switch_point(weight, bias):
        raise NotImplementedError()

    assert check_switch_point(switch_point).message.startswith("Not answered yet")
