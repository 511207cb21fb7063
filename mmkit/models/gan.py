"""Generative adversarial networks: a generator against a discriminator (notebook 06).

A generator G maps random latent points z to samples G(z); a discriminator D
maps a sample to a logit, its log-odds that the sample is real. D learns to
tell real from generated; G learns to fool D. Read top to bottom:

    config          GANConfig, RING, DIGITS             sizes, learning rates, epochs
    networks        Generator, Discriminator, GAN       two small MLPs and their optimizers
    losses          discriminator_loss, generator_loss, saturating_generator_loss
    training        discriminator_step, generator_step, make_step, train_gan (the kit's
                    one loop, `mmkit.train.train`, with snapshots); train_discriminator,
                    generator_gradient_norm (a D far ahead of G starves the saturating loss)
    the ring        ring_centers, ring_data, mode_coverage, ModeCoverage, sample_spread
    digits          digit_images, digits_data, DigitClassifier, train_digit_classifier,
                    digit_score, DigitScore, interpolate

Pixels: the digit GAN works with images in [0, 1] (ink / `DIGIT_MAX`); its
generator ends in a sigmoid, so every sample is a valid image. The ring lives
in the plane: its generator's output is linear.
"""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mmkit.data.digits import DIGIT_MAX, DIGIT_SIZE
from mmkit.data.toy import ring_of_gaussians
from mmkit.train import History, evaluate, train
from mmkit.validate import check_count, check_positive, check_shape, lookup

PIXELS = DIGIT_SIZE * DIGIT_SIZE  # 64
N_CLASSES = 10

# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class GANConfig:
    """Everything that defines a GAN and how it trains.

    latent_dim: the size of z; data_dim: the size of one sample (2 for the plane,
    64 for an 8×8 image); hidden: the width of both networks' two hidden layers;
    output: "linear" (any point) or "sigmoid" (pixels in [0, 1]); the two learning
    rates of Adam (β₁ = 0.5, the usual choice for GANs); loss: the generator's loss,
    a name in `GENERATOR_LOSSES`; epochs and batch_size for `train_gan`.
    """

    latent_dim: int
    data_dim: int
    hidden: int = 64
    output: str = "linear"
    lr_generator: float = 2e-3
    lr_discriminator: float = 2e-3
    betas: tuple[float, float] = (0.5, 0.999)
    loss: str = "non-saturating"
    epochs: int = 100
    batch_size: int = 256

    def replace(self, **changes) -> "GANConfig":
        """A copy with some fields changed: `RING.replace(lr_generator=2e-2)`."""
        return dataclasses.replace(self, **changes)


#: The ring of 8 Gaussians: 2-D noise → a point of the plane; 100 epochs of 8 batches of 256
#: (800 steps for each player, under two seconds on one CPU core).
RING = GANConfig(latent_dim=2, data_dim=2, hidden=64, output="linear", epochs=100,
                 batch_size=256)
#: 8×8 digits: 16-D noise → 64 pixels in [0, 1]; 100 epochs of the 1,077 training images.
DIGITS = GANConfig(latent_dim=16, data_dim=PIXELS, hidden=128, output="sigmoid", epochs=100,
                   batch_size=64)

# --------------------------------------------------------------------------- networks


def mlp(sizes: list[int], activation: Callable[[], nn.Module]) -> nn.Sequential:
    """Linear layers of the given sizes with `activation` between them (none at the end)."""
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class Generator(nn.Module):
    """z (N, latent_dim) → samples (N, data_dim): an MLP with two hidden ReLU layers.

    output "sigmoid" squashes every value into (0, 1) (pixels); "linear" leaves it free.
    A latent of the wrong size raises ValueError saying what was expected.
    """

    def __init__(self, latent_dim: int, data_dim: int, hidden: int = 64,
                 output: str = "linear"):
        super().__init__()
        self.latent_dim, self.data_dim = latent_dim, data_dim
        self.output = lookup(output, ("linear", "sigmoid"), "output")
        self.net = mlp([latent_dim, hidden, hidden, data_dim], nn.ReLU)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        check_shape(z, (None, self.latent_dim), "latent z")
        x = self.net(z)
        return torch.sigmoid(x) if self.output == "sigmoid" else x


class Discriminator(nn.Module):
    """samples (N, data_dim) → logits (N,): the log-odds that each sample is real.

    LeakyReLU(0.2) keeps a gradient everywhere, so the generator always learns
    which way to move. No sigmoid at the end: the losses take logits (stable).
    """

    def __init__(self, data_dim: int, hidden: int = 64):
        super().__init__()
        self.data_dim = data_dim
        self.net = mlp([data_dim, hidden, hidden, 1], lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_shape(x, (None, self.data_dim), "samples")
        return self.net(x).squeeze(1)


class GAN(nn.Module):
    """A generator, a discriminator and one Adam optimizer for each, built from a config.

    seed: the initial weights of both networks (torch's global generator is left as
    it was). `generate(z)` and `sample(n, seed)` give NumPy samples (N, data_dim).
    """

    def __init__(self, config: GANConfig, seed: int = 0):
        super().__init__()
        self.config = config
        lookup(config.loss, GENERATOR_LOSSES, "generator loss")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.generator = Generator(config.latent_dim, config.data_dim, config.hidden,
                                       config.output)
            self.discriminator = Discriminator(config.data_dim, config.hidden)
        # foreach: all of a network's tensors in one update (the same numbers, faster)
        self.g_optimizer = torch.optim.Adam(self.generator.parameters(),
                                            lr=config.lr_generator, betas=config.betas,
                                            foreach=True)
        self.d_optimizer = torch.optim.Adam(self.discriminator.parameters(),
                                            lr=config.lr_discriminator, betas=config.betas,
                                            foreach=True)

    @torch.no_grad()
    def generate(self, z: np.ndarray | torch.Tensor) -> np.ndarray:
        """z (N, latent_dim) → samples (N, data_dim) as a float32 NumPy array."""
        return self.generator(torch.as_tensor(z, dtype=torch.float32)).numpy()

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """n samples (n, data_dim) from n latent points drawn with `seed`."""
        return self.generate(latents(n, self.config.latent_dim, seed))


def latents(n: int, latent_dim: int, seed: int = 0) -> torch.Tensor:
    """n latent points from the standard normal, drawn with `seed`: (n, latent_dim)."""
    n = check_count(n, "latents: n", minimum=1)
    return torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))


# --------------------------------------------------------------------------- losses
#
# D outputs a logit a; the probability that the sample is real is D = σ(a). With
# log σ(a) = −softplus(−a) and log(1 − σ(a)) = −softplus(a) every loss below is the
# binary cross-entropy written out, stable for any logit (no log of a rounded 0).


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """−mean log D(x) − mean log(1 − D(G(z))): BCE with label 1 for real, 0 for fake.

    real_logits (N,), fake_logits (M,) → a number (0-d tensor). It equals
    F.binary_cross_entropy_with_logits(real, 1) + F.binary_cross_entropy_with_logits(fake, 0).
    """
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss −mean log D(G(z)): BCE with label 1 for fakes.

    fake_logits (M,) → a number. Large when D spots the fakes (a → −∞), so G learns
    fastest exactly when it is worst.
    """
    return F.softplus(-fake_logits).mean()


def saturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The minimax generator loss mean log(1 − D(G(z))), the game as first written.

    fake_logits (M,) → a number. Its gradient −σ(a) vanishes when D spots the fakes
    (a → −∞): it saturates at the start of training, when G needs gradients most.
    """
    return -F.softplus(fake_logits).mean()


GENERATOR_LOSSES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "non-saturating": generator_loss,
    "saturating": saturating_generator_loss,
}

# --------------------------------------------------------------------------- training


def discriminator_step(discriminator: nn.Module, optimizer: torch.optim.Optimizer,
                       real: torch.Tensor, fake: torch.Tensor) -> float:
    """One update of D on real (B, D_in) and generated (B, D_in) samples; returns its loss.

    fake.detach(): D's loss must not reach G. Without it, backward() would run on
    through G, filling G's gradients with D's objective (make the fakes easier to
    spot) and freeing G's graph, so the generator step on the same fakes could no
    longer backpropagate. Detached, the fakes are plain inputs to D.
    """
    optimizer.zero_grad()
    loss = discriminator_loss(discriminator(real), discriminator(fake.detach()))
    loss.backward()
    optimizer.step()
    return loss.item()


def generator_step(discriminator: nn.Module, optimizer: torch.optim.Optimizer,
                   fake: torch.Tensor, loss: str = "non-saturating") -> float:
    """One update of G through the (just updated) D; fake = G(z), still attached to G.

    optimizer holds G's parameters only: backward() also fills D's gradients, but D's
    next step zeroes them first. Returns the generator's loss.
    """
    optimizer.zero_grad()
    value = lookup(loss, GENERATOR_LOSSES, "generator loss")(discriminator(fake))
    value.backward()
    optimizer.step()
    return value.item()


def make_step(gan: GAN, seed: int = 0) -> Callable[[torch.Tensor], dict[str, float]]:
    """A training step for `mmkit.train.train`: real (B, data_dim) → both players' losses.

    Draws B latent points (with its own generator, seeded), updates D, then G, and
    returns {"discriminator": D's loss, "generator": G's loss}.
    """
    noise = torch.Generator().manual_seed(seed)

    def step(real: torch.Tensor) -> dict[str, float]:
        z = torch.randn(len(real), gan.config.latent_dim, generator=noise)
        fake = gan.generator(z)
        d_loss = discriminator_step(gan.discriminator, gan.d_optimizer, real, fake)
        g_loss = generator_step(gan.discriminator, gan.g_optimizer, fake, gan.config.loss)
        return {"discriminator": d_loss, "generator": g_loss}

    return step


def train_gan(gan: GAN, data: np.ndarray | torch.Tensor, epochs: int | None = None,
              seed: int = 0, snapshot_latents: torch.Tensor | None = None,
              snapshot_every: int = 1, progress: bool = False) -> History:
    """Train `gan` on data (N, data_dim) with the kit's loop; return the History.

    epochs: the config's if None. seed: the batch order and the latent draws.
    snapshot_latents (S, latent_dim): a fixed latent batch; its samples (S, data_dim)
    are recorded before training and every `snapshot_every` epochs, so the pictures
    show the same z moving over time. history["discriminator"], history["generator"]:
    each loss's mean per epoch.
    """
    config = gan.config
    data = torch.as_tensor(check_samples(data, config), dtype=torch.float32)
    snapshot = None
    if snapshot_latents is not None:
        check_shape(snapshot_latents, (None, config.latent_dim), "snapshot_latents")
        snapshot = lambda: gan.generate(snapshot_latents)  # noqa: E731
    return train(make_step(gan, seed), data, epochs=config.epochs if epochs is None else epochs,
                 batch_size=config.batch_size, seed=seed, snapshot=snapshot,
                 snapshot_every=snapshot_every, progress=progress, description="GAN")


def train_discriminator(gan: GAN, data: np.ndarray | torch.Tensor, epochs: int,
                        seed: int = 0) -> History:
    """Train D alone against the current generator, which stays as it is: a discriminator
    far ahead of its generator, as at the start of training when D learns faster.

    data (N, data_dim); returns the History of D's loss.
    """
    config = gan.config
    data = torch.as_tensor(check_samples(data, config), dtype=torch.float32)
    noise = torch.Generator().manual_seed(seed)

    def step(real: torch.Tensor) -> dict[str, float]:
        with torch.no_grad():
            fake = gan.generator(torch.randn(len(real), config.latent_dim, generator=noise))
        return {"discriminator": discriminator_step(gan.discriminator, gan.d_optimizer, real,
                                                    fake)}

    return train(step, data, epochs=epochs, batch_size=config.batch_size, seed=seed,
                 progress=False, description="discriminator")


def generator_gradient_norm(gan: GAN, loss: str, n: int = 512, seed: int = 0) -> float:
    """How hard `loss` pushes the generator now: the norm of the gradient of G's loss with
    respect to all of G's parameters, on n latent points drawn with `seed`. Nothing is
    updated, and no .grad is touched."""
    loss_function = lookup(loss, GENERATOR_LOSSES, "generator loss")
    fake_logits = gan.discriminator(gan.generator(latents(n, gan.config.latent_dim, seed)))
    grads = torch.autograd.grad(loss_function(fake_logits), list(gan.generator.parameters()))
    return float(torch.sqrt(sum((g**2).sum() for g in grads)))

def check_samples(data: np.ndarray | torch.Tensor, config: GANConfig) -> np.ndarray:
    """data as a NumPy array (N, data_dim), refused with a ValueError if it does not fit
    `config` (images must be (N, 64) or (N, 8, 8) with pixels in [0, 1])."""
    if config.output == "sigmoid" and config.data_dim == PIXELS:
        return digit_images(data).numpy()
    array = np.asarray(data, dtype=np.float32)
    return check_shape(array, (None, config.data_dim), "data")


# --------------------------------------------------------------------------- the ring

RING_MODES, RING_RADIUS, RING_STD = 8, 2.0, 0.1


def ring_data(n: int = 2048, seed: int = 0) -> torch.Tensor:
    """n points (n, 2) float32 from the ring of 8 Gaussians (`ring_of_gaussians`)."""
    X, _ = ring_of_gaussians(n, RING_MODES, RING_RADIUS, RING_STD, seed)
    return torch.as_tensor(X, dtype=torch.float32)


def ring_centers(modes: int = RING_MODES, radius: float = RING_RADIUS) -> np.ndarray:
    """The modes' centres (modes, 2): radius·(cos 2πk/modes, sin 2πk/modes)."""
    angles = 2 * np.pi * np.arange(modes) / modes
    return radius * np.column_stack([np.cos(angles), np.sin(angles)])


@dataclass(frozen=True)
class ModeCoverage:
    """How a set of samples covers the modes: counts (modes,) of samples within the
    radius of each centre; a mode is covered when it holds at least `needed` of them."""

    counts: np.ndarray
    n_samples: int
    needed: int

    @property
    def covered(self) -> int:
        """How many modes hold at least `needed` samples."""
        return int((self.counts >= self.needed).sum())

    @property
    def modes(self) -> int:
        return len(self.counts)

    @property
    def off_mode_share(self) -> float:
        """The share of samples near no mode at all (between modes, or far away)."""
        return 1.0 - float(self.counts.sum()) / self.n_samples

    def __repr__(self) -> str:
        return (f"{self.covered} of {self.modes} modes covered, "
                f"{self.off_mode_share:.0%} of samples off-mode")


def mode_coverage(samples: np.ndarray, centers: np.ndarray | None = None,
                  radius: float = 3 * RING_STD, min_share: float = 0.02) -> ModeCoverage:
    """Which modes receive samples: samples (N, 2), centers (M, 2) (the ring's if None).

    A sample belongs to a mode when it lies within `radius` of its centre (3 standard
    deviations of the ring's blobs by default: 99% of real points do); a mode is
    covered when at least `min_share` of the N samples belong to it (a sixth of the
    1/8 a perfect generator gives each), so a few stray points do not count.
    """
    samples = check_shape(np.asarray(samples, dtype=np.float64), (None, 2), "samples")
    centers = ring_centers() if centers is None else np.asarray(centers, dtype=np.float64)
    check_shape(centers, (None, 2), "centers")
    check_positive(radius, "radius")
    check_positive(min_share, "min_share")
    distances = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)  # (N, M)
    nearest = distances.argmin(axis=1)
    near = distances.min(axis=1) <= radius
    counts = np.bincount(nearest[near], minlength=len(centers))
    return ModeCoverage(counts, len(samples), max(1, int(np.ceil(min_share * len(samples)))))



def sample_spread(samples: np.ndarray) -> float:
    """The root-mean-square distance of samples (N, 2) from their mean: about 2 for the
    ring (its radius), near 0 for a collapsed generator, wherever its blob sits."""
    samples = check_shape(np.asarray(samples, dtype=np.float64), (None, 2), "samples")
    return float(np.sqrt(((samples - samples.mean(axis=0)) ** 2).sum(axis=1).mean()))

# --------------------------------------------------------------------------- digits


def digit_images(images: np.ndarray | torch.Tensor, name: str = "images") -> torch.Tensor:
    """images (N, 64) or (N, 8, 8) with pixels in [0, 1] → a float32 tensor (N, 64).

    Raises ValueError for another shape, or for pixels outside [0, 1] (raw ink runs
    from 0 to 16: divide by DIGIT_MAX), saying what arrived.
    """
    x = torch.as_tensor(np.asarray(images, dtype=np.float32))
    if x.ndim == 3 and x.shape[1:] == (DIGIT_SIZE, DIGIT_SIZE):
        x = x.reshape(len(x), PIXELS)
    if x.ndim != 2 or x.shape[1] != PIXELS:
        raise ValueError(f"{name}: expected shape (N, 64) or (N, 8, 8), got "
                         f"{tuple(x.shape)}")
    if x.numel() and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name}: expected finite pixels in [0, 1], got NaN or inf")
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"{name}: expected pixels in [0, 1] (ink / DIGIT_MAX), got values "
                         f"from {x.min().item():.3g} to {x.max().item():.3g}")
    return x


def digits_data(X: np.ndarray) -> torch.Tensor:
    """Raw digits (N, 64) with ink 0–16, as load_digits_split(standardized=False) gives them
    → images (N, 64) in [0, 1]."""
    return digit_images(np.asarray(X, dtype=np.float64) / DIGIT_MAX, "digits / DIGIT_MAX")


class DigitClassifier(nn.Module):
    """images (N, 64) in [0, 1] → logits (N, 10): an MLP with one hidden layer of 64.

    The judge of the digit GAN's samples; trained on the training split only.
    """

    def __init__(self, hidden: int = 64):
        super().__init__()
        self.net = mlp([PIXELS, hidden, N_CLASSES], nn.ReLU)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    @torch.no_grad()
    def probabilities(self, images: np.ndarray | torch.Tensor) -> np.ndarray:
        """images (N, 64) or (N, 8, 8) in [0, 1] → class probabilities (N, 10)."""
        return torch.softmax(self(digit_images(images)), dim=1).numpy()


@torch.no_grad()
def accuracy(classifier: nn.Module, images: np.ndarray | torch.Tensor,
             labels: np.ndarray | torch.Tensor) -> float:
    """The share of images (N, 64) in [0, 1] whose most likely class is the label (N,)."""
    x, y = digit_images(images), torch.as_tensor(labels)
    scores = evaluate(lambda xb, yb: {"accuracy": (classifier(xb).argmax(1) == yb).float()
                                      .mean()}, (x, y))
    return scores["accuracy"]


def train_digit_classifier(X_train: np.ndarray, y_train: np.ndarray, X_val: np.ndarray,
                           y_val: np.ndarray, epochs: int = 20, lr: float = 1e-2,
                           seed: int = 0) -> tuple[DigitClassifier, float]:
    """Train a `DigitClassifier` with Adam and cross-entropy on images in [0, 1];
    return it and its accuracy on the validation images.

    X_*: (N, 64) or (N, 8, 8) in [0, 1]; y_*: (N,) labels 0–9.
    """
    x, y = digit_images(X_train, "X_train"), torch.as_tensor(y_train)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        classifier = DigitClassifier()
    optimizer = torch.optim.Adam(classifier.parameters(), lr=lr)

    def step(xb: torch.Tensor, yb: torch.Tensor) -> dict[str, float]:
        optimizer.zero_grad()
        loss = F.cross_entropy(classifier(xb), yb)
        loss.backward()
        optimizer.step()
        return {"cross-entropy": loss.item()}

    train(step, (x, y), epochs=epochs, batch_size=64, seed=seed, progress=False,
          description="classifier")
    classifier.eval()
    return classifier, accuracy(classifier, X_val, y_val)


@dataclass(frozen=True)
class DigitScore:
    """What the classifier says about N generated images: how many it assigns to each
    class, counts (10,), and its mean confidence (the mean of the largest probability)."""

    counts: np.ndarray
    mean_confidence: float
    needed: int

    @property
    def n_samples(self) -> int:
        return int(self.counts.sum())

    @property
    def classes(self) -> int:
        """How many classes receive at least `needed` of the samples."""
        return int((self.counts >= self.needed).sum())

    def __repr__(self) -> str:
        return (f"{self.classes} of {N_CLASSES} classes among {self.n_samples} samples, "
                f"mean confidence {self.mean_confidence:.2f}")


def digit_score(classifier: DigitClassifier, images: np.ndarray | torch.Tensor,
                min_share: float = 0.01) -> DigitScore:
    """Score generated images (N, 64) or (N, 8, 8) in [0, 1] with a trained classifier.

    A class is present when the classifier assigns it at least `min_share` of the
    images (5 of 500), so one odd image does not count as a class.
    """
    check_positive(min_share, "min_share")
    probabilities = classifier.probabilities(images)
    counts = np.bincount(probabilities.argmax(axis=1), minlength=N_CLASSES)
    needed = max(1, int(np.ceil(min_share * len(probabilities))))
    return DigitScore(counts, float(probabilities.max(axis=1).mean()), needed)


def interpolate(z0: np.ndarray | torch.Tensor, z1: np.ndarray | torch.Tensor,
                t: float | np.ndarray) -> torch.Tensor:
    """Points on the straight line from z0 to z1 (each (latent_dim,)): (1 − t)·z0 + t·z1.

    t: a number (→ (latent_dim,)) or an array (T,) (→ (T, latent_dim)), each in [0, 1].
    """
    z0 = torch.as_tensor(z0, dtype=torch.float32)
    z1 = torch.as_tensor(z1, dtype=torch.float32)
    if z0.ndim != 1 or z0.shape != z1.shape:
        raise ValueError(f"z0, z1: expected two latent points of the same shape (latent_dim,),"
                         f" got {tuple(z0.shape)} and {tuple(z1.shape)}")
    t_array = np.asarray(t, dtype=np.float32)
    if t_array.ndim > 1 or not np.all((t_array >= 0) & (t_array <= 1)):
        raise ValueError(f"t: expected a number or an array (T,) in [0, 1], got {t!r}")
    tt = torch.as_tensor(t_array)
    if tt.ndim == 0:
        return (1 - tt) * z0 + tt * z1
    return (1 - tt)[:, None] * z0 + tt[:, None] * z1

