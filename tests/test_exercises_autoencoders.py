"""Notebook 05's exercise checks accept the solutions and name the typical mistakes."""

import numpy as np
import pytest
import torch

from mmkit.exercises import _reference
from mmkit.exercises.autoencoders import (
    KL_KIT,
    PSNR_KIT,
    REPARAMETERIZE_KIT,
    check_kl_divergence,
    check_psnr,
    check_reparameterize,
)
from mmkit.models import autoencoder as models


def stub(*args):
    raise NotImplementedError()


# --- exercise 1: the KL term --------------------------------------------------------------------

def kl_solution(mu, logvar):
    return 0.5 * (mu**2 + logvar.exp() - logvar - 1).sum(dim=1).mean()


def kl_with_torch_distributions(mu, logvar):
    from torch.distributions import Normal, kl_divergence

    return kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(dim=1).mean()


@pytest.mark.parametrize("answer", [
    kl_solution,
    kl_with_torch_distributions,
    lambda mu, lv: float(-0.5 * torch.mean(torch.sum(1 + lv - mu**2 - lv.exp(), dim=1))),
    lambda mu, lv: 0.5 * np.mean(np.sum(mu.numpy()**2 + np.exp(lv.numpy()) - lv.numpy() - 1,
                                        axis=1)),
])
def test_kl_accepts_the_solution_written_several_ways(answer):
    feedback = check_kl_divergence(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


@pytest.mark.parametrize("answer, phrase", [
    (lambda mu, lv: -kl_solution(mu, lv), "The sign is flipped"),
    (lambda mu, lv: 0.5 * (1 + lv - mu**2 - lv.exp()).sum(dim=1).mean(), "The sign is flipped"),
    (lambda mu, lv: 2 * kl_solution(mu, lv), "you forgot the ½"),
    (lambda mu, lv: 0.5 * (mu**2 + lv.exp() - lv - 1).sum(), "you summed over the N = 4 images"),
    (lambda mu, lv: 0.5 * (mu**2 + lv.exp() - lv - 1).mean(),
     "you averaged over the 3 latent dimensions"),
    (lambda mu, lv: 0.5 * (mu**2 + lv.exp() - lv - 1).sum(dim=1),
     "You returned one KL per image"),
    (lambda mu, lv: 0.5 * (mu**2 + (2 * lv).exp() - 2 * lv - 1).sum(dim=1).mean(),
     "You treated logvar as log σ"),
    (lambda mu, lv: 0.5 * (mu**2 + lv.exp() - lv).sum(dim=1).mean(), "You forgot the − 1"),
    (lambda mu, lv: 0.5 * (lv.exp() - lv - 1).sum(dim=1).mean(), "You forgot μ²"),
    (lambda mu, lv: None, "did you forget to `return` it?"),
    (lambda mu, lv: (mu - lv).abs().mean(), "½ Σⱼ (μⱼ² + σⱼ² − log σⱼ² − 1)"),
])
def test_kl_names_typical_mistakes(answer, phrase):
    feedback = check_kl_divergence(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- exercise 2: the reparameterisation ---------------------------------------------------------

def reparameterize_solution(mu, logvar, eps):
    return mu + torch.exp(0.5 * logvar) * eps


def test_reparameterize_accepts_the_solution():
    feedback = check_reparameterize(reparameterize_solution)
    assert feedback.ok and feedback.message.startswith("Correct!")
    assert check_reparameterize(lambda mu, lv, e: mu + lv.exp().sqrt() * e).ok


@pytest.mark.parametrize("answer, phrase", [
    (lambda mu, lv, e: mu + lv.exp() * e, "You scaled ε by the variance"),
    (lambda mu, lv, e: mu + lv * e, "logvar is log σ², not σ"),
    (lambda mu, lv, e: (0.5 * lv).exp() * e, "You forgot μ"),
    (lambda mu, lv, e: mu + e, "You forgot σ"),
    (lambda mu, lv, e: e, "You returned ε"),
    (lambda mu, lv, e: mu, "You returned μ: no sampling at all"),
    (lambda mu, lv, e: torch.normal(mu, (0.5 * lv).exp()), "using the ε passed in"),
    (lambda mu, lv, e: reparameterize_solution(mu, lv, e).detach(),
     "no gradient flows back to μ and log σ²"),
    (lambda mu, lv, e: mu.numpy(force=True) + np.exp(0.5 * lv.numpy(force=True)) * e.numpy(),
     "no gradient flows back to μ and log σ²"),
    (lambda mu, lv, e: mu.detach() + (0.5 * lv).exp() * e, "no gradient reaches μ"),
    (lambda mu, lv, e: mu + (0.5 * lv.detach()).exp() * e, "no gradient reaches log σ²"),
    (lambda mu, lv, e: mu + torch.exp(0.5 * lv).detach() * e + 0 * lv,
     "the gradient with respect to log σ² is not"),
])
def test_reparameterize_names_typical_mistakes(answer, phrase):
    feedback = check_reparameterize(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- exercise 3: PSNR ---------------------------------------------------------------------------

def psnr_solution(clean, estimate):
    return 10 * np.log10(1 / np.mean((clean - estimate) ** 2))


def test_psnr_accepts_the_solution():
    feedback = check_psnr(psnr_solution)
    assert feedback.ok and feedback.message.startswith("Correct!")
    assert check_psnr(lambda a, b: 20 * np.log10(1 / np.sqrt(np.mean((a - b) ** 2)))).ok


@pytest.mark.parametrize("answer, phrase", [
    (lambda a, b: 10 * np.log10(np.mean((a - b) ** 2)), "The sign is flipped"),
    (lambda a, b: 20 * np.log10(1 / np.mean((a - b) ** 2)), "the factor is 10"),
    (lambda a, b: 10 * np.log10(1 / np.sqrt(np.mean((a - b) ** 2))),
     "You used the RMSE with a factor of 10"),
    (lambda a, b: 10 * np.log(1 / np.mean((a - b) ** 2)), "That is the natural log"),
    (lambda a, b: 10 * np.log10(1 / np.sum((a - b) ** 2)), "You summed the squared errors"),
    (lambda a, b: np.mean(10 * np.log10(1 / np.mean((a - b) ** 2, axis=1))),
     "You averaged one PSNR per image"),
    (lambda a, b: 10 * np.log10(1 / np.mean(np.abs(a - b))), "mean *absolute* error"),
    (lambda a, b: 10 * np.log10(1 / np.mean((a - b) ** 2, axis=1)),
     "You returned one PSNR per image (shape (N,))"),
])
def test_psnr_names_typical_mistakes(answer, phrase):
    feedback = check_psnr(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- all three ----------------------------------------------------------------------------------

CHECKS = [check_kl_divergence, check_reparameterize, check_psnr]


@pytest.mark.parametrize("check", CHECKS)
def test_an_unfinished_stub_is_not_answered_yet(check):
    feedback = check(stub)
    assert not feedback.ok
    assert "Not answered yet" in feedback.message


@pytest.mark.parametrize("check, kit", [
    (check_kl_divergence, models.kl_divergence),
    (check_reparameterize, models.reparameterize),
    (check_psnr, models.psnr),
    (check_kl_divergence, _reference.autoencoders_kl_divergence),
    (check_psnr, _reference.autoencoders_psnr),
])
def test_the_kits_own_function_passed_off_directly_is_refused(check, kit):
    feedback = check(kit)
    assert not feedback.ok
    assert f"that is the kit's own `{kit.__module__}.{kit.__qualname__}`, not an answer" in \
        feedback.message


def kl_through_the_vae_module(mu, logvar):
    return models.kl_divergence(mu, logvar)


def reparameterize_through_a_vae(mu, logvar, eps):
    vae = models.VariationalAutoencoder(latent=mu.shape[1])
    return vae.decode(models.reparameterize(mu.float(), logvar.float(), eps.float()))


def psnr_by_levels(clean, estimate):
    return float(models.psnr(clean, estimate))


@pytest.mark.parametrize("check, answer, kit", [
    (check_kl_divergence, kl_through_the_vae_module, "mmkit.models.autoencoder.kl_divergence"),
    (check_kl_divergence, lambda mu, lv: float(models.kl_divergence(mu, lv)),
     "mmkit.models.autoencoder.kl_divergence"),
    (check_reparameterize, lambda mu, lv, e: models.reparameterize(mu, lv, e),
     "mmkit.models.autoencoder.reparameterize"),
    (check_reparameterize, reparameterize_through_a_vae,
     "mmkit.models.autoencoder.VariationalAutoencoder.__init__"),
    (check_psnr, psnr_by_levels, "mmkit.models.autoencoder.psnr"),
    (check_psnr, lambda a, b: _reference.autoencoders_psnr(a, b),
     "mmkit.exercises._reference.autoencoders_psnr"),
])
def test_a_learner_function_that_calls_the_kit_is_refused(check, answer, kit):
    feedback = check(answer)
    assert not feedback.ok
    assert f"calls the kit's own `{kit}`, which does what this exercise asks" in \
        feedback.message


def test_every_kit_list_holds_the_function_the_exercise_asks_for():
    assert models.kl_divergence in KL_KIT
    assert models.reparameterize in REPARAMETERIZE_KIT
    assert models.psnr in PSNR_KIT
