"""Checks for notebook 06's exercises: the discriminator's loss, the generator's loss, D's step.

    check_discriminator_loss(discriminator_loss)   BCE: real labelled 1, fake 0, from logits
    check_generator_loss(generator_loss)           the non-saturating −mean log D(G(z))
    check_discriminator_step(discriminator_step)   one update of D, with the fakes detached

Each check runs the learner's function on fixed PyTorch tensors with the kit's own
versions switched off (`@check(kit=...)`: the losses and steps of `mmkit.models.gan`),
compares with the private references of `_reference` (PyTorch's
F.binary_cross_entropy_with_logits and torch.optim.SGD), and names the typical
mistake when there is one (swapped labels, a missing term, σ applied twice, the
saturating loss, a flipped sign, a log of a rounded 0, a forgotten detach or zero_grad).
A check returns `Feedback`; it never raises on a wrong answer.
"""

import copy
from collections.abc import Callable

import numpy as np
import torch

from mmkit.exercises import _reference
from mmkit.exercises.feedback import (
    Feedback,
    attempt,
    check,
    correct,
    diagnose,
    known_mistake,
    wrong,
)
from mmkit.models import gan

TOLERANCE = dict(rtol=1e-5, atol=1e-6)  # float32 tensors against float64 references


def _softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + eˣ), stable: −log σ(−x)."""
    return np.logaddexp(0.0, x)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _value(out: object) -> object:
    """A learner's loss as something `diagnose` reads: a tensor becomes a NumPy array."""
    if isinstance(out, torch.Tensor):
        return out.detach().double().numpy()
    return out


def _nan_or_inf(out: object) -> tuple[bool, bool]:
    """(is NaN, is ±inf) for a single number or a one-number tensor; (False, False) for
    anything else (None included)."""
    value = _value(out)
    if not isinstance(value, int | float | np.number | np.ndarray) or np.size(value) != 1:
        return False, False
    try:
        number = float(np.asarray(value, dtype=float).reshape(()))
    except (TypeError, ValueError):
        return False, False
    return bool(np.isnan(number)), bool(np.isinf(number))


def _logits(values: list[float]) -> torch.Tensor:
    """Logits (N,) as the discriminator produces them: float32, part of a graph."""
    return torch.tensor(values, dtype=torch.float32, requires_grad=True)


def _fresh(t: torch.Tensor) -> torch.Tensor:
    return t.detach().clone().requires_grad_()


def _keeps_graph(out: object) -> Feedback | None:
    """None if the loss is a tensor that backward() can start from, else what is wrong."""
    if isinstance(out, torch.Tensor) and out.requires_grad:
        return None
    kind = type(out).__name__
    return wrong(f"The value is right, but you returned a {kind} without a graph: return the "
                 "loss as a tensor (no .item(), no NumPy, no torch.no_grad()), so that "
                 "loss.backward() can train the network.")


#: Logits of a very confident discriminator: σ rounds them to exactly 0 or 1 in float32.
CONFIDENT_REAL = [-120.0, 3.0, 0.5]
CONFIDENT_FAKE = [120.0, -2.0, -120.0]

STABILITY = ("inf for a confident discriminator (logits like ±120): σ rounds to exactly 0 "
             "or 1 in float32, and log(0) = −inf. Stay in logits: "
             "F.binary_cross_entropy_with_logits, F.softplus or F.logsigmoid never take the "
             "log of a rounded 0 (log σ(a) = −softplus(−a), log(1 − σ(a)) = −softplus(a)).")
LOG_OF_LOGIT = ("NaN: you took the log of a logit. A logit can be negative; the "
                "discriminator's probability is D = σ(logit): use "
                "F.binary_cross_entropy_with_logits, which takes logits.")


def _stable_when_confident(loss: Callable, logits: tuple, expected: float) -> Feedback | None:
    """What is wrong with `loss(*logits)` on confident logits (±120), where a loss written
    with log(σ(z)) overflows, or None."""
    out = attempt(loss, *(_fresh(t) for t in logits))
    problem = known_mistake(_nan_or_inf(out), [((False, True), STABILITY),
                                               ((True, False), LOG_OF_LOGIT)])
    if problem is None:
        problem = diagnose(_value(out), expected, name="your loss on confident logits",
                           **TOLERANCE)
    return problem


# --- exercise 1: the discriminator's loss -------------------------------------------------------

DISCRIMINATOR_LOSS_KIT = [gan.discriminator_loss, gan.generator_loss,
                          gan.saturating_generator_loss, gan.discriminator_step,
                          gan.generator_step]

REAL_LOGITS = [2.1, -0.4, 1.3, 0.2, 3.0, -1.1]
FAKE_LOGITS = [-1.7, 0.6, -2.4, -0.3]


@check(kit=DISCRIMINATOR_LOSS_KIT)
def check_discriminator_loss(discriminator_loss: Callable) -> Feedback:
    """`discriminator_loss(real_logits (N,), fake_logits (M,))` → −mean log D(x) −
    mean log(1 − D(G(z))), a 0-d tensor."""
    real, fake = _logits(REAL_LOGITS), _logits(FAKE_LOGITS)
    r, f = np.array(REAL_LOGITS, dtype=np.float64), np.array(FAKE_LOGITS, dtype=np.float64)
    expected = _reference.gans_discriminator_loss(real, fake)
    out = attempt(discriminator_loss, _fresh(real), _fresh(fake))
    n, m = len(r), len(f)
    real_term, fake_term = _softplus(-r), _softplus(f)
    problem = known_mistake(_nan_or_inf(out), [((True, False), LOG_OF_LOGIT)])
    if problem is None:
        problem = diagnose(_value(out), expected, [
            (_softplus(r).mean() + _softplus(-f).mean(),
             "The labels are swapped: real samples get label 1 (D should say real), fakes "
             "label 0."),
            (real_term.mean(), "Only the real term: D must also learn to reject the fakes, "
                               "+ BCE(fake_logits, 0) = −mean log(1 − D(G(z)))."),
            (fake_term.mean(), "Only the fake term: D must also learn to accept the real "
                               "samples, + BCE(real_logits, 1) = −mean log D(x)."),
            (_softplus(-_sigmoid(r)).mean() + _softplus(_sigmoid(f)).mean(),
             "You applied σ before a loss that takes logits: "
             "F.binary_cross_entropy_with_logits applies σ itself, so pass the raw logits."),
            (expected / 2, "Half the expected loss: you averaged the two terms. Here D's loss "
                           "is their sum, −mean log D(x) − mean log(1 − D(G(z)))."),
            ((real_term.sum() + fake_term.sum()) / (n + m),
             f"You took one mean over all {n + m} logits together; each term is its own mean "
             f"(over the {n} real and over the {m} fake samples), then add the two."),
            (real_term.sum() + fake_term.sum(),
             "You summed over the batch: take the mean of each term."),
            (-expected, "The sign is flipped: a cross-entropy is never negative; the loss is "
                        "−mean log D(x) − mean log(1 − D(G(z)))."),
        ], "your loss", hint="Expected BCE(real_logits, 1) + BCE(fake_logits, 0), each the "
                             "mean over its batch, as one number.", **TOLERANCE)
    if problem is not None:
        return problem
    problem = _keeps_graph(out)
    if problem is not None:
        return problem

    real, fake = _logits(CONFIDENT_REAL), _logits(CONFIDENT_FAKE)
    problem = _stable_when_confident(discriminator_loss, (real, fake),
                                     _reference.gans_discriminator_loss(real, fake))
    if problem is not None:
        return problem
    return correct(f"Correct! D's loss is {expected:.4f} on the first batch, and finite for "
                   "a confident discriminator: the same as PyTorch's "
                   "F.binary_cross_entropy_with_logits with labels 1 and 0.")


# --- exercise 2: the non-saturating generator loss ----------------------------------------------

GENERATOR_LOSS_KIT = DISCRIMINATOR_LOSS_KIT

GENERATED_LOGITS = [-2.2, 0.4, -1.5, -0.1, 1.2]


@check(kit=GENERATOR_LOSS_KIT)
def check_generator_loss(generator_loss: Callable) -> Feedback:
    """`generator_loss(fake_logits (M,))` → −mean log D(G(z)), a 0-d tensor."""
    fake = _logits(GENERATED_LOGITS)
    f = np.array(GENERATED_LOGITS, dtype=np.float64)
    expected = _reference.gans_generator_loss(fake)
    out = attempt(generator_loss, _fresh(fake))
    problem = known_mistake(_nan_or_inf(out), [((True, False), LOG_OF_LOGIT)])
    if problem is None:
        problem = diagnose(_value(out), expected, [
            (-_softplus(f).mean(),
             "That is the saturating loss mean log(1 − D(G(z))) of the original minimax "
             "game: its gradient vanishes when D spots the fakes, at the start of training. "
             "Minimise −mean log D(G(z)) instead (BCE with label 1 for the fakes)."),
            (_softplus(f).mean(),
             "That is BCE with label 0, the discriminator's target for fakes: the generator "
             "wants D to call its samples real, so its fakes get label 1."),
            (-expected, "The sign is flipped: that would *lower* D(G(z)). The generator "
                        "minimises −mean log D(G(z)), which is positive."),
            (_softplus(-_sigmoid(f)).mean(),
             "You applied σ before a loss that takes logits: "
             "F.binary_cross_entropy_with_logits applies σ itself, so pass the raw logits."),
            (_softplus(-f).sum(), "You summed over the batch: take the mean."),
            ((1 - _sigmoid(f)).mean(), "You averaged 1 − D(G(z)), a probability: the loss is "
                                       "−log D(G(z)), averaged."),
        ], "your loss", hint="Expected −mean log D(G(z)) = BCE(fake_logits, 1), one number.",
            **TOLERANCE)
    if problem is not None:
        return problem
    problem = _keeps_graph(out)
    if problem is not None:
        return problem

    fake = _logits(CONFIDENT_FAKE)
    confident = _reference.gans_generator_loss(fake)
    problem = _stable_when_confident(generator_loss, (fake,), confident)
    if problem is not None:
        return problem
    return correct(f"Correct! G's loss is {expected:.4f} on the first batch, and "
                   f"{confident:.1f} when D confidently rejects a fake (logit −120): the "
                   "generator gets its strongest push exactly when it is worst.")


# --- exercise 3: one step of the discriminator --------------------------------------------------

DISCRIMINATOR_STEP_KIT = [gan.discriminator_step, gan.generator_step, gan.make_step,
                          gan.train_discriminator, gan.discriminator_loss]

STEP_LR = 0.1


def _step_case() -> tuple[torch.nn.Module, torch.nn.Module, torch.Tensor, torch.Tensor]:
    """A small G and D (seeded), real samples (16, 2), fakes G(z) (16, 2) still attached to
    G, and D holding stale gradients, as the generator's backward leaves them (a deep copy
    of D does not copy them: see `_stale`)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(6)
        generator = gan.Generator(latent_dim=2, data_dim=2, hidden=8)
        discriminator = gan.Discriminator(data_dim=2, hidden=8)
        real = torch.randn(16, 2) + 2.0
        fake = generator(torch.randn(16, 2))
        for parameter in discriminator.parameters():
            parameter.grad = 0.5 * torch.randn_like(parameter)
    return generator, discriminator, real, fake


def _stale(discriminator: torch.nn.Module) -> list[torch.Tensor]:
    """Copies of D's gradients (one per parameter)."""
    return [p.grad.clone() for p in discriminator.parameters()]


def _flat(module: torch.nn.Module) -> np.ndarray:
    return torch.cat([p.detach().reshape(-1) for p in module.parameters()]).numpy().copy()


def _outcome(discriminator: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor,
             real_label: float = 1.0, fake_label: float | None = 0.0,
             stale: list[torch.Tensor] | None = None, direction: float = 1.0) -> np.ndarray:
    """D's parameters (P,) after one SGD step done some (possibly wrong) way, on a copy;
    stale: gradients left in D (a forgotten zero_grad), None for a clean start."""
    model = copy.deepcopy(discriminator)
    model.zero_grad()
    for parameter, grad in zip(model.parameters(), stale or [], strict=False):
        parameter.grad = grad.clone()
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    logits = model(real.detach())
    loss = bce(logits, torch.full_like(logits, real_label))
    if fake_label is not None:
        fake_logits = model(fake.detach())
        loss = loss + bce(fake_logits, torch.full_like(fake_logits, fake_label))
    loss.backward()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter -= direction * STEP_LR * parameter.grad
    return _flat(model)


@check(kit=DISCRIMINATOR_STEP_KIT)
def check_discriminator_step(discriminator_step: Callable) -> Feedback:
    """`discriminator_step(discriminator, optimizer, real, fake)` → D's loss (a number);
    updates D once, leaves the generator's gradients untouched."""
    generator, discriminator, real, fake = _step_case()
    expected, expected_loss = _reference.gans_discriminator_step(discriminator, real, fake,
                                                                 STEP_LR)
    before, stale = copy.deepcopy(discriminator), _stale(discriminator)
    optimizer = torch.optim.SGD(discriminator.parameters(), lr=STEP_LR)
    out = attempt(discriminator_step, discriminator, optimizer, real, fake)
    problem = diagnose(_flat(discriminator), expected, [
        (_flat(before), "D's parameters did not change: call optimizer.step() after "
                        "loss.backward()."),
        (_outcome(before, real, fake, stale=stale),
         "D's update also used stale gradients: the generator's backward fills D's .grad "
         "too, so call optimizer.zero_grad() before loss.backward()."),
        (_outcome(before, real, fake, real_label=0.0, fake_label=1.0),
         "D learned with the labels swapped: real samples get label 1, fakes label 0."),
        (_outcome(before, real, fake, fake_label=None),
         "D learned from the real samples only: the fake term is missing, or carries no "
         "gradient (torch.no_grad() around D(fake) blocks D's gradients too; detach the "
         "fakes instead)."),
        (_outcome(before, real, fake, direction=-1.0),
         "D stepped uphill: minimise D's loss (optimizer.step() after loss.backward() on the "
         "loss itself, not on its negative)."),
    ], "D's parameters after your step", hint="Check that your discriminator_loss passes "
                                               "exercise 1.", **TOLERANCE)
    if problem is not None:
        return problem
    touched = [name for name, p in generator.named_parameters()
               if p.grad is not None and bool(p.grad.abs().sum() > 0)]
    if touched:
        return wrong(f"D's update is right, but D's loss reached the generator: "
                     f"{len(touched)} of its parameter tensors ({', '.join(touched[:2])}, ...) "
                     "now hold gradients. Feed D fake.detach(): otherwise backward() runs on "
                     "through G, adding D's objective to G's gradients and freeing G's graph, "
                     "so the generator's step on the same fakes fails.")
    if out is None:
        return wrong("D's update is right; now return its loss too: `return loss.item()`.")
    problem = diagnose(_value(out), expected_loss, name="the loss you returned",
                       hint="Return D's loss on this batch, computed before the step.",
                       **TOLERANCE)
    if problem is not None:
        return problem
    return correct("Correct! One step of D on detached fakes: D's parameters match "
                   "torch.optim.SGD's step, and the generator's gradients are untouched.")
