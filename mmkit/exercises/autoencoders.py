"""Checks for notebook 05's exercises: the VAE's KL term, the reparameterisation, PSNR.

    check_kl_divergence(kl_divergence)   KL(N(μ, σ²) ‖ N(0, I)) from μ and log σ², per image
    check_reparameterize(reparameterize) z = μ + σ·ε, with gradients reaching μ and log σ²
    check_psnr(psnr)                     10·log10(1 / MSE) for images in [0, 1]

Each check runs the learner's function on fixed inputs with the kit's own
versions switched off (`@check(kit=...)`: `mmkit.models.autoencoder`'s
`kl_divergence`, `reparameterize`, the VAE, `psnr` and what computes them),
compares with the private references of `_reference` (torch.distributions,
F.mse_loss), and names the typical mistake when there is one (a flipped sign,
a missing ½, log σ² taken for log σ, the variance for the standard deviation,
20 for 10, a natural log). A check returns `Feedback`; it never raises on a
wrong answer.
"""

from collections.abc import Callable

import numpy as np
import torch

from mmkit.demos import autoencoders as demos
from mmkit.exercises import _reference
from mmkit.exercises.feedback import (
    Feedback,
    as_numbers,
    attempt,
    check,
    correct,
    diagnose,
    wrong,
)
from mmkit.models import autoencoder as models

# --- exercise 1: the KL term ------------------------------------------------------------------

def _vae_inputs() -> tuple[np.ndarray, np.ndarray]:
    """μ and log σ² for N = 4 images and a latent of 3 (N ≠ latent, so the two averages differ)."""
    mu = np.array([[0.5, -1.0, 0.0], [1.5, 0.2, -0.3], [0.0, 0.0, 0.0], [-0.7, 2.0, 0.4]])
    logvar = np.array([[0.2, -0.5, 0.0], [-1.0, 0.3, 0.1], [0.0, 0.0, 0.0], [0.6, -2.0, -0.4]])
    return mu, logvar


#: The kit's ways to the KL term.
KL_KIT = [models.kl_divergence, models.VariationalAutoencoder, models.fit_autoencoder]


@check(kit=KL_KIT)
def check_kl_divergence(kl_divergence: Callable) -> Feedback:
    """`kl_divergence(mu, logvar)` → one number: KL(N(μ, σ²) ‖ N(0, I)) per image, summed over
    the latent dimensions, averaged over the batch. mu, logvar: float64 tensors (N, latent)."""
    mu, logvar = _vae_inputs()
    n, latent = mu.shape
    expected = _reference.autoencoders_kl_divergence(mu, logvar)
    out = as_numbers(attempt(kl_divergence, torch.tensor(mu), torch.tensor(logvar)))
    var = np.exp(logvar)
    per_dimension = 0.5 * (mu**2 + var - logvar - 1)
    problem = diagnose(out, expected, [
        (-expected, "The sign is flipped: the KL divergence is never negative. It is "
                    "½ Σ (μ² + σ² − log σ² − 1), or −½ Σ (1 + log σ² − μ² − σ²)."),
        (2 * expected, "2 × too large: you forgot the ½ in ½ Σ (μ² + σ² − log σ² − 1)."),
        (expected * n, f"{n} × too large: you summed over the N = {n} images; average over "
                       "the batch (sum over the latent dimensions only)."),
        (expected / latent, f"{latent} × too small: you averaged over the {latent} latent "
                            "dimensions; the KL of independent dimensions is their *sum* "
                            "(then average over the images)."),
        (per_dimension.sum(axis=1), "You returned one KL per image (shape (N,)): average them "
                                    "over the batch into one number."),
        (0.5 * (mu**2 + np.exp(2 * logvar) - 2 * logvar - 1).sum(axis=1).mean(),
         "You treated logvar as log σ: it is log σ², so σ² = exp(logvar) (and σ = "
         "exp(logvar / 2))."),
        (expected + 0.5 * latent, "You forgot the − 1: without it the KL of N(0, 1) from "
                                  "itself would be ½ per dimension instead of 0."),
        (0.5 * (var - logvar - 1).sum(axis=1).mean(), "You forgot μ²: the KL grows as the mean "
                                                      "moves away from 0."),
    ], "your KL", hint="KL = ½ Σⱼ (μⱼ² + σⱼ² − log σⱼ² − 1) with σ² = exp(logvar), summed "
                       "over the latent, averaged over the images.")
    if problem is not None:
        return problem
    return correct(f"Correct! KL = {expected:.4f} nats per image, as torch.distributions."
                   "kl_divergence(Normal(μ, σ), Normal(0, 1)) gives; 0 only when μ = 0 and "
                   "σ = 1.")


# --- exercise 2: the reparameterisation trick ---------------------------------------------------

def _noise() -> np.ndarray:
    return np.array([[1.0, -2.0, 0.5], [-0.3, 0.8, 1.2], [0.0, 1.0, -1.0], [2.0, -0.5, 0.1]])


#: The kit's ways to a reparameterised sample.
REPARAMETERIZE_KIT = [models.reparameterize, models.VariationalAutoencoder]


@check(kit=REPARAMETERIZE_KIT)
def check_reparameterize(reparameterize: Callable) -> Feedback:
    """`reparameterize(mu, logvar, eps)` → z = μ + σ·ε with σ = exp(½ log σ²); the inputs are
    float64 tensors (N, latent), and gradients must reach μ and log σ²."""
    mu, logvar = _vae_inputs()
    eps = _noise()
    expected, d_mu, d_logvar = _reference.autoencoders_reparameterize(mu, logvar, eps)
    mu_t = torch.tensor(mu, requires_grad=True)
    logvar_t = torch.tensor(logvar, requires_grad=True)
    out = attempt(reparameterize, mu_t, logvar_t, torch.tensor(eps))
    std = np.exp(0.5 * logvar)
    problem = diagnose(as_numbers(out), expected, [
        (mu + np.exp(logvar) * eps, "You scaled ε by the variance σ² = exp(logvar): scale it "
                                    "by the standard deviation σ = exp(logvar / 2)."),
        (mu + logvar * eps, "logvar is log σ², not σ: σ = exp(logvar / 2)."),
        (mu + np.sqrt(np.abs(logvar)) * eps, "√logvar is not σ: logvar is log σ², so "
                                            "σ = exp(logvar / 2)."),
        (std * eps, "You forgot μ: z = μ + σ·ε (the sample is centred on μ)."),
        (mu + eps, "You forgot σ: z = μ + σ·ε (ε has standard deviation 1, z must have σ)."),
        (eps, "You returned ε: a draw from N(0, 1) ignores the encoder's μ and σ. Shift and "
              "scale it: z = μ + σ·ε."),
        (mu, "You returned μ: no sampling at all. z = μ + σ·ε."),
    ], "your z", hint="z = μ + σ·ε with σ = exp(logvar / 2), using the ε passed in.")
    if problem is not None:
        return problem
    if not isinstance(out, torch.Tensor) or out.grad_fn is None:
        return wrong("The values are right, but no gradient flows back to μ and log σ²: "
                     "compute z with torch operations on mu and logvar (no NumPy, .detach(), "
                     ".item() or torch.tensor(...) copy). Backpropagation must reach the "
                     "encoder: that is the point of the trick.")
    out.sum().backward()
    for name, tensor, wanted in (("μ", mu_t, d_mu), ("log σ²", logvar_t, d_logvar)):
        if tensor.grad is None:
            return wrong(f"The values are right, but no gradient reaches {name}: it was "
                         "detached or copied on the way; compute z from mu and logvar "
                         "themselves.")
        problem = diagnose(tensor.grad.numpy(), wanted, name=f"∂Σz/∂{name}")
        if problem is not None:
            return wrong(f"The values are right, but the gradient with respect to {name} is "
                         f"not: {problem.message}")
    return correct("Correct! z = μ + σ·ε: the randomness sits in ε, so ∂z/∂μ = 1 and "
                   "∂z/∂log σ² = ½ σ ε, and backpropagation reaches the encoder.")


# --- exercise 3: PSNR -------------------------------------------------------------------------

def _psnr_inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    clean = rng.random((3, 64)).round(2)
    estimate = np.clip(clean + rng.normal(0, 0.1, clean.shape), 0, 1).round(3)
    estimate[0] = clean[0]
    estimate[0, 0] += 0.01  # one nearly perfect image: its own PSNR is far above the others'
    return clean, estimate


#: The kit's ways to PSNR.
PSNR_KIT = [models.psnr, models.psnr_by_noise_level, demos.denoising_view]


@check(kit=PSNR_KIT)
def check_psnr(psnr: Callable) -> Feedback:
    """`psnr(clean, estimate)` → 10·log10(1 / MSE) in dB, one MSE over all pixels of the
    images (N, 64) in [0, 1]."""
    clean, estimate = _psnr_inputs()
    expected = _reference.autoencoders_psnr(clean, estimate)
    out = as_numbers(attempt(psnr, clean.copy(), estimate.copy()))
    squared = (clean - estimate) ** 2
    mse = squared.mean()
    per_image = -10 * np.log10(squared.mean(axis=1))
    problem = diagnose(out, expected, [
        (-expected, "The sign is flipped: PSNR = 10·log10(1 / MSE), larger when the error is "
                    "smaller (you computed 10·log10(MSE))."),
        (2 * expected, "20·log10 is for an amplitude ratio; with the MSE (a power) the factor "
                       "is 10: PSNR = 10·log10(1 / MSE) (or 20·log10(1 / RMSE))."),
        (expected / 2, "You used the RMSE with a factor of 10: with the root the factor is 20, "
                       "10·log10(1 / MSE) = 20·log10(1 / RMSE)."),
        (-10 * np.log(mse), "That is the natural log: decibels use log10."),
        (-10 * np.log10(squared.sum()), "You summed the squared errors: PSNR uses their mean "
                                        "over all pixels."),
        (per_image.mean(), "You averaged one PSNR per image: compute one MSE over all pixels "
                           "first, then 10·log10(1 / MSE)."),
        (per_image, "You returned one PSNR per image (shape (N,)): compute one MSE over all "
                    "pixels, and return one number."),
        (-10 * np.log10(np.abs(clean - estimate).mean()), "You used the mean *absolute* error: "
                                                          "PSNR uses the mean squared error."),
    ], "your PSNR", hint="PSNR = 10·log10(MAX² / MSE) with MAX = 1 for images in [0, 1].")
    if problem is not None:
        return problem
    return correct(f"Correct! PSNR = {expected:.2f} dB: each halving of the MSE adds "
                   f"10·log10(2) ≈ 3 dB.")
