"""Notebook 01's exercise checks accept the solutions, name the typical mistakes, and refuse
the kit's own versions of the answers (passed off directly or called from a learner's function).
"""

from itertools import pairwise

import numpy as np
import pytest

from mmkit.exercises.forward_pass import (
    check_count_parameters,
    check_linear_forward,
    check_softmax,
)
from mmkit.scratch.layers import Linear, Sequential, Softmax, log_softmax, mlp, softmax

KIT_OWN = "the kit's own"


def unfinished(*args):
    raise NotImplementedError()


# --- linear_forward --------------------------------------------------------------------------


def linear_solution(x, W, b):
    return x @ W.T + b


@pytest.mark.parametrize("answer, phrase", [
    (lambda x, W, b: x @ W + b, "x @ W needs W as (in, out): use x @ W.T"),
    (lambda x, W, b: x @ W.T, "You forgot the bias"),
    (lambda x, W, b: np.maximum(x @ W.T + b, 0), "You applied ReLU"),
    (lambda x, W, b: W @ x.T + b[:, None], "it is the transpose of y"),
    (lambda x, W, b: x @ W.T - b, "15 of 15 values of y differ; the first at index [0, 0]"),
    (lambda x, W, b: None, "did you forget to `return` it?"),
])
def test_linear_mistakes_are_named(answer, phrase):
    feedback = check_linear_forward(answer)
    assert not feedback.ok
    assert phrase in feedback.message, feedback.message


def test_linear_x_at_w_is_caught_even_when_w_is_square():
    # x @ W crashes on the first, non-square case; on a square W only the values tell
    def square_only(x, W, b):
        return x @ W + b if W.shape[0] == W.shape[1] else x @ W.T + b

    feedback = check_linear_forward(square_only)
    assert not feedback.ok
    assert "You computed x @ W + b" in feedback.message
    assert "(out_features, in_features)" in feedback.message


def test_linear_solution_passes():
    feedback = check_linear_forward(linear_solution)
    assert feedback.ok and "Correct!" in feedback.message
    assert check_linear_forward(lambda x, W, b: np.einsum("ni,oi->no", x, W) + b).ok


# --- softmax ---------------------------------------------------------------------------------


def softmax_solution(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_no_shift(z):
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_global_max(z):
    e = np.exp(z - z.max())
    return e / e.sum(axis=1, keepdims=True)


def softmax_wrong_axis(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_total_sum(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum()


def softmax_no_keepdims(z):
    e = np.exp(z - z.max(axis=1))
    return e / e.sum(axis=1, keepdims=True)


def softmax_unnormalised(z):
    return np.exp(z - z.max(axis=1, keepdims=True))


@pytest.mark.parametrize("answer, phrases", [
    (softmax_no_shift, ["NaN/inf", "e^z overflows", "Subtract the row's max"]),
    (softmax_global_max, ["NaN/inf", "Subtract each row's own max",
                          "z.max(axis=1, keepdims=True)"]),
    (softmax_wrong_axis, ["Each column sums to 1, not each row", "wrong axis"]),
    (softmax_total_sum, ["divided by the sum of all entries"]),
    (softmax_no_keepdims, ["could not be broadcast", "keepdims=True"]),
    (softmax_unnormalised, ["without normalising"]),
])
def test_softmax_mistakes_are_named(answer, phrases):
    feedback = check_softmax(answer)
    assert not feedback.ok
    for phrase in phrases:
        assert phrase in feedback.message, feedback.message


def test_softmax_overflow_gives_feedback_not_warnings():
    with np.errstate(all="raise"):  # a warning escaping the check would raise here
        feedback = check_softmax(softmax_no_shift)
    assert not feedback.ok


def test_softmax_solution_passes():
    feedback = check_softmax(softmax_solution)
    assert feedback.ok and "Correct!" in feedback.message


# --- count_parameters ------------------------------------------------------------------------


def count_solution(sizes):
    return sum(a * b + b for a, b in pairwise(sizes))


@pytest.mark.parametrize("answer, phrase", [
    (lambda sizes: sum(a * b for a, b in pairwise(sizes)), "counts the weights only"),
    (lambda sizes: int(np.prod(sizes)), "is the product of all the sizes"),
    (lambda sizes: count_solution(sizes) + sizes[0], "You gave the inputs biases too"),
    (lambda sizes: count_solution(sizes) - sizes[-1], "biases of the last layer"),
    (lambda sizes: 7, "not the number of parameters"),
    (lambda sizes: 2410.5, "should be a whole number"),
    (lambda sizes: None, "did you forget to `return`"),
])
def test_count_mistakes_are_named(answer, phrase):
    feedback = check_count_parameters(answer)
    assert not feedback.ok
    assert phrase in feedback.message, feedback.message


def test_count_wrong_answer_does_not_reveal_the_count():
    assert "2410" not in check_count_parameters(lambda sizes: 7).message


def test_count_solution_passes_and_then_explains():
    feedback = check_count_parameters(count_solution)
    assert feedback.ok
    assert "2,410" in feedback.message
    assert check_count_parameters(lambda sizes: float(count_solution(sizes))).ok


# --- every check -----------------------------------------------------------------------------


@pytest.mark.parametrize("checker", [check_linear_forward, check_softmax,
                                     check_count_parameters])
def test_unfinished_stub_is_not_answered_yet(checker):
    feedback = checker(unfinished)
    assert not feedback.ok
    assert feedback.message.startswith("Not answered yet")


def test_every_typical_mistake_has_its_own_message():
    linear = {check_linear_forward(f).message for f in (
        lambda x, W, b: x @ W.T, lambda x, W, b: np.maximum(x @ W.T + b, 0),
        lambda x, W, b: (x @ W.T + b).T)}
    softmax_messages = {check_softmax(f).message for f in (
        softmax_unnormalised, softmax_wrong_axis, softmax_total_sum, softmax_no_shift)}
    count = {check_count_parameters(f).message for f in (
        lambda sizes: sum(a * b for a, b in pairwise(sizes)),
        lambda sizes: int(np.prod(sizes)),
        lambda sizes: count_solution(sizes) + sizes[0])}
    assert len(linear) == 3 and len(softmax_messages) == 4 and len(count) == 3


# --- the kit's own answer is refused -----------------------------------------------------


def linear_by_the_kit(x, W, b):
    layer = Linear(W.shape[1], W.shape[0])
    layer.weight.data[...], layer.bias.data[...] = W, b
    return layer(x)


def linear_by_a_sequential(x, W, b):
    model = Sequential(Linear(W.shape[1], W.shape[0]))
    model.load_state_dict({"0.weight": W, "0.bias": b})
    return model(x)


@pytest.mark.parametrize("learner, kit", [
    (linear_by_the_kit, "mmkit.scratch.layers.Linear.__init__"),
    (linear_by_a_sequential, "mmkit.scratch.layers.Linear.__init__"),
])
def test_linear_made_by_the_kit_is_refused(learner, kit):
    message = check_linear_forward(learner).message
    assert f"calls {KIT_OWN} `{kit}`" in message, message
    assert "in the cell that defines" in message and "write it yourself" in message


def test_the_kits_linear_passed_off_is_refused():
    message = check_linear_forward(Linear.forward).message
    assert f"that is {KIT_OWN} `mmkit.scratch.layers.Linear.forward`, not an answer" in message


@pytest.mark.parametrize("learner, kit", [
    (lambda z: softmax(z, dim=1), "softmax"),
    (lambda z: np.exp(log_softmax(z)), "log_softmax"),
    (lambda z: Softmax(dim=1)(z), "Softmax.__init__"),
])
def test_softmax_by_the_kit_is_refused(learner, kit):
    message = check_softmax(learner).message
    assert f"your function calls {KIT_OWN} `mmkit.scratch.layers.{kit}`" in message, message


@pytest.mark.parametrize("kit", [softmax, log_softmax])
def test_the_kits_softmax_passed_off_is_refused(kit):
    message = check_softmax(kit).message
    assert f"that is {KIT_OWN} `mmkit.scratch.layers.{kit.__name__}`, not an answer" in message


def count_by_mlp(sizes):
    return sum(p.data.size for p in mlp(sizes).parameters())


def count_by_layers(sizes):
    model = Sequential(*[Linear(a, b) for a, b in pairwise(sizes)])
    return sum(p.data.size for p in model.parameters())


@pytest.mark.parametrize("learner, kit", [
    (count_by_mlp, "mlp"),
    (count_by_layers, "Linear.__init__"),
])
def test_counting_by_the_kit_is_refused(learner, kit):
    message = check_count_parameters(learner).message
    assert f"`{learner.__name__}` calls {KIT_OWN} `mmkit.scratch.layers.{kit}`" in message, \
        message


def test_the_parameters_every_layer_inherits_are_switched_off():
    # a model built before the check runs: only Module.parameters & co. could count it
    models = {tuple(sizes): mlp(list(sizes)) for sizes in
              ((64, 32, 10), (2, 8, 8, 2), (784, 100, 10), (3, 1))}
    for method, name in (("parameters", "parameters"), ("named_parameters", "named_parameters"),
                         ("state_dict", "state_dict")):
        def learner(sizes, method=method):
            found = getattr(models[tuple(sizes)], method)()
            values = found.values() if isinstance(found, dict) else found
            return sum(np.size(getattr(v, "data", v[-1] if isinstance(v, tuple) else v))
                       for v in values)

        message = check_count_parameters(learner).message
        assert f"calls {KIT_OWN} `mmkit.scratch.layers.Module.{name}`" in message, message


def test_the_kits_mlp_passed_off_is_refused():
    message = check_count_parameters(mlp).message
    assert f"that is {KIT_OWN} `mmkit.scratch.layers.mlp`, not an answer" in message


def test_the_reference_answers_do_not_disturb_torchs_generator():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    before = torch.random.get_rng_state().clone()
    assert check_count_parameters(count_solution).ok
    assert torch.equal(before, torch.random.get_rng_state())
