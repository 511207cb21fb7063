"""Notebook 06's exercise checks accept the solutions and name the typical mistakes."""

import pytest
import torch
import torch.nn.functional as F

from mmkit.exercises.gans import (
    DISCRIMINATOR_LOSS_KIT,
    DISCRIMINATOR_STEP_KIT,
    GENERATOR_LOSS_KIT,
    check_discriminator_loss,
    check_discriminator_step,
    check_generator_loss,
)
from mmkit.models import gan


def stub(*args):
    raise NotImplementedError()


def bce(logits, label):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


# --- exercise 1: the discriminator's loss -------------------------------------------------------

def discriminator_loss_solution(real_logits, fake_logits):
    return bce(real_logits, 1.0) + bce(fake_logits, 0.0)


def discriminator_loss_softplus(real_logits, fake_logits):
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


@pytest.mark.parametrize("solution", [discriminator_loss_solution, discriminator_loss_softplus])
def test_discriminator_loss_accepts_the_solutions(solution):
    feedback = check_discriminator_loss(solution)
    assert feedback.ok and feedback.message.startswith("Correct!")
    assert "on the first batch" in feedback.message


@pytest.mark.parametrize("answer, phrase", [
    (lambda r, f: bce(r, 0.0) + bce(f, 1.0), "The labels are swapped"),
    (lambda r, f: bce(r, 1.0), "Only the real term"),
    (lambda r, f: bce(f, 0.0), "Only the fake term"),
    (lambda r, f: bce(torch.sigmoid(r), 1.0) + bce(torch.sigmoid(f), 0.0),
     "You applied σ before a loss that takes logits"),
    (lambda r, f: (bce(r, 1.0) + bce(f, 0.0)) / 2, "you averaged the two terms"),
    (lambda r, f: F.binary_cross_entropy_with_logits(
        torch.cat([r, f]), torch.cat([torch.ones_like(r), torch.zeros_like(f)])),
     "one mean over all 10 logits together"),
    (lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum(), "You summed over the batch"),
    (lambda r, f: -(bce(r, 1.0) + bce(f, 0.0)), "The sign is flipped"),
    (lambda r, f: -torch.log(r).mean() - torch.log(1 - f).mean(), "you took the log of a logit"),
    (lambda r, f: -torch.log(torch.sigmoid(r)).mean() - torch.log(1 - torch.sigmoid(f)).mean(),
     "inf for a confident discriminator"),
    (lambda r, f: (bce(r, 1.0) + bce(f, 0.0)).item(), "you returned a float without a graph"),
    (lambda r, f: None, "did you forget to `return` it?"),
])
def test_discriminator_loss_names_typical_mistakes(answer, phrase):
    feedback = check_discriminator_loss(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- exercise 2: the non-saturating generator loss ----------------------------------------------

def generator_loss_solution(fake_logits):
    return bce(fake_logits, 1.0)


def test_generator_loss_accepts_the_solution():
    feedback = check_generator_loss(generator_loss_solution)
    assert feedback.ok and feedback.message.startswith("Correct!")
    feedback = check_generator_loss(lambda f: -F.logsigmoid(f).mean())
    assert feedback.ok


@pytest.mark.parametrize("answer, phrase", [
    (lambda f: -F.softplus(f).mean(), "That is the saturating loss"),
    (lambda f: torch.log(1 - torch.sigmoid(f)).mean(), "That is the saturating loss"),
    (lambda f: bce(f, 0.0), "That is BCE with label 0"),
    (lambda f: -bce(f, 1.0), "The sign is flipped"),
    (lambda f: bce(torch.sigmoid(f), 1.0), "You applied σ before a loss that takes logits"),
    (lambda f: F.softplus(-f).sum(), "You summed over the batch"),
    (lambda f: (1 - torch.sigmoid(f)).mean(), "You averaged 1 − D(G(z))"),
    (lambda f: -torch.log(torch.sigmoid(f)).mean(), "inf for a confident discriminator"),
    (lambda f: -torch.log(f).mean(), "you took the log of a logit"),
    (lambda f: bce(f, 1.0).detach(), "you returned a Tensor without a graph"),
])
def test_generator_loss_names_typical_mistakes(answer, phrase):
    feedback = check_generator_loss(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- exercise 3: one step of the discriminator --------------------------------------------------

def discriminator_step_solution(discriminator, optimizer, real, fake):
    optimizer.zero_grad()
    loss = discriminator_loss_solution(discriminator(real), discriminator(fake.detach()))
    loss.backward()
    optimizer.step()
    return loss.item()


def no_detach(discriminator, optimizer, real, fake):
    optimizer.zero_grad()
    loss = discriminator_loss_solution(discriminator(real), discriminator(fake))
    loss.backward()
    optimizer.step()
    return loss.item()


def no_zero_grad(discriminator, optimizer, real, fake):
    loss = discriminator_loss_solution(discriminator(real), discriminator(fake.detach()))
    loss.backward()
    optimizer.step()
    return loss.item()


def no_grad_fakes(discriminator, optimizer, real, fake):
    optimizer.zero_grad()
    with torch.no_grad():
        fake_logits = discriminator(fake)
    loss = discriminator_loss_solution(discriminator(real), fake_logits)
    loss.backward()
    optimizer.step()
    return loss.item()


def no_step(discriminator, optimizer, real, fake):
    optimizer.zero_grad()
    loss = discriminator_loss_solution(discriminator(real), discriminator(fake.detach()))
    loss.backward()
    return loss.item()


def swapped(discriminator, optimizer, real, fake):
    optimizer.zero_grad()
    loss = discriminator_loss_solution(discriminator(fake.detach()), discriminator(real))
    loss.backward()
    optimizer.step()
    return loss.item()


def uphill(discriminator, optimizer, real, fake):
    optimizer.zero_grad()
    loss = discriminator_loss_solution(discriminator(real), discriminator(fake.detach()))
    (-loss).backward()
    optimizer.step()
    return loss.item()


def no_return(discriminator, optimizer, real, fake):
    discriminator_step_solution(discriminator, optimizer, real, fake)


def test_discriminator_step_accepts_the_solution():
    feedback = check_discriminator_step(discriminator_step_solution)
    assert feedback.ok and feedback.message.startswith("Correct!")


@pytest.mark.parametrize("answer, phrase", [
    (no_detach, "Feed D fake.detach()"),
    (no_zero_grad, "call optimizer.zero_grad() before loss.backward()"),
    (no_grad_fakes, "torch.no_grad() around D(fake) blocks D's gradients too"),
    (no_step, "D's parameters did not change"),
    (swapped, "D learned with the labels swapped"),
    (uphill, "D stepped uphill"),
    (no_return, "now return its loss too"),
])
def test_discriminator_step_names_typical_mistakes(answer, phrase):
    feedback = check_discriminator_step(answer)
    assert not feedback.ok
    assert phrase in feedback.message


def test_the_step_leaves_no_trace_between_checks():
    """A wrong step first does not change what the next check sees."""
    assert not check_discriminator_step(no_zero_grad).ok
    assert check_discriminator_step(discriminator_step_solution).ok


# --- all three: an unfinished stub, the kit's own answer ----------------------------------------

@pytest.mark.parametrize("check", [check_discriminator_loss, check_generator_loss,
                                   check_discriminator_step])
def test_an_unfinished_stub_is_not_answered_yet(check):
    feedback = check(stub)
    assert not feedback.ok
    assert "Not answered yet" in feedback.message


@pytest.mark.parametrize("check, kit", [
    (check_discriminator_loss, gan.discriminator_loss),
    (check_generator_loss, gan.generator_loss),
    (check_discriminator_step, gan.discriminator_step),
])
def test_the_kits_own_function_passed_off_directly_is_refused(check, kit):
    feedback = check(kit)
    assert not feedback.ok
    assert f"that is the kit's own `{kit.__module__}.{kit.__qualname__}`, not an answer" in \
        feedback.message


def wrapped_discriminator_loss(real_logits, fake_logits):
    return gan.discriminator_loss(real_logits, fake_logits)


def wrapped_generator_loss(fake_logits):
    return gan.generator_loss(fake_logits)


def wrapped_step(discriminator, optimizer, real, fake):
    return gan.discriminator_step(discriminator, optimizer, real, fake)


def step_with_the_kits_loss(discriminator, optimizer, real, fake):
    optimizer.zero_grad()
    loss = gan.discriminator_loss(discriminator(real), discriminator(fake.detach()))
    loss.backward()
    optimizer.step()
    return loss.item()


def step_through_make_step(discriminator, optimizer, real, fake):
    model = gan.GAN(gan.RING)
    model.discriminator, model.d_optimizer = discriminator, optimizer
    return gan.make_step(model)(real)["discriminator"]


@pytest.mark.parametrize("check, answer, used", [
    (check_discriminator_loss, wrapped_discriminator_loss, gan.discriminator_loss),
    (check_generator_loss, wrapped_generator_loss, gan.generator_loss),
    (check_discriminator_step, wrapped_step, gan.discriminator_step),
    (check_discriminator_step, step_with_the_kits_loss, gan.discriminator_loss),
    (check_discriminator_step, step_through_make_step, gan.make_step),
])
def test_the_kits_own_function_wrapped_is_refused(check, answer, used):
    feedback = check(answer)
    assert not feedback.ok
    assert f"calls the kit's own `{used.__module__}.{used.__qualname__}`" in feedback.message


def test_each_check_switches_off_what_it_asks_for():
    names = {f.__qualname__ for f in DISCRIMINATOR_LOSS_KIT}
    assert {"discriminator_loss", "generator_loss", "saturating_generator_loss"} <= names
    assert GENERATOR_LOSS_KIT == DISCRIMINATOR_LOSS_KIT
    assert {f.__qualname__ for f in DISCRIMINATOR_STEP_KIT} >= {"discriminator_step",
                                                                "make_step",
                                                                "discriminator_loss"}
