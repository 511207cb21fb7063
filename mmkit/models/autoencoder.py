"""Autoencoders: compress an image into a few numbers, and reconstruct it from them.

An autoencoder is two networks trained as one: an **encoder** that maps an
image x (64 pixels) to a short code z (the *latent*, e.g. 8 numbers) and a
**decoder** that maps z back to an image x̂. Training lowers the
reconstruction error ‖x − x̂‖²; the narrow middle forces the code to keep what
matters most about the image. Read top to bottom:

    settings       IMAGE_SIZE, NOISE_RANGE; check_images, check_latents, check_noise_level
    models         Autoencoder (fully connected), ConvAutoencoder (small CNN),
                   DenoisingAutoencoder (trained on noisy inputs, clean targets),
                   VariationalAutoencoder (a distribution per image; generates)
    VAE pieces     reparameterize (z = μ + σ·ε), kl_divergence (KL(N(μ, σ²) ‖ N(0, I)))
    training       fit_autoencoder: a step function run by mmkit.train.train;
                   validation_snapshot: the validation error and the weights, per epoch
    helpers        reconstruct, encode, decode, sample, reconstruction_error;
                   add_noise, psnr, psnr_by_noise_level (denoising);
                   block_mask, random_mask, impute, missing_pixel_error (imputing)

Images are flat rows of 8×8 = 64 pixels in [0, 1] (scikit-learn's digits
divided by 16): NumPy arrays or tensors of shape (N, 64). The helpers take and
return NumPy arrays (float32); the models take and return tensors.
"""

import copy
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from mmkit.train import History, evaluate, train
from mmkit.validate import check_count, check_positive, default_rng

IMAGE_SIDE = 8
IMAGE_SIZE = IMAGE_SIDE * IMAGE_SIDE  # 64 pixels per image
NOISE_RANGE = (0.0, 1.0)  # a noise level is the standard deviation of Gaussian pixel noise
ArrayLike = np.ndarray | torch.Tensor


# --- input checks ---------------------------------------------------------------------------

def check_images(images: ArrayLike, name: str = "images") -> torch.Tensor:
    """images (N, 64) in [0, 1] → a float32 tensor; otherwise ValueError saying what arrived."""
    array = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else \
        np.asarray(images)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name}: expected numbers, got dtype {array.dtype}")
    if array.ndim != 2 or array.shape[1] != IMAGE_SIZE:
        hint = " (flatten 8×8 images with .reshape(len(images), 64))" \
            if array.shape[-2:] == (IMAGE_SIDE, IMAGE_SIDE) else ""
        raise ValueError(f"{name}: expected shape (N, {IMAGE_SIZE}), 8×8 pixels per row, "
                         f"got {array.shape}{hint}")
    if array.size and not np.isfinite(array).all():
        raise ValueError(f"{name}: expected finite pixel values in [0, 1], got NaN or inf")
    if array.size and (array.min() < 0 or array.max() > 1):
        hint = " (divide scikit-learn's digits by 16)" if 1 < array.max() <= 16 else ""
        raise ValueError(f"{name}: expected pixel values in [0, 1], got values from "
                         f"{array.min():.3g} to {array.max():.3g}{hint}")
    return torch.as_tensor(array, dtype=torch.float32)


def check_latents(latents: ArrayLike, size: int) -> torch.Tensor:
    """latents (N, size), or one latent point (size,) → a float32 tensor (N, size)."""
    array = latents.detach().cpu().numpy() if isinstance(latents, torch.Tensor) else \
        np.asarray(latents, dtype=np.float32)
    if array.ndim not in (1, 2) or array.shape[-1] != size:
        raise ValueError(f"latent: expected a latent point of size {size}, shape ({size},) or "
                         f"(N, {size}), got shape {array.shape}")
    array = array.reshape(-1, size)
    if not np.isfinite(array).all():
        raise ValueError("latent: expected finite numbers, got NaN or inf")
    return torch.as_tensor(array, dtype=torch.float32)


def check_noise_level(noise_level: float) -> float:
    """A noise level (the noise's standard deviation) in NOISE_RANGE = [0, 1]."""
    low, high = NOISE_RANGE
    if isinstance(noise_level, bool) or not isinstance(noise_level, int | float | np.number) \
            or not low <= noise_level <= high:
        raise ValueError(f"noise_level: expected a number in [{low:g}, {high:g}] (the standard "
                         f"deviation of the pixel noise), got {noise_level!r}")
    return float(noise_level)


# --- models ---------------------------------------------------------------------------------

def _mlp(sizes: list[int], linear: bool) -> nn.Sequential:
    """Linear layers for `sizes`, ReLU between them (none if `linear`), none after the last."""
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2 and not linear:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """A fully connected autoencoder: 64 → hidden → latent → hidden → 64.

    latent: the size of the code z; hidden: the widths of the encoder's hidden
    layers (the decoder mirrors them). The decoder ends in a sigmoid, so x̂
    lies in [0, 1] like the pixels. linear: no ReLU and no sigmoid, x̂ an affine
    function of an affine function of x; with the squared error such an
    autoencoder can at best find PCA's subspace, so it can at best tie with PCA.

        encode: x (N, 64) → z (N, latent)
        decode: z (N, latent) → x̂ (N, 64)
        forward: x (N, 64) → x̂ (N, 64)
    """

    def __init__(self, latent: int = 8, hidden: tuple[int, ...] = (128,), linear: bool = False):
        super().__init__()
        self.latent = check_count(latent, "latent", minimum=1)
        self.hidden = tuple(check_count(h, "hidden", minimum=1) for h in hidden)
        self.linear = bool(linear)
        self.encoder = _mlp([IMAGE_SIZE, *self.hidden, self.latent], linear)
        self.decoder = _mlp([self.latent, *reversed(self.hidden), IMAGE_SIZE], linear)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        out = self.decoder(z)
        return out if self.linear else torch.sigmoid(out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class ConvAutoencoder(nn.Module):
    """A small convolutional autoencoder for 8×8 images.

    Encoder: (N, 1, 8, 8) → conv 3×3 stride 2 → (N, 16, 4, 4) → conv 3×3 stride 2
    → (N, 32, 2, 2) → linear → z (N, latent). Decoder: the mirror image, with
    transposed convolutions (kernel 4, stride 2: each doubles the side) back to
    (N, 1, 8, 8), then a sigmoid. Takes and returns flat rows (N, 64) like the others.
    """

    def __init__(self, latent: int = 8, channels: int = 16):
        super().__init__()
        self.latent = check_count(latent, "latent", minimum=1)
        c = check_count(channels, "channels", minimum=1)
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 3, stride=2, padding=1), nn.ReLU(),        # (N, c, 4, 4)
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.ReLU(),    # (N, 2c, 2, 2)
            nn.Flatten(), nn.Linear(2 * c * 4, self.latent))            # (N, latent)
        self.decoder = nn.Sequential(
            nn.Linear(self.latent, 2 * c * 4), nn.ReLU(),
            nn.Unflatten(1, (2 * c, 2, 2)),                             # (N, 2c, 2, 2)
            nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1), nn.ReLU(),  # (N, c, 4, 4)
            nn.ConvTranspose2d(c, 1, 4, stride=2, padding=1))           # (N, 1, 8, 8)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.reshape(-1, 1, IMAGE_SIDE, IMAGE_SIDE))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(z)).reshape(-1, IMAGE_SIZE)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class DenoisingAutoencoder(Autoencoder):
    """An `Autoencoder` trained to undo noise: input x + noise, target the clean x.

    noise_level: the standard deviation σ of the Gaussian noise added to every
    pixel during training (then clipped to [0, 1], see `add_noise`), in [0, 1].
    The network is the same; only the training step differs (`fit_autoencoder`
    reads `noise_level`). Because it cannot copy its input, it has to learn what
    digits look like, and pulls a noisy image back towards them.
    """

    def __init__(self, latent: int = 16, hidden: tuple[int, ...] = (128,),
                 noise_level: float = 0.3):
        super().__init__(latent, hidden)
        self.noise_level = check_noise_level(noise_level)


class VariationalAutoencoder(nn.Module):
    """A variational autoencoder (VAE): the encoder gives a Gaussian per image, not a point.

    For an image x the encoder returns μ(x) and log σ²(x), each (N, latent):
    the code is *random*, z ~ N(μ, σ²), drawn with `reparameterize`. The loss
    (the negative ELBO, per image) adds to the reconstruction error a KL term,

        KL(N(μ, σ²) ‖ N(0, I)) = ½ Σⱼ (μⱼ² + σⱼ² − log σⱼ² − 1)       (`kl_divergence`)

    which pulls every image's Gaussian towards the standard normal N(0, I). Two
    effects: codes of all images crowd into the same region around 0 with no
    holes between them, and decoding any z drawn from N(0, I) gives a plausible
    digit: the VAE *generates* (`sample`).

    The reconstruction term is the negative log-likelihood of a Gaussian decoder,
    x ~ N(x̂(z), s² I) with s = `decoder_std`: ‖x − x̂‖² / (2s²) per image (plus a
    constant). A smaller s weighs reconstruction more against the KL term (the
    β-VAE's β is 2s²): sharper reconstructions, a latent space less like N(0, I).

        encode: x (N, 64) → (μ, log σ²), each (N, latent)
        decode: z (N, latent) → x̂ (N, 64)
        forward: x (N, 64) → (x̂ (N, 64), μ, log σ²)
    """

    def __init__(self, latent: int = 2, hidden: tuple[int, ...] = (128,),
                 decoder_std: float = 0.2):
        super().__init__()
        self.latent = check_count(latent, "latent", minimum=1)
        self.hidden = tuple(check_count(h, "hidden", minimum=1) for h in hidden)
        self.decoder_std = check_positive(decoder_std, "decoder_std")
        self.body = _mlp([IMAGE_SIZE, *self.hidden], linear=False)
        self.to_mu = nn.Linear(self.hidden[-1], self.latent)
        self.to_logvar = nn.Linear(self.hidden[-1], self.latent)
        self.decoder = _mlp([self.latent, *reversed(self.hidden), IMAGE_SIZE], linear=False)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.relu(self.body(x))
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(z))

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar, generator=generator)), mu, logvar


# --- the VAE's two pieces -------------------------------------------------------------------

def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor | None = None,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """z = μ + σ·ε with σ = exp(½ log σ²) and ε ~ N(0, I): a draw from N(μ, σ²).

    mu, logvar, eps: (N, latent) → z (N, latent). Drawing z directly from
    N(μ, σ²) would give no gradient with respect to μ and σ; written this way,
    the randomness sits in ε, and z depends on μ and σ through plain
    arithmetic that backpropagation goes through (the reparameterisation
    trick). Pass `eps` to fix the noise, or a `generator` to seed it.
    """
    if eps is None:
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + torch.exp(0.5 * logvar) * eps


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) per image, summed over the latent dimensions, averaged over N.

    mu, logvar: (N, latent) → a scalar tensor. For one dimension,
    KL = ½ (μ² + σ² − log σ² − 1): 0 exactly when μ = 0 and σ = 1, positive otherwise.
    The same as `torch.distributions.kl_divergence(Normal(μ, σ), Normal(0, 1))`,
    summed over the latent and averaged over the batch.
    """
    return 0.5 * (mu.square() + logvar.exp() - logvar - 1).sum(dim=1).mean()


# --- training -------------------------------------------------------------------------------

def add_noise(images: ArrayLike, noise_level: float, seed: int | None = 0) -> np.ndarray:
    """images (N, 64) in [0, 1] + Gaussian noise of standard deviation `noise_level`,
    clipped back to [0, 1] → (N, 64) float32. seed: the noise drawn (None: NumPy's global state)."""
    x = check_images(images).numpy()
    noise_level = check_noise_level(noise_level)
    noise = default_rng(seed).normal(0.0, 1.0, x.shape).astype(np.float32)
    return np.clip(x + noise_level * noise, 0.0, 1.0)


def _noisy(x: torch.Tensor, noise_level: float, generator: torch.Generator) -> torch.Tensor:
    """`add_noise` inside a training step: x (B, 64) tensor → x + σ·noise, clipped to [0, 1]."""
    return (x + noise_level * torch.randn(x.shape, generator=generator)).clamp(0.0, 1.0)


def fit_autoencoder(model: nn.Module, X_train: ArrayLike, epochs: int, batch_size: int = 64,
                    lr: float = 3e-3, seed: int = 0, snapshot: Callable[[], Any] | None = None,
                    snapshot_every: int = 1, progress: bool = False) -> History:
    """Train `model` on images X_train (N, 64) in [0, 1] with Adam; return the History.

    The step function depends on the model:
    - Autoencoder, ConvAutoencoder: the loss is the mean squared error per pixel
      between x̂ and x ("reconstruction");
    - DenoisingAutoencoder: the input is x plus fresh noise of the model's
      noise_level at every step, the target the clean x;
    - VariationalAutoencoder: the loss per image is the negative ELBO, the squared
      error summed over the 64 pixels / (2 decoder_std²) plus the KL term ("loss");
      "reconstruction" (the mean squared error per pixel, comparable with the
      others) and "kl" are recorded too.
    seed: the batch order and the noise (seed the model's weights yourself, before
    building it: `torch.manual_seed(seed)`). snapshot, snapshot_every, progress: as in
    `mmkit.train.train`.
    """
    x = check_images(X_train, "X_train")
    optimizer = torch.optim.Adam(model.parameters(), lr=check_positive(lr, "lr"))
    noise = torch.Generator().manual_seed(seed + 1)
    noise_level = getattr(model, "noise_level", 0.0)

    def step(batch: torch.Tensor) -> dict[str, float]:
        model.train()
        optimizer.zero_grad()
        if isinstance(model, VariationalAutoencoder):
            x_hat, mu, logvar = model(batch, generator=noise)
            squared = (x_hat - batch).square().sum(dim=1).mean()  # per image, over 64 pixels
            kl = kl_divergence(mu, logvar)
            loss = squared / (2 * model.decoder_std**2) + kl
            losses = {"loss": loss.item(), "reconstruction": squared.item() / IMAGE_SIZE,
                      "kl": kl.item()}
        else:
            inputs = _noisy(batch, noise_level, noise) if noise_level > 0 else batch
            loss = F.mse_loss(model(inputs), batch)
            losses = {"reconstruction": loss.item()}
        loss.backward()
        optimizer.step()
        return losses

    history = train(step, x, epochs, batch_size=batch_size, seed=seed, snapshot=snapshot,
                    snapshot_every=snapshot_every, progress=progress,
                    description=type(model).__name__)
    model.eval()
    return history


def validation_snapshot(model: nn.Module, X_val: ArrayLike) -> Callable[[], dict]:
    """A `snapshot` for `fit_autoencoder`: {"val_error": the reconstruction error on X_val
    (N, 64), "state": a copy of the weights}. With it, the weights of the epoch the
    validation error prefers can be restored: `model.load_state_dict(snapshot["state"])`."""
    images = check_images(X_val, "X_val")

    def take() -> dict:
        return {"val_error": reconstruction_error(model, images),
                "state": copy.deepcopy(model.state_dict())}

    return take


# --- helpers for what the notebooks show ----------------------------------------------------

@torch.no_grad()
def encode(model: nn.Module, images: ArrayLike) -> np.ndarray:
    """images (N, 64) in [0, 1] → their codes (N, latent); for a VAE the mean μ."""
    model.eval()
    code = model.encode(check_images(images))
    return (code[0] if isinstance(code, tuple) else code).numpy()


@torch.no_grad()
def decode(model: nn.Module, latents: ArrayLike) -> np.ndarray:
    """latent points (N, latent), or one (latent,) → the decoded images (N, 64) in [0, 1]."""
    model.eval()
    return model.decode(check_latents(latents, model.latent)).numpy()


@torch.no_grad()
def reconstruct(model: nn.Module, images: ArrayLike) -> np.ndarray:
    """images (N, 64) in [0, 1] → x̂ = decode(encode(x)), (N, 64); a VAE decodes its μ."""
    return decode(model, encode(model, images))


def sample(model: VariationalAutoencoder, n: int, seed: int = 0) -> np.ndarray:
    """n new images from a VAE: decode z drawn from the prior N(0, I) → (n, 64)."""
    n = check_count(n, "n", minimum=1)
    z = torch.randn((n, model.latent), generator=torch.Generator().manual_seed(seed))
    return decode(model, z)


def reconstruction_error(model: nn.Module, images: ArrayLike) -> float:
    """The mean squared error per pixel between images (N, 64) and their reconstructions,
    averaged with `mmkit.train.evaluate` (a VAE decodes its μ)."""
    model.eval()

    def error(x: torch.Tensor) -> dict[str, float]:
        code = model.encode(x)
        x_hat = model.decode(code[0] if isinstance(code, tuple) else code)
        return {"mse": F.mse_loss(x_hat, x).item()}

    return evaluate(error, check_images(images))["mse"]


def psnr(clean: ArrayLike, estimate: ArrayLike, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB: 10·log10(data_range² / MSE), over all pixels.

    clean, estimate: arrays of the same shape. Higher is better: every halving of
    the mean squared error adds about 3 dB. Infinite when the two are equal.
    """
    clean = np.asarray(clean, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    if clean.shape != estimate.shape:
        raise ValueError(f"psnr: expected two arrays of the same shape, got {clean.shape} and "
                         f"{estimate.shape}")
    peak = check_positive(data_range, "data_range")
    mse = float(np.mean((clean - estimate) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(peak**2 / mse)


def psnr_by_noise_level(model: nn.Module, images: ArrayLike, noise_levels: Sequence[float],
                        seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """PSNR of the noisy images and of the model's reconstructions of them, per noise level.

    images (N, 64) in [0, 1]; noise_levels (L,) in [0, 1] → (noisy dB (L,), denoised dB (L,)),
    each level's noise drawn with `seed` (`add_noise`).
    """
    noisy_db, denoised_db = [], []
    for level in noise_levels:
        noisy = add_noise(images, level, seed=seed)
        noisy_db.append(psnr(images, noisy))
        denoised_db.append(psnr(images, reconstruct(model, noisy)))
    return np.array(noisy_db), np.array(denoised_db)


def block_mask(n: int, top: int = 0, left: int = 0, height: int = 4, width: int = 4
               ) -> np.ndarray:
    """Which pixels are known when a block is missing: (n, 64) bools, False inside the block
    of height × width pixels whose top-left corner is (top, left)."""
    n = check_count(n, "n")
    if not (0 <= top and 0 <= left and top + height <= IMAGE_SIDE
            and left + width <= IMAGE_SIDE and height > 0 and width > 0):
        raise ValueError(f"block_mask: expected a block inside the 8×8 image, got rows "
                         f"{top}..{top + height - 1}, columns {left}..{left + width - 1}")
    known = np.ones((IMAGE_SIDE, IMAGE_SIDE), dtype=bool)
    known[top:top + height, left:left + width] = False
    return np.tile(known.ravel(), (n, 1))


def random_mask(n: int, missing: float = 0.5, seed: int = 0) -> np.ndarray:
    """Which pixels are known when each pixel is missing with probability `missing`:
    (n, 64) bools, True where known."""
    n = check_count(n, "n")
    if not 0 <= missing <= 1:
        raise ValueError(f"random_mask: expected a fraction missing in [0, 1], got {missing!r}")
    return default_rng(seed).random((n, IMAGE_SIZE)) >= missing


def impute(model: nn.Module, images: ArrayLike, known: np.ndarray,
           fill: ArrayLike | float = 0.0, iterations: int = 10) -> np.ndarray:
    """Fill the missing pixels of images (N, 64) with the autoencoder's guess; keep the known.

    known: (N, 64) bools, True where a pixel is known (values of `images` where it
    is False are ignored). fill: the first guess for the missing pixels (a number,
    or the (64,) mean image). Then, `iterations` times: reconstruct the current
    image and copy the reconstruction into the missing pixels only. The known
    pixels are returned exactly as given → (N, 64) float32.
    """
    images = np.asarray(images, dtype=np.float32)
    known = np.asarray(known)
    if known.shape != images.shape or known.dtype != bool:
        raise ValueError(f"known: expected bools of the images' shape {images.shape}, got "
                         f"{known.dtype} {known.shape}")
    x = check_images(np.where(known, images, 0.0)).numpy()  # what is unknown is never read
    iterations = check_count(iterations, "iterations")
    guess = np.broadcast_to(np.asarray(fill, dtype=np.float32), x.shape)
    x = np.where(known, x, guess).astype(np.float32)
    for _ in range(iterations):
        x = np.where(known, x, reconstruct(model, x))
    return x


def missing_pixel_error(images: ArrayLike, filled: ArrayLike, known: np.ndarray) -> float:
    """The mean squared error over the missing pixels only (where `known` is False):
    images, filled (N, 64), known (N, 64) bools → a float (NaN if nothing is missing)."""
    missing = ~np.asarray(known, dtype=bool)
    if not missing.any():
        return float("nan")
    difference = np.asarray(filled, dtype=np.float64) - np.asarray(images, dtype=np.float64)
    return float(np.mean(difference[missing] ** 2))
