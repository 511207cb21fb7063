"""mmkit.models.gan: the losses against PyTorch's BCE, the step, coverage, scoring, bad input."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmkit.data.digits import DIGIT_MAX, load_digits_split
from mmkit.models.gan import (
    DIGITS,
    GAN,
    GENERATOR_LOSSES,
    RING,
    RING_STD,
    DigitClassifier,
    Discriminator,
    Generator,
    accuracy,
    digit_images,
    digit_score,
    digits_data,
    discriminator_loss,
    discriminator_step,
    generator_gradient_norm,
    generator_loss,
    generator_step,
    interpolate,
    latents,
    make_step,
    mode_coverage,
    ring_centers,
    ring_data,
    sample_spread,
    saturating_generator_loss,
    train_digit_classifier,
    train_discriminator,
    train_gan,
)


def bce(logits, label):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


LOGITS = [torch.tensor([-3.0, -0.5, 0.0, 0.7, 4.0]), torch.tensor([-80.0, 80.0, 1.0])]


# --------------------------------------------------------------------------- losses

@pytest.mark.parametrize("logits", LOGITS)
def test_discriminator_loss_is_bce_with_labels_one_and_zero(logits):
    fake = logits.flip(0)[:-1] - 1.0
    expected = bce(logits, 1.0) + bce(fake, 0.0)
    torch.testing.assert_close(discriminator_loss(logits, fake), expected)


@pytest.mark.parametrize("logits", LOGITS)
def test_generator_losses_are_bce_written_out(logits):
    torch.testing.assert_close(generator_loss(logits), bce(logits, 1.0))
    torch.testing.assert_close(saturating_generator_loss(logits), -bce(logits, 0.0))
    # in probabilities: −log D and log(1 − D), where σ does not round to 0 or 1
    d = torch.sigmoid(LOGITS[0])
    torch.testing.assert_close(generator_loss(LOGITS[0]), -torch.log(d).mean())
    torch.testing.assert_close(saturating_generator_loss(LOGITS[0]), torch.log(1 - d).mean())


def test_the_saturating_loss_loses_its_gradient_when_d_spots_the_fakes():
    a = torch.tensor([-8.0], requires_grad=True)  # D(G(z)) ≈ 0.0003
    (grad_saturating,) = torch.autograd.grad(saturating_generator_loss(a), a)
    (grad_non_saturating,) = torch.autograd.grad(generator_loss(a), a)
    assert abs(grad_saturating.item()) < 1e-3
    assert grad_non_saturating.item() == pytest.approx(-1.0, abs=1e-3)
    assert set(GENERATOR_LOSSES) == {"non-saturating", "saturating"}


# --------------------------------------------------------------------------- networks

def test_networks_have_the_documented_shapes_and_range():
    gan = GAN(DIGITS, seed=0)
    z = latents(5, DIGITS.latent_dim, seed=1)
    x = gan.generator(z)
    assert x.shape == (5, 64) and x.min() >= 0 and x.max() <= 1  # sigmoid: pixels in [0, 1]
    assert gan.discriminator(x).shape == (5,)
    assert gan.sample(7).shape == (7, 64) and gan.sample(7).dtype == np.float32
    ring = GAN(RING, seed=0)
    assert ring.sample(3).shape == (3, 2)


def test_the_seed_fixes_the_weights_and_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a, b, c = GAN(RING, seed=4), GAN(RING, seed=4), GAN(RING, seed=5)
    assert torch.equal(torch.get_rng_state(), state)
    np.testing.assert_array_equal(a.sample(10), b.sample(10))
    assert not np.allclose(a.sample(10), c.sample(10))


# --------------------------------------------------------------------------- the step

def small_gan(seed=0):
    return GAN(RING.replace(hidden=8), seed)


def test_the_discriminator_step_leaves_the_generators_gradients_untouched():
    gan = small_gan()
    fake = gan.generator(latents(32, 2))
    real = ring_data(32)
    before = [p.detach().clone() for p in gan.discriminator.parameters()]
    discriminator_step(gan.discriminator, gan.d_optimizer, real, fake)
    assert all(p.grad is None for p in gan.generator.parameters())
    assert any(not torch.equal(p, q) for p, q in zip(gan.discriminator.parameters(), before,
                                                      strict=True))
    # the fakes' graph survived D's step, so G can still learn from the same batch
    generator_before = [p.detach().clone() for p in gan.generator.parameters()]
    generator_step(gan.discriminator, gan.g_optimizer, fake)
    assert all(p.grad is not None for p in gan.generator.parameters())
    assert any(not torch.equal(p, q) for p, q in zip(gan.generator.parameters(),
                                                      generator_before, strict=True))


def test_without_detach_the_generator_step_could_not_run():
    """Why the step detaches: D's backward through G would fill G's gradients and free
    its graph."""
    gan = small_gan()
    fake = gan.generator(latents(32, 2))
    discriminator_loss(gan.discriminator(ring_data(32)), gan.discriminator(fake)).backward()
    assert all(p.grad is not None for p in gan.generator.parameters())
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        generator_loss(gan.discriminator(fake)).backward()


def test_make_step_updates_d_then_g_and_returns_both_losses():
    gan = small_gan()
    real = ring_data(64)
    z = torch.randn(64, 2, generator=torch.Generator().manual_seed(7))
    fake = gan.generator(z)
    with torch.no_grad():
        d_expected = discriminator_loss(gan.discriminator(real), gan.discriminator(fake)).item()
    losses = make_step(gan, seed=7)(real)
    assert set(losses) == {"discriminator", "generator"}
    assert losses["discriminator"] == pytest.approx(d_expected, rel=1e-6)
    # G's loss is measured through the discriminator *after* its update
    assert losses["generator"] != pytest.approx(generator_loss(
        small_gan().discriminator(fake)).item(), rel=1e-6)


def test_generator_gradient_norm_touches_nothing():
    gan = small_gan()
    norm = generator_gradient_norm(gan, "non-saturating")
    assert norm > 0
    assert all(p.grad is None for p in gan.generator.parameters())
    assert all(p.grad is None for p in gan.discriminator.parameters())


def test_a_discriminator_far_ahead_starves_the_saturating_loss():
    gan = GAN(RING, seed=0)
    train_discriminator(gan, ring_data(), epochs=10)
    with torch.no_grad():
        score = torch.sigmoid(gan.discriminator(gan.generator(latents(512, 2)))).mean()
    assert score < 0.05  # D spots the fakes
    assert generator_gradient_norm(gan, "non-saturating") > \
        20 * generator_gradient_norm(gan, "saturating")


# --------------------------------------------------------------------------- the ring

def test_ring_data_and_centres_agree():
    X = ring_data(4000)
    assert X.shape == (4000, 2) and X.dtype == torch.float32
    coverage = mode_coverage(X.numpy())
    assert coverage.covered == 8 and coverage.off_mode_share < 0.02  # 3σ holds 99% in 2-D
    assert sample_spread(X.numpy()) == pytest.approx(2.0, abs=0.05)


def planted(counts, off=0, seed=0):
    """counts[k] samples at mode k (within 1σ), `off` samples at the origin."""
    rng = np.random.default_rng(seed)
    centres = ring_centers()
    parts = [centres[k] + rng.normal(0, RING_STD / 2, (n, 2)) for k, n in enumerate(counts)]
    return np.concatenate([*parts, np.zeros((off, 2))])


def test_mode_coverage_on_planted_samples():
    coverage = mode_coverage(planted([100, 100, 100, 100, 100, 100, 100, 0], off=300))
    assert coverage.covered == 7
    np.testing.assert_array_equal(coverage.counts, [100] * 7 + [0])
    assert coverage.off_mode_share == pytest.approx(0.3)
    assert repr(coverage) == "7 of 8 modes covered, 30% of samples off-mode"


def test_a_few_stray_samples_do_not_cover_a_mode():
    samples = planted([300, 3, 0, 0, 0, 0, 0, 0])  # 3 of 303 is below 2%
    coverage = mode_coverage(samples)
    assert coverage.covered == 1 and coverage.counts[1] == 3
    assert mode_coverage(samples, min_share=0.005).covered == 2


def test_a_collapsed_generator_has_no_spread():
    collapsed = planted([500, 0, 0, 0, 0, 0, 0, 0])
    assert mode_coverage(collapsed).covered == 1
    assert sample_spread(collapsed) < 0.1


def test_a_short_seeded_training_run_improves_coverage():
    gan = GAN(RING, seed=0)
    z = latents(500, 2, seed=1)
    history = train_gan(gan, ring_data(), epochs=60, seed=0, snapshot_latents=z,
                        snapshot_every=30)
    assert [epoch for epoch, _ in history.snapshots] == [0, 30, 60]
    first, last = (mode_coverage(samples) for _, samples in
                   (history.snapshots[0], history.snapshots[-1]))
    assert first.covered == 0 and first.off_mode_share == 1.0  # a blob at the origin
    assert last.covered >= 6 and last.off_mode_share < 0.8
    assert history["discriminator"].shape == history["generator"].shape == (60,)
    np.testing.assert_array_equal(history.snapshots[-1][1], gan.generate(z))


def test_the_ring_gan_covers_at_least_7_of_8_modes():
    """The notebook's bar, with its settings and seed 0."""
    gan = GAN(RING, seed=0)
    train_gan(gan, ring_data(seed=0), seed=0)
    assert mode_coverage(gan.sample(2000, seed=10_000)).covered >= 7


def test_training_is_reproducible():
    runs = []
    for _ in range(2):
        gan = GAN(RING.replace(hidden=16), seed=3)
        train_gan(gan, ring_data(512), epochs=3, seed=3)
        runs.append(gan.sample(20))
    np.testing.assert_array_equal(*runs)


# --------------------------------------------------------------------------- digits

@pytest.fixture(scope="module")
def judge():
    split = load_digits_split(standardized=False)
    classifier, val_accuracy = train_digit_classifier(
        digits_data(split.X_train), split.y_train, digits_data(split.X_val), split.y_val)
    return classifier, val_accuracy, split


def test_the_classifier_reads_validation_digits(judge):
    classifier, val_accuracy, split = judge
    assert val_accuracy > 0.93
    assert val_accuracy == pytest.approx(accuracy(classifier, digits_data(split.X_val),
                                                  split.y_val))


def test_digit_score_on_planted_images(judge):
    classifier, _, split = judge
    images = digits_data(split.X_val)
    only = np.isin(split.y_val, [0, 1, 2])
    score = digit_score(classifier, images[only])
    assert score.classes == 3 and score.n_samples == only.sum()
    assert score.mean_confidence > 0.9
    assert repr(score).startswith(f"3 of 10 classes among {only.sum()} samples")
    # 500 copies of one real digit: one class, however confident
    one = digit_score(classifier, np.repeat(images[:1].numpy(), 500, axis=0))
    assert one.classes == 1 and one.counts.max() == 500
    # a blank page is no digit the classifier is sure of
    blank = digit_score(classifier, np.zeros((20, 8, 8)))
    assert blank.n_samples == 20 and blank.mean_confidence < score.mean_confidence


def test_a_class_needs_more_than_a_stray_image(judge):
    classifier, _, split = judge
    images = digits_data(split.X_val)
    zero = images[split.y_val == 0][:1].numpy()
    one = images[split.y_val == 1][:1].numpy()
    assert classifier.probabilities(np.concatenate([zero, one])).argmax(axis=1).tolist() == \
        [0, 1]
    mixed = np.concatenate([np.repeat(zero, 300, axis=0), one])  # 1 of 301: under 1%
    assert digit_score(classifier, mixed).classes == 1
    assert digit_score(classifier, mixed, min_share=0.001).classes == 2


def test_the_digit_gan_makes_at_least_8_classes_among_500_samples(judge):
    """The notebook's bar, with its settings and seeds."""
    classifier, _, split = judge
    gan = GAN(DIGITS, seed=0)
    train_gan(gan, digits_data(split.X_train), seed=0)
    score = digit_score(classifier, gan.generate(latents(500, DIGITS.latent_dim, seed=1)))
    assert score.n_samples == 500 and score.classes >= 8


def test_interpolate_goes_from_one_point_to_the_other():
    z0, z1 = torch.zeros(4), torch.ones(4)
    torch.testing.assert_close(interpolate(z0, z1, 0.0), z0)
    torch.testing.assert_close(interpolate(z0, z1, 1.0), z1)
    path = interpolate(z0, z1, np.linspace(0, 1, 5))
    assert path.shape == (5, 4)
    torch.testing.assert_close(path[2], torch.full((4,), 0.5))


# --------------------------------------------------------------------------- bad input

def test_a_latent_of_the_wrong_size_is_refused():
    gan = GAN(DIGITS, seed=0)
    with pytest.raises(ValueError, match=r"latent z: expected shape \(N, 16\), got \(3, 2\)"):
        gan.generate(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"latent z: expected shape \(N, 2\), got \(2,\)"):
        Generator(2, 2)(torch.zeros(2))
    with pytest.raises(ValueError, match=r"samples: expected shape \(N, 2\), got \(4, 3\)"):
        Discriminator(2)(torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"snapshot_latents: expected shape \(N, 2\)"):
        train_gan(GAN(RING), ring_data(64), epochs=1, snapshot_latents=torch.zeros(5, 3))


@pytest.mark.parametrize("images, message", [
    (np.zeros((5, 63)), r"images: expected shape \(N, 64\) or \(N, 8, 8\), got \(5, 63\)"),
    (np.zeros((5, 8, 7)), r"got \(5, 8, 7\)"),
    (np.zeros(64), r"got \(64,\)"),
    (np.full((2, 64), DIGIT_MAX), r"expected pixels in \[0, 1\] \(ink / DIGIT_MAX\), got values "
                                  r"from 16 to 16"),
    (np.full((2, 64), -0.5), r"got values from -0.5 to -0.5"),
    (np.full((2, 64), np.nan), r"expected finite pixels in \[0, 1\], got NaN or inf"),
])
def test_images_of_the_wrong_shape_or_range_are_refused(images, message):
    with pytest.raises(ValueError, match=message):
        digit_images(images)


def test_every_entry_point_checks_its_images(judge):
    classifier, _, split = judge
    raw = split.X_val  # ink 0–16, not divided by DIGIT_MAX
    with pytest.raises(ValueError, match=r"pixels in \[0, 1\]"):
        digit_score(classifier, raw)
    with pytest.raises(ValueError, match=r"X_train: expected pixels in \[0, 1\]"):
        train_digit_classifier(raw, split.y_val, raw, split.y_val, epochs=1)
    with pytest.raises(ValueError, match=r"images: expected pixels in \[0, 1\]"):
        train_gan(GAN(DIGITS), raw, epochs=1)
    with pytest.raises(ValueError, match=r"data: expected shape \(N, 2\), got \(10, 3\)"):
        train_gan(GAN(RING), np.zeros((10, 3)), epochs=1)
    assert isinstance(classifier, DigitClassifier)


def test_other_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="generator loss must be one of"):
        GAN(RING.replace(loss="wasserstein"))
    with pytest.raises(ValueError, match="output must be one of 'linear', 'sigmoid'"):
        Generator(2, 2, output="tanh")
    with pytest.raises(ValueError, match=r"t: expected a number or an array \(T,\) in \[0, 1\]"):
        interpolate(torch.zeros(3), torch.ones(3), 1.5)
    with pytest.raises(ValueError, match="two latent points of the same shape"):
        interpolate(torch.zeros(3), torch.ones(4), 0.5)
    with pytest.raises(ValueError, match=r"samples: expected shape \(N, 2\)"):
        mode_coverage(np.zeros((5, 3)))
