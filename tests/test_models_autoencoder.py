"""mmkit.models.autoencoder: shapes, bad input, training, the VAE's pieces, PSNR, imputation."""

import math

import numpy as np
import pytest
import torch
from torch.distributions import Normal

from mmkit.data.digits import DIGIT_MAX, load_digits_split
from mmkit.models.autoencoder import (
    IMAGE_SIZE,
    Autoencoder,
    ConvAutoencoder,
    DenoisingAutoencoder,
    VariationalAutoencoder,
    add_noise,
    block_mask,
    check_images,
    decode,
    encode,
    fit_autoencoder,
    impute,
    kl_divergence,
    missing_pixel_error,
    psnr,
    psnr_by_noise_level,
    random_mask,
    reconstruct,
    reconstruction_error,
    reparameterize,
    sample,
    validation_snapshot,
)
from mmkit.train import History


@pytest.fixture(scope="module")
def digits():
    """A few hundred training and validation digits in [0, 1]."""
    split = load_digits_split(standardized=False)
    return split.X_train[:400] / DIGIT_MAX, split.X_val[:120] / DIGIT_MAX


def build(kind: str, latent: int = 3):
    torch.manual_seed(0)
    return {"dense": lambda: Autoencoder(latent),
            "linear": lambda: Autoencoder(latent, hidden=(), linear=True),
            "conv": lambda: ConvAutoencoder(latent, channels=4),
            "denoising": lambda: DenoisingAutoencoder(latent, noise_level=0.3),
            "vae": lambda: VariationalAutoencoder(latent)}[kind]()


KINDS = ("dense", "linear", "conv", "denoising", "vae")


# --- shapes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_every_model_maps_images_to_codes_and_back(kind, digits):
    model = build(kind, latent=3)
    x = torch.as_tensor(digits[0][:5], dtype=torch.float32)
    code = model.encode(x)
    z = code[0] if kind == "vae" else code
    assert z.shape == (5, 3)
    assert model.decode(z).shape == (5, IMAGE_SIZE)
    out = model(x)
    if kind == "vae":
        x_hat, mu, logvar = out
        assert x_hat.shape == (5, IMAGE_SIZE) and mu.shape == logvar.shape == (5, 3)
    else:
        assert out.shape == (5, IMAGE_SIZE)
    assert encode(model, digits[0][:5]).shape == (5, 3)
    assert decode(model, np.zeros(3)).shape == (1, IMAGE_SIZE)  # one point, (latent,)
    assert reconstruct(model, digits[0][:5]).shape == (5, IMAGE_SIZE)


@pytest.mark.parametrize("kind", ("dense", "conv", "denoising", "vae"))
def test_decoded_images_are_pixels_in_0_1(kind):
    images = decode(build(kind), np.random.default_rng(0).normal(0, 5, (20, 3)))
    assert images.dtype == np.float32 and images.min() >= 0 and images.max() <= 1


def test_the_convolutional_encoder_halves_the_side_twice():
    model = build("conv")
    h = torch.zeros(2, 1, 8, 8)
    sides = []
    for layer in model.encoder:
        h = layer(h)
        if isinstance(layer, torch.nn.Conv2d):
            sides.append(tuple(h.shape[2:]))
    assert sides == [(4, 4), (2, 2)]


def test_a_linear_autoencoder_has_no_nonlinearity():
    model = build("linear")
    assert not any(isinstance(m, torch.nn.ReLU) for m in model.modules())
    z = torch.randn(4, 3)
    with torch.no_grad():  # affine: f(2z) + f(0) = 2 f(z)
        torch.testing.assert_close(model.decode(2 * z) + model.decode(0 * z), 2 * model.decode(z))


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("images, message", [
    (np.zeros((3, 8, 8)), r"expected shape \(N, 64\).*got \(3, 8, 8\).*reshape"),
    (np.zeros(64), r"expected shape \(N, 64\).*got \(64,\)"),
    (np.zeros((3, 63)), r"got \(3, 63\)"),
    (np.full((2, 64), 16.0), r"expected pixel values in \[0, 1\], got values from 16 to 16.*"
                             r"divide scikit-learn's digits by 16"),
    (np.full((2, 64), -0.5), r"expected pixel values in \[0, 1\], got values from -0.5 to -0.5$"),
    (np.full((2, 64), np.nan), "expected finite pixel values"),
    (np.array([["a"] * 64]), "expected numbers"),
])
def test_images_of_the_wrong_shape_or_range_are_refused(images, message):
    with pytest.raises(ValueError, match=message):
        check_images(images)
    with pytest.raises(ValueError, match=message):
        reconstruct(build("dense"), images)


@pytest.mark.parametrize("latent, shape", [
    (np.zeros(2), r"\(2,\)"), (np.zeros((4, 5)), r"\(4, 5\)"),
    (np.zeros((1, 2, 3)), r"\(1, 2, 3\)")])
def test_a_latent_of_the_wrong_size_is_refused(latent, shape):
    with pytest.raises(ValueError, match=r"expected a latent point of size 3, shape \(3,\) or "
                                         r"\(N, 3\), got shape " + shape):
        decode(build("dense", latent=3), latent)


@pytest.mark.parametrize("level", [-0.1, 1.5, float("nan"), "0.3", True])
def test_a_noise_level_outside_0_1_is_refused(level):
    message = r"noise_level: expected a number in \[0, 1\].*got"
    with pytest.raises(ValueError, match=message):
        add_noise(np.zeros((2, 64)), level)
    with pytest.raises(ValueError, match=message):
        DenoisingAutoencoder(noise_level=level)


def test_other_bad_settings_say_what_arrived():
    with pytest.raises(ValueError, match="latent must be an int >= 1, got 0"):
        Autoencoder(latent=0)
    with pytest.raises(ValueError, match="decoder_std must be a positive number, got -1"):
        VariationalAutoencoder(decoder_std=-1)
    with pytest.raises(ValueError, match="block inside the 8×8 image"):
        block_mask(2, top=6, height=4)
    with pytest.raises(ValueError, match=r"fraction missing in \[0, 1\], got 1.5"):
        random_mask(2, missing=1.5)
    with pytest.raises(ValueError, match="same shape"):
        psnr(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"known: expected bools of the images' shape \(2, 64\), "
                                         r"got float64 \(2, 64\)"):
        impute(build("dense"), np.zeros((2, 64)), np.ones((2, 64)))
    with pytest.raises(ValueError, match=r"X_train: expected pixel values in \[0, 1\]"):
        fit_autoencoder(build("dense"), np.full((4, 64), 3.0), epochs=1)


# --- training -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_training_lowers_the_loss(kind, digits):
    X_train, X_val = digits
    model = build(kind)
    before = reconstruction_error(model, X_val)
    history = fit_autoencoder(model, X_train, epochs=8, batch_size=32, lr=1e-2)
    assert isinstance(history, History) and history.epochs == 8
    name = "loss" if kind == "vae" else "reconstruction"
    assert history[name][-1] < 0.7 * history[name][0]
    assert reconstruction_error(model, X_val) < before
    assert not model.training  # left ready to use


def test_the_vae_records_its_two_terms(digits):
    model = build("vae", latent=2)
    history = fit_autoencoder(model, digits[0], epochs=2)
    assert set(history.losses) == {"loss", "reconstruction", "kl"}
    rebuilt = history["reconstruction"] * IMAGE_SIZE / (2 * model.decoder_std**2) + history["kl"]
    np.testing.assert_allclose(history["loss"], rebuilt, rtol=1e-5)
    assert np.all(history["kl"] >= 0)


def test_training_is_reproducible_with_a_seed(digits):
    errors = []
    for _ in range(2):
        model = build("denoising")
        fit_autoencoder(model, digits[0], epochs=2, seed=3)
        errors.append(reconstruction_error(model, digits[1]))
    assert errors[0] == errors[1]


def test_the_denoiser_trains_on_noisy_inputs(monkeypatch):
    model = build("denoising")  # noise_level 0.3
    seen = []
    forward = model.forward
    monkeypatch.setattr(model, "forward", lambda x: seen.append(x.detach().clone()) or forward(x))
    fit_autoencoder(model, np.full((64, 64), 0.5), epochs=1, batch_size=64)
    assert (seen[0] - 0.5).std().item() == pytest.approx(0.3, rel=0.1)


def test_a_denoiser_beats_a_plain_autoencoder_on_noisy_digits(digits):
    X_train = load_digits_split(standardized=False).X_train / DIGIT_MAX
    X_val = digits[1]
    plain, denoiser = build("dense", latent=8), build("denoising", latent=8)
    for model in (plain, denoiser):
        fit_autoencoder(model, X_train, epochs=30)
    noisy = add_noise(X_val, 0.3, seed=0)
    assert psnr(X_val, reconstruct(denoiser, noisy)) > psnr(X_val, reconstruct(plain, noisy)) + 1


def test_validation_snapshot_keeps_the_error_and_a_copy_of_the_weights(digits):
    model = build("dense")
    history = fit_autoencoder(model, digits[0], epochs=3, snapshot_every=1,
                              snapshot=validation_snapshot(model, digits[1]))
    assert [epoch for epoch, _ in history.snapshots] == [0, 1, 2, 3]
    errors = [s["val_error"] for _, s in history.snapshots]
    assert errors[-1] < errors[0]
    assert errors[-1] == pytest.approx(reconstruction_error(model, digits[1]))
    model.load_state_dict(history.snapshots[0][1]["state"])  # back to the untrained weights
    assert reconstruction_error(model, digits[1]) == pytest.approx(errors[0])


# --- the VAE's pieces -------------------------------------------------------------------------

def test_kl_divergence_agrees_with_torch_distributions():
    generator = torch.Generator().manual_seed(0)
    mu = torch.randn(6, 4, generator=generator, dtype=torch.float64)
    logvar = torch.randn(6, 4, generator=generator, dtype=torch.float64)
    theirs = torch.distributions.kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0))
    torch.testing.assert_close(kl_divergence(mu, logvar), theirs.sum(dim=1).mean())


def test_kl_divergence_is_zero_only_at_the_standard_normal():
    zeros = torch.zeros(3, 2)
    assert kl_divergence(zeros, zeros).item() == 0
    assert kl_divergence(zeros + 0.1, zeros).item() > 0
    assert kl_divergence(zeros, zeros - 1).item() > 0


def test_reparameterized_samples_have_mean_mu_and_std_sigma():
    mu = torch.tensor([[2.0, -1.0, 0.0]]).expand(100_000, 3)
    logvar = torch.tensor([[math.log(0.25), 0.0, math.log(4.0)]]).expand(100_000, 3)
    z = reparameterize(mu, logvar, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(z.mean(dim=0), torch.tensor([2.0, -1.0, 0.0]), atol=0.02, rtol=0)
    torch.testing.assert_close(z.std(dim=0), torch.tensor([0.5, 1.0, 2.0]), atol=0.02, rtol=0)


def test_reparameterize_with_given_noise_and_its_gradients():
    mu = torch.tensor([[1.0, -2.0]], requires_grad=True)
    logvar = torch.tensor([[0.5, -1.0]], requires_grad=True)
    eps = torch.tensor([[0.3, -1.2]])
    z = reparameterize(mu, logvar, eps)
    sigma = (0.5 * logvar).exp()
    torch.testing.assert_close(z, mu + sigma * eps)
    z.sum().backward()
    torch.testing.assert_close(mu.grad, torch.ones(1, 2))
    torch.testing.assert_close(logvar.grad, (0.5 * sigma * eps).detach())


def test_samples_are_images_and_reproducible():
    model = build("vae", latent=2)
    first = sample(model, 7, seed=1)
    assert first.shape == (7, IMAGE_SIZE) and 0 <= first.min() and first.max() <= 1
    np.testing.assert_array_equal(first, sample(model, 7, seed=1))
    assert not np.array_equal(first, sample(model, 7, seed=2))


def test_a_vae_encodes_to_its_mean(digits):
    model = build("vae")
    x = torch.as_tensor(digits[0][:4], dtype=torch.float32)
    np.testing.assert_allclose(encode(model, digits[0][:4]), model.encode(x)[0].detach().numpy())


# --- noise and PSNR -----------------------------------------------------------------------------

def test_psnr_on_a_known_case():
    clean = np.zeros((2, 64))
    assert psnr(clean, clean + 0.1) == pytest.approx(20.0)  # 10·log10(1 / 0.01)
    assert psnr(clean, clean + 0.01) == pytest.approx(40.0)
    assert psnr(clean, clean) == math.inf
    assert psnr(clean, clean + 2.0, data_range=16.0) == pytest.approx(10 * math.log10(64))


def test_psnr_agrees_with_torch():
    rng = np.random.default_rng(0)
    clean, estimate = rng.random((5, 64)), rng.random((5, 64))
    mse = torch.nn.functional.mse_loss(torch.tensor(estimate), torch.tensor(clean))
    assert psnr(clean, estimate) == pytest.approx((10 * torch.log10(1 / mse)).item())


def test_add_noise_stays_in_0_1_and_is_seeded():
    x = np.full((50, 64), 0.5)
    noisy = add_noise(x, 0.3, seed=0)
    assert noisy.min() >= 0 and noisy.max() <= 1
    assert (noisy - x).std() == pytest.approx(0.3, rel=0.1)
    np.testing.assert_array_equal(noisy, add_noise(x, 0.3, seed=0))
    np.testing.assert_array_equal(add_noise(x, 0.0), x.astype(np.float32))


def test_psnr_by_noise_level_falls_as_the_noise_grows(digits):
    noisy_db, denoised_db = psnr_by_noise_level(build("dense"), digits[1], [0.1, 0.3, 0.5])
    assert noisy_db.shape == denoised_db.shape == (3,)
    assert np.all(np.diff(noisy_db) < 0)


# --- imputing -----------------------------------------------------------------------------------

def test_masks():
    known = block_mask(3, top=2, left=1, height=3, width=4)
    assert known.shape == (3, 64) and (~known).sum(axis=1).tolist() == [12, 12, 12]
    assert not known[0].reshape(8, 8)[2:5, 1:5].any()
    assert known[0].reshape(8, 8)[:2].all()
    half = random_mask(200, missing=0.5, seed=0)
    assert half.shape == (200, 64) and abs(half.mean() - 0.5) < 0.02
    np.testing.assert_array_equal(half, random_mask(200, missing=0.5, seed=0))


def test_imputation_keeps_the_known_pixels_and_fills_the_rest(digits):
    X_train, X_val = digits
    model = build("dense", latent=8)
    fit_autoencoder(model, X_train, epochs=20)
    known = random_mask(len(X_val), missing=0.5, seed=1)
    damaged = np.where(known, X_val, np.nan)  # what is missing may be anything, even NaN
    filled = impute(model, damaged, known, fill=X_train.mean(axis=0), iterations=3)
    np.testing.assert_array_equal(filled[known], X_val[known].astype(np.float32))
    assert np.isfinite(filled).all()
    baseline = np.where(known, X_val, X_train.mean(axis=0))
    assert missing_pixel_error(X_val, filled, known) < \
        missing_pixel_error(X_val, baseline, known)


def test_zero_iterations_leave_the_first_guess():
    known = block_mask(2)
    filled = impute(build("dense"), np.ones((2, 64)), known, fill=0.25, iterations=0)
    np.testing.assert_array_equal(filled, np.where(known, 1.0, 0.25))


def test_missing_pixel_error_reads_only_the_missing_pixels():
    known = block_mask(1, height=2, width=2)
    clean, filled = np.zeros((1, 64)), np.where(known, 5.0, 0.5)
    assert missing_pixel_error(clean, filled, known) == pytest.approx(0.25)
    assert math.isnan(missing_pixel_error(clean, filled, np.ones((1, 64), dtype=bool)))
