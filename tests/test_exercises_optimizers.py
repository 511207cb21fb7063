"""Notebook 04's exercise checks accept the solutions and name the typical mistakes."""

import numpy as np
import pytest

from mmkit.exercises.optimizers import (
    adam_reference,
    check_adam_step,
    check_bowl_learning_rate,
    check_momentum_step,
    momentum_reference,
)


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


def test_momentum_solution_and_reference_pass():
    assert check_momentum_step(momentum_solution).ok
    assert check_momentum_step(momentum_reference).ok
    assert check_momentum_step(momentum_in_place).ok
    assert "SGD(momentum=0.9)" in check_momentum_step(momentum_solution).message


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


def test_adam_solution_and_reference_pass():
    assert check_adam_step(adam_solution).ok
    assert check_adam_step(adam_reference).ok
    assert "torch.optim.Adam" in check_adam_step(adam_solution).message


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


def test_unfinished_learning_rate_is_not_answered():
    assert "Not answered yet" in check_bowl_learning_rate(unfinished).message
