"""Notebook 06's pictures and widgets: a GAN learning a ring of Gaussians, and digits.

The networks, losses, training step, mode coverage and the digit classifier are in
`mmkit.models.gan`; this module runs the notebook's settings over seeds, draws, and
wires two widgets around precomputed results (so a slider redraws at once).

    losses     plot_generator_gradients, saturation_experiment
    the ring   RING_SETTINGS, run_ring_settings, coverage_table, plot_ring,
               plot_ring_snapshots, plot_gan_losses, snapshot_widget
    digits     plot_digits_by_class, plot_digit_snapshots, plot_interpolation,
               interpolation_widget
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from matplotlib.patches import Circle

from mmkit.data.digits import DIGIT_SIZE
from mmkit.demos.plotting import plot_digit_grid, show_image
from mmkit.metrics import format_mean_std
from mmkit.models.gan import (
    GAN,
    GENERATOR_LOSSES,
    N_CLASSES,
    RING,
    RING_STD,
    DigitClassifier,
    GANConfig,
    generator_gradient_norm,
    interpolate,
    latents,
    mode_coverage,
    ring_centers,
    ring_data,
    sample_spread,
    train_discriminator,
    train_gan,
)
from mmkit.train import History
from mmkit.validate import lookup

SEEDS = (0, 1, 2)
"""The seeds every comparison is repeated with (initial weights, batch order, latents)."""

SNAPSHOT_EVERY = 5
SNAPSHOT_SEED = 1234
"""The ring's snapshots: the same 500 latent points every 5 epochs."""

RING_SETTINGS: dict[str, GANConfig] = {
    "balanced": RING,
    "G 10× faster": RING.replace(lr_generator=1e-2, lr_discriminator=1e-3),
}
"""The ring's two settings: both players at lr 2e-3, and a generator whose learning rate
is ten times the discriminator's (1e-2 against 1e-3), the setting that collapses."""

COLORS = {"balanced": "tab:blue", "G 10× faster": "tab:red", "non-saturating": "tab:blue",
          "saturating": "tab:orange", "discriminator": "tab:purple", "generator": "tab:green"}


# --------------------------------------------------------------------------- losses

def plot_generator_gradients(axes: Sequence[plt.Axes] | None = None) -> np.ndarray:
    """The two generator losses against D(G(z)) (left), and how hard each pushes the
    logit a of D(G(z)) = σ(a) (right): |∂loss/∂a| is D for the saturating loss and
    1 − D for the non-saturating one. Returns the two Axes."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9.0, 3.2))
    left, right = axes
    d = np.linspace(0.001, 0.999, 400)
    left.plot(d, np.log(1 - d), color=COLORS["saturating"],
              label="saturating: log(1 − D)")
    left.plot(d, -np.log(d), color=COLORS["non-saturating"],
              label="non-saturating: −log D")
    left.set(xlabel="D(G(z)): how real D finds a fake", ylabel="generator's loss",
             title="the generator minimises", ylim=(-4, 5))
    left.legend(loc="upper right")
    right.semilogy(d, d, color=COLORS["saturating"], label="saturating: D")
    right.semilogy(d, 1 - d, color=COLORS["non-saturating"], label="non-saturating: 1 − D")
    right.axvspan(0, 0.1, color="0.85", lw=0)
    right.text(0.05, 0.03, "D spots the fakes", rotation=90, ha="center", va="center")
    right.set(xlabel="D(G(z))", ylabel="|∂ loss / ∂ logit|",
              title="how hard each pushes G", ylim=(1e-3, 2))
    right.legend(loc="lower center")
    return np.array([left, right])


@dataclass(frozen=True)
class Saturation:
    """A discriminator trained alone, far ahead of its generator, once per seed:
    D(G(z)) averaged over fakes, (S,), and the norm of each generator loss's gradient
    with respect to G's parameters, loss name → (S,)."""

    seeds: tuple[int, ...]
    d_epochs: int
    fake_scores: np.ndarray
    gradient_norms: dict[str, np.ndarray]


def saturation_experiment(d_epochs: int = 10, seeds: Sequence[int] = SEEDS) -> Saturation:
    """For each seed: a fresh ring GAN, D trained alone for `d_epochs` against the
    untrained G, then each generator loss's gradient norm (`generator_gradient_norm`)."""
    scores, norms = [], {name: [] for name in GENERATOR_LOSSES}
    for seed in seeds:
        gan = GAN(RING, seed)
        train_discriminator(gan, ring_data(seed=seed), d_epochs, seed)
        with torch.no_grad():
            fakes = gan.generator(latents(512, RING.latent_dim, seed))
            scores.append(torch.sigmoid(gan.discriminator(fakes)).mean().item())
        for name in GENERATOR_LOSSES:
            norms[name].append(generator_gradient_norm(gan, name, seed=seed))
    return Saturation(tuple(seeds), d_epochs, np.array(scores),
                      {name: np.array(values) for name, values in norms.items()})


# --------------------------------------------------------------------------- the ring

@dataclass(frozen=True)
class RingRun:
    """One setting trained once per seed: the GANs and their histories (snapshots every
    `SNAPSHOT_EVERY` epochs of the same 500 latent points), in the order of `seeds`."""

    label: str
    config: GANConfig
    seeds: tuple[int, ...]
    gans: tuple[GAN, ...]
    histories: tuple[History, ...]

    def coverages(self, n: int = 2000):
        """Each seed's final `ModeCoverage`, on n fresh samples."""
        return [mode_coverage(sample) for sample in self.samples(n)]

    def spreads(self, n: int = 2000) -> list[float]:
        """Each seed's final `sample_spread` (the ring's is about 2), on n fresh samples."""
        return [sample_spread(sample) for sample in self.samples(n)]

    def samples(self, n: int = 2000) -> list[np.ndarray]:
        """n fresh samples (n, 2) from each seed's final generator (latent seed 10,000 + seed)."""
        return [gan.sample(n, seed=10_000 + seed)
                for gan, seed in zip(self.gans, self.seeds, strict=True)]


def run_ring_settings(settings: Mapping[str, GANConfig] | None = None,
                      seeds: Sequence[int] = SEEDS, epochs: int | None = None
                      ) -> dict[str, RingRun]:
    """Train a ring GAN per setting and seed (2,048 points of the ring drawn with the
    seed); label → RingRun. settings: RING_SETTINGS if None; epochs: each config's."""
    settings = RING_SETTINGS if settings is None else settings
    snapshot_z = latents(500, RING.latent_dim, SNAPSHOT_SEED)
    runs = {}
    for label, config in settings.items():
        gans, histories = [], []
        for seed in seeds:
            gan = GAN(config, seed)
            histories.append(train_gan(gan, ring_data(seed=seed), epochs=epochs, seed=seed,
                                       snapshot_latents=snapshot_z,
                                       snapshot_every=SNAPSHOT_EVERY))
            gans.append(gan)
        runs[label] = RingRun(label, config, tuple(seeds), tuple(gans), tuple(histories))
    return runs


def coverage_table(runs: Mapping[str, RingRun]) -> str:
    """A plain-text table: per setting, the modes covered by each seed, and the modes
    covered and the off-mode share as mean ± std over the seeds."""
    rows = [f"{'setting':<14}{'lr G':>7}{'lr D':>7}{'modes per seed':>16}"
            f"{'modes covered':>15}{'off-mode share':>16}{'spread':>13}"]
    for label, run in runs.items():
        coverages = run.coverages()
        per_seed = ", ".join(str(c.covered) for c in coverages)
        rows.append(f"{label:<14}{run.config.lr_generator:>7.0e}"
                    f"{run.config.lr_discriminator:>7.0e}{per_seed:>16}"
                    f"{format_mean_std([c.covered for c in coverages], 1):>15}"
                    f"{format_mean_std([c.off_mode_share for c in coverages]):>16}"
                    f"{format_mean_std(run.spreads()):>13}")
    return "\n".join(rows)


def plot_ring(samples: np.ndarray, ax: plt.Axes | None = None, title: str | None = None,
              color: str = "tab:blue") -> plt.Axes:
    """Samples (N, 2) as dots, over the 8 modes drawn as circles of radius 3σ (where a
    sample counts as on-mode). The title ends with the coverage unless one is given."""
    if ax is None:
        _, ax = plt.subplots(figsize=(3.5, 3.5))
    for center in ring_centers():
        ax.add_patch(Circle(center, 3 * RING_STD, fill=False, color="0.4", lw=1))
    ax.scatter(samples[:, 0], samples[:, 1], s=3, color=color, alpha=0.6, lw=0)
    ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xticks=[-2, 0, 2], yticks=[-2, 0, 2])
    coverage = mode_coverage(samples)
    ax.set_title(title if title is not None else f"{coverage.covered}/8 modes")
    return ax


def snapshot_at(history: History, epoch: int) -> np.ndarray:
    """The snapshot taken at `epoch` (N, 2); ValueError naming the epochs there are."""
    taken = dict(history.snapshots)
    if epoch not in taken:
        raise ValueError(f"epoch: expected one of the snapshots' epochs {sorted(taken)}, "
                         f"got {epoch!r}")
    return taken[epoch]


def plot_ring_snapshots(history: History, epochs: Sequence[int] = (0, 10, 25, 50, 100),
                        label: str = "balanced") -> np.ndarray:
    """The same 500 latent points through the generator at several epochs, one panel
    each, titled with the epoch and the modes covered. Returns the Axes (len(epochs),)."""
    _, axes = plt.subplots(1, len(epochs), figsize=(9.0, 2.4))
    for ax, epoch in zip(axes, epochs, strict=True):
        samples = snapshot_at(history, epoch)
        plot_ring(samples, ax, f"epoch {epoch}: {mode_coverage(samples).covered}/8",
                  color=COLORS.get(label, "tab:blue"))
        ax.set_yticks([-2, 0, 2] if ax is axes[0] else [])
    return np.asarray(axes)


def plot_gan_losses(history: History, ax: plt.Axes | None = None,
                    title: str = "the two players' losses") -> plt.Axes:
    """Each player's loss per epoch, with their values at the game's equilibrium
    (D(x) = 1/2 everywhere: D's loss 2 ln 2, G's non-saturating loss ln 2)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.0))
    epochs = np.arange(1, history.epochs + 1)
    for name, level, text, above in (("discriminator", 2 * np.log(2), "2 ln 2", True),
                                     ("generator", np.log(2), "ln 2", False)):
        ax.plot(epochs, history[name], color=COLORS[name], label=f"{name}")
        ax.axhline(level, color=COLORS[name], ls=":", lw=1)
        ax.annotate(f"equilibrium: {text}", (epochs[-1], level), xytext=(0, 3 if above else -3),
                    textcoords="offset points", ha="right", va="bottom" if above else "top",
                    color=COLORS[name])
    ax.set(xlabel="epoch", ylabel="mean loss", title=title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax


def snapshot_widget(runs: Mapping[str, RingRun]) -> widgets.interactive:
    """A setting (drop-down) and an epoch (slider over the snapshots taken) → the first
    seed's samples at that epoch. Nothing is trained: every picture is precomputed.

    Children: setting, epoch, output. `.result` holds the Axes drawn.
    """
    wide = {"description_width": "initial"}
    labels = list(runs)
    epochs = [epoch for epoch, _ in runs[labels[0]].histories[0].snapshots]
    setting = widgets.Dropdown(options=labels, value=labels[0], description="setting",
                               style=wide)
    epoch = widgets.SelectionSlider(options=epochs, value=epochs[0], description="epoch",
                                    continuous_update=False, style=wide)

    def show(setting: str, epoch: int) -> plt.Axes:
        run = lookup(setting, runs, "setting")
        samples = snapshot_at(run.histories[0], epoch)
        coverage = mode_coverage(samples)
        ax = plot_ring(samples, title=f"{setting}, epoch {epoch}: {coverage.covered}/8 "
                                      f"modes, {coverage.off_mode_share:.0%} off-mode",
                       color=COLORS.get(setting, "tab:blue"))
        ax.figure.set_size_inches(5.0, 3.5)
        display(ax.figure)
        plt.close(ax.figure)
        return ax

    return widgets.interactive(show, setting=setting, epoch=epoch)


# --------------------------------------------------------------------------- digits

def images_of(samples: np.ndarray) -> np.ndarray:
    """Samples (N, 64) → images (N, 8, 8)."""
    return np.asarray(samples).reshape(-1, DIGIT_SIZE, DIGIT_SIZE)


def plot_digits_by_class(samples: np.ndarray, classifier: DigitClassifier,
                         per_class: int = 4) -> np.ndarray:
    """Generated digits (N, 64) sorted by the classifier's verdict: one column per class
    (titled with how many of the N samples it received), its `per_class` most confident
    samples below; a class with fewer samples leaves blank cells. Returns Axes (rows, 10)."""
    probabilities = classifier.probabilities(samples)
    predicted, confidence = probabilities.argmax(axis=1), probabilities.max(axis=1)
    grid = np.zeros((per_class, N_CLASSES, DIGIT_SIZE, DIGIT_SIZE))
    for digit in range(N_CLASSES):
        mine = np.flatnonzero(predicted == digit)
        best = mine[np.argsort(-confidence[mine])][:per_class]
        grid[:len(best), digit] = images_of(samples[best])
    counts = np.bincount(predicted, minlength=N_CLASSES)
    return plot_digit_grid(grid, [f"{d}: {counts[d]}" for d in range(N_CLASSES)],
                           cell_inches=0.8)


def plot_digit_snapshots(history: History, epochs: Sequence[int], columns: int = 10
                         ) -> np.ndarray:
    """The same latent points through the digit generator at several epochs: one row per
    epoch (labelled), one column for each of the first `columns` latent points of the
    snapshots. Returns Axes (len(epochs), columns)."""
    taken = dict(history.snapshots)
    missing = [e for e in epochs if e not in taken]
    if missing:
        raise ValueError(f"epochs: expected snapshots' epochs {sorted(taken)}, got {missing}")
    grid = np.stack([images_of(taken[e][:columns]) for e in epochs])
    return plot_digit_grid(grid, row_labels=[f"epoch {e}" for e in epochs], cell_inches=0.8)


def _verdict(classifier: DigitClassifier, image: np.ndarray) -> tuple[int, float]:
    probabilities = classifier.probabilities(image.reshape(1, -1))[0]
    return int(probabilities.argmax()), float(probabilities.max())


def plot_interpolation(gan: GAN, z0: torch.Tensor, z1: torch.Tensor,
                       classifier: DigitClassifier, steps: int = 9) -> np.ndarray:
    """The digits decoded along the straight line from z0 to z1 (`steps` evenly spaced t),
    each titled with t and the classifier's verdict. Returns the Axes (steps,)."""
    ts = np.linspace(0, 1, steps)
    samples = gan.generate(interpolate(z0, z1, ts))
    verdicts = [_verdict(classifier, s) for s in samples]
    titles = [f"t={t:.2g}\n{c} ({p:.2f})" for t, (c, p) in zip(ts, verdicts, strict=True)]
    return plot_digit_grid(images_of(samples), titles, cell_inches=0.9)[0]


def interpolation_widget(gan: GAN, z0: torch.Tensor, z1: torch.Tensor,
                         classifier: DigitClassifier) -> widgets.interactive:
    """A slider for t in [0, 1] → the digit decoded at (1 − t)·z0 + t·z1, with the
    classifier's verdict in the title (fast: one pass through the generator).

    Children: t, output. `.result` holds the Axes drawn.
    """
    t = widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="t",
                            continuous_update=False, readout_format=".2f",
                            style={"description_width": "initial"})

    def show(t: float) -> plt.Axes:
        image = gan.generate(interpolate(z0, z1, t)[None])[0]
        digit, confidence = _verdict(classifier, image)
        _, ax = plt.subplots(figsize=(2.6, 2.9))
        show_image(ax, images_of(image)[0], vmin=0.0, vmax=1.0)
        ax.set_title(f"t = {t:.2f}\nclassifier: {digit} ({confidence:.2f})")
        display(ax.figure)
        plt.close(ax.figure)
        return ax

    return widgets.interactive(show, t=t)
