"""Notebook 04's exercise checks accept the solutions and name the typical mistakes."""

import numpy as np
import pytest

from mmkit.demos.optimizers import paths_for
from mmkit.exercises import _reference
from mmkit.exercises.optimizers import (
    ADAM_LATER_STEP,
    MOMENTUM_CASE,
    _momentum_feedback,
    check_adam_step,
    check_bowl_learning_rate,
    check_momentum_step,
)
from mmkit.scratch.layers import Parameter
from mmkit.scratch.optim import SGD, Adam, AdamW
from mmkit.scratch.surfaces import SURFACES, trajectory


def unfinished(*args, **kwargs):
    raise NotImplementedError()


# --------------------------------------------------------------------------- momentum

def momentum_solution(p, g, velocity, lr, momentum):
    velocity = momentum * velocity + g
    return p - lr * velocity, velocity


def momentum_in_place(p, g, velocity, lr, momentum):
    velocity *= momentum
    velocity += g
    p -= lr * velocity
    return p, velocity


def test_momentum_solution_passes():
    assert check_momentum_step(momentum_solution).ok
    assert check_momentum_step(momentum_in_place).ok
    assert "torch.optim.SGD(momentum=0.9)" in check_momentum_step(momentum_solution).message


def test_momentum_reference_is_torch_sgd_from_a_given_velocity():
    case = MOMENTUM_CASE
    new_p, new_v = _reference.optimizers_momentum_step(**case)
    velocity = case["momentum"] * case["velocity"] + case["g"]
    np.testing.assert_allclose(new_v, velocity, rtol=1e-15)
    np.testing.assert_allclose(new_p, case["p"] - case["lr"] * velocity, rtol=1e-15)
    assert case["p"][0] == 1.0  # the case itself is left alone


# The kit's own optimizer, passed off as the answer or called from one: refused.

def sgd_wrapped(p, g, velocity, lr, momentum):
    param = Parameter(p.copy())
    sgd = SGD([param], lr=lr, momentum=momentum)
    sgd.state[0]["momentum_buffer"] = velocity.copy()
    param.grad[...] = g
    sgd.step()
    return param.data, sgd.state[0]["momentum_buffer"]


def momentum_by_trajectory(p, g, velocity, lr, momentum):
    trajectory("SGD", "bowl", 1, lr=lr, momentum=momentum)
    return momentum_solution(p, g, velocity, lr, momentum)


def momentum_by_a_demo(p, g, velocity, lr, momentum):
    paths_for("bowl", {"mine": ("SGD", {"lr": lr, "momentum": momentum})}, steps=1)
    return momentum_solution(p, g, velocity, lr, momentum)


@pytest.mark.parametrize("answer, kit", [
    (SGD.step, "mmkit.scratch.optim.SGD.step"),
    (momentum_by_a_demo, "mmkit.scratch.surfaces.trajectory"),
    (sgd_wrapped, "mmkit.scratch.optim.SGD.__init__"),
    (momentum_by_trajectory, "mmkit.scratch.surfaces.trajectory"),
    (_reference.optimizers_momentum_step,
     "mmkit.exercises._reference.optimizers_momentum_step"),
])
def test_the_kits_own_momentum_step_is_refused(answer, kit):
    np.testing.assert_allclose(sgd_wrapped(**MOMENTUM_CASE)[0],
                               momentum_solution(**MOMENTUM_CASE)[0])  # right, outside a check
    feedback = check_momentum_step(answer)
    assert not feedback.ok
    assert f"the kit's own `{kit}`" in feedback.message, feedback.message


@pytest.mark.parametrize("answer, phrase", [
    (lambda p, g, b, lr, mu: (p + lr * (mu * b + g), mu * b + g), "goes uphill: subtract"),
    (lambda p, g, b, lr, mu: (p - lr * (mu * b + g), b), "your new velocity is the old one"),
    (lambda p, g, b, lr, mu: (p - lr * b, mu * b + g), "stepped along the old velocity"),
    (lambda p, g, b, lr, mu: (p - lr * mu * b, mu * b + g), "uses only the old velocity μb"),
    (lambda p, g, b, lr, mu: (p - lr * g, mu * b + g), "plain gradient descent"),
    (lambda p, g, b, lr, mu: (p - lr * g, g), "your new velocity is just g"),
    (lambda p, g, b, lr, mu: (p, mu * b + (1 - mu) * g), "a moving average (that is `dampening`)"),
    (lambda p, g, b, lr, mu: (p, mu * b - g), "velocity has the wrong sign"),
    (lambda p, g, b, lr, mu: (p, b + mu * g), "μ multiplies the old velocity"),
    (lambda p, g, b, lr, mu: (mu * b + g, p - lr * (mu * b + g)), "you returned (velocity, p)"),
    (lambda p, g, b, lr, mu: p - lr * (mu * b + g), "return 2 values, (new_p, new_velocity)"),
    (lambda p, g, b, lr, mu: None, "returned None"),
])
def test_momentum_mistakes_are_named(answer, phrase):
    def function(p, g, velocity, lr, momentum):
        return answer(p, g, velocity, lr, momentum)

    feedback = check_momentum_step(function)
    assert not feedback.ok
    assert phrase in feedback.message, feedback.message


def test_momentum_mistake_only_visible_over_several_steps():
    """Right on the given case, but the velocity restarts whenever it is zero."""
    def restarts(p, g, velocity, lr, momentum):
        if not velocity.any():
            velocity = np.ones_like(g)
        velocity = momentum * velocity + g
        return p - lr * velocity, velocity

    feedback = check_momentum_step(restarts)
    assert not feedback.ok and feedback.message.startswith("step 1 from zero velocity")


def test_unfinished_momentum_is_not_answered():
    assert "Not answered yet" in check_momentum_step(unfinished).message


# --------------------------------------------------------------------------- Adam

def adam_solution(p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_variant(update=None, return_corrected_m=False):
    """The solution with its update replaced by update(m, v, m_hat, v_hat, g, lr, eps)."""
    def step(p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        if update is None:
            new_p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        else:
            new_p = p - update(m, v, m_hat, v_hat, g, lr, eps)
        return new_p, m_hat if return_corrected_m else m, v
    return step


def test_adam_solution_passes():
    assert check_adam_step(adam_solution).ok
    assert "torch.optim.Adam" in check_adam_step(adam_solution).message


def test_adam_reference_is_torch_adam_from_given_averages():
    expected = adam_solution(**ADAM_LATER_STEP)
    for got, want in zip(_reference.optimizers_adam_step(**ADAM_LATER_STEP), expected,
                         strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-14)


def adam_wrapped(p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, cls=Adam):
    param = Parameter(p.copy())
    adam = cls([param], lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=0)
    adam.state[0].update(step=t - 1, exp_avg=m.copy(), exp_avg_sq=v.copy())
    param.grad[...] = g
    adam.step()
    return param.data, adam.state[0]["exp_avg"], adam.state[0]["exp_avg_sq"]


def adamw_wrapped(p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return adam_wrapped(p, g, m, v, t, lr, beta1, beta2, eps, cls=AdamW)


@pytest.mark.parametrize("answer, kit", [
    (Adam.step, "mmkit.scratch.optim.Adam.step"),
    (adam_wrapped, "mmkit.scratch.optim.Adam.__init__"),
    (adamw_wrapped, "mmkit.scratch.optim.AdamW.__init__"),
    (_reference.optimizers_adam_step, "mmkit.exercises._reference.optimizers_adam_step"),
])
def test_the_kits_own_adam_step_is_refused(answer, kit):
    np.testing.assert_allclose(adam_wrapped(**ADAM_LATER_STEP)[0],
                               adam_solution(**ADAM_LATER_STEP)[0])  # right, outside a check
    feedback = check_adam_step(answer)
    assert not feedback.ok
    assert f"the kit's own `{kit}`" in feedback.message, feedback.message


@pytest.mark.parametrize("update, phrase", [
    (lambda m, v, m_hat, v_hat, g, lr, eps: lr * m / (np.sqrt(v) + eps),
     "the bias correction is missing"),
    (lambda m, v, m_hat, v_hat, g, lr, eps: lr * m / (np.sqrt(v_hat) + eps),
     "only v is bias-corrected"),
    (lambda m, v, m_hat, v_hat, g, lr, eps: lr * m_hat / (np.sqrt(v) + eps),
     "only m is bias-corrected"),
    (lambda m, v, m_hat, v_hat, g, lr, eps: lr * m_hat / np.sqrt(v_hat + eps),
     "ε is inside the square root"),
    (lambda m, v, m_hat, v_hat, g, lr, eps: lr * m_hat / (v_hat + eps),
     "the square root is missing"),
    (lambda m, v, m_hat, v_hat, g, lr, eps: -lr * m_hat / (np.sqrt(v_hat) + eps),
     "goes uphill"),
    (lambda m, v, m_hat, v_hat, g, lr, eps: lr * g / (np.sqrt(v_hat) + eps),
     "you stepped along g"),
])
def test_adam_update_mistakes_are_named(update, phrase):
    feedback = check_adam_step(adam_variant(update=update))
    assert not feedback.ok
    assert phrase in feedback.message, feedback.message


def test_missing_bias_correction_is_caught_on_the_first_step():
    feedback = check_adam_step(adam_variant(
        update=lambda m, v, m_hat, v_hat, g, lr, eps: lr * m / (np.sqrt(v) + eps)))
    assert feedback.message.startswith("the first step (t = 1): the bias correction is missing")


def test_eps_placement_is_caught_on_the_later_step():
    feedback = check_adam_step(adam_variant(
        update=lambda m, v, m_hat, v_hat, g, lr, eps: lr * m_hat / np.sqrt(v_hat + eps)))
    assert feedback.message.startswith("a later step (t = 3, ε = 1e-3): ε is inside")


def test_returning_the_corrected_average_is_named():
    feedback = check_adam_step(adam_variant(return_corrected_m=True))
    assert not feedback.ok and "return the raw average m" in feedback.message, feedback.message


def test_adam_average_mistakes_are_named():
    def swapped_beta1(p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        return adam_solution(p, g, m, v, t, lr, 1 - beta1, beta2, eps)

    def unsquared(p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        new_p, new_m, _ = adam_solution(p, g, m, v, t, lr, beta1, beta2, eps)
        return new_p, new_m, beta2 * v + (1 - beta2) * g

    assert "β₁ weights the past" in check_adam_step(swapped_beta1).message
    assert "v averages the squared gradient" in check_adam_step(unsquared).message


def test_adam_wrong_shapes_and_arity():
    def two_values(p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        return adam_solution(p, g, m, v, t, lr, beta1, beta2, eps)[:2]

    def summed(p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        new_p, new_m, new_v = adam_solution(p, g, m, v, t, lr, beta1, beta2, eps)
        return new_p.sum(), new_m, new_v

    assert "return 3 values, (new_p, new_m, new_v); got 2 values" in \
        check_adam_step(two_values).message
    assert "has shape ()" in check_adam_step(summed).message

    def strings(p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        _, new_m, new_v = adam_solution(p, g, m, v, t, lr, beta1, beta2, eps)
        return ["a", "b", "c"], new_m, new_v

    assert "should be an array of numbers" in check_adam_step(strings).message


def test_unfinished_adam_is_not_answered():
    assert "Not answered yet" in check_adam_step(unfinished).message


# --------------------------------------------------------------------------- learning rate

@pytest.mark.parametrize("lr", [0.05, 0.08, 0.095])
def test_learning_rates_that_converge_pass(lr):
    feedback = check_bowl_learning_rate(lambda: lr)
    assert feedback.ok and "Correct!" in feedback.message


@pytest.mark.parametrize("lr, phrase", [
    (0.11, "diverges: the path leaves the box at step 2"),
    (1.0, "that shrinks only if η < 2/20 = 0.1"),
    (0.01, "too slow: after 100 steps f = 1.07"),
    (0.01, "Along the flat x-direction"),
    (0.098, "It zigzags across the valley"),
    (0.1, "which never shrinks it"),
    (-0.1, "must be a positive number"),
    ("0.05", "should be a single number, got str"),
    (None, "returned None"),
])
def test_bad_learning_rates_are_named(lr, phrase):
    feedback = check_bowl_learning_rate(lambda: lr)
    assert not feedback.ok
    assert phrase in feedback.message, feedback.message


def test_bowl_reference_is_gd_in_closed_form():
    for lr in (0.01, 0.09, 0.1):
        path, losses = _reference.optimizers_bowl_gd_path(lr, 100)
        np.testing.assert_allclose(path, trajectory("GD", "bowl", 100, lr=lr), atol=1e-12)
        np.testing.assert_allclose(losses, SURFACES["bowl"].function(path[:, 0], path[:, 1]))


def test_learning_rate_found_with_the_kit_is_fine():
    """Experimenting with `trajectory` is what the exercise suggests: not refused."""
    def searched():
        return next(lr for lr in (0.01, 0.03, 0.09)
                    if trajectory("GD", "bowl", 100, lr=lr)[-1] @ [1, 0] > -0.1)

    assert check_bowl_learning_rate(searched).ok


def test_unfinished_learning_rate_is_not_answered():
    assert "Not answered yet" in check_bowl_learning_rate(unfinished).message


def test_an_unnamed_first_step_mistake_points_at_the_bias_correction():
    feedback = check_adam_step(adam_variant(
        update=lambda m, v, m_hat, v_hat, g, lr, eps: 5 * lr * m_hat / (np.sqrt(v_hat) + eps)))
    assert not feedback.ok
    assert feedback.message.startswith("the first step (t = 1): 3 of 3 values of your new p")
    assert "at t = 1 Adam moves every entry by about η" in feedback.message


def test_a_mistake_that_is_right_on_a_case_is_not_named_there():
    """From rest, "the velocity is just g" gives the right velocity: a correct answer must
    not be told it made that mistake (it is caught on the case with a velocity)."""
    case = dict(p=np.ones(2), g=np.array([0.5, -1.0]), velocity=np.zeros(2), lr=0.1,
                momentum=0.9)
    assert _momentum_feedback(momentum_solution(**case), case).ok
    assert check_momentum_step(lambda p, g, velocity, lr, momentum:
                               (p - lr * g, g)).message.startswith("your new velocity is just g")
