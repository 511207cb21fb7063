"""The scene every notebook starts from: seeds, threads, plotting and printing defaults.

`nb_setup` is called in the first code cell of every notebook, so that a
notebook gives the same output each time it runs; `check_environment` is the
welcome notebook's health check.
"""

import os
import platform
import random
import sys
import warnings
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from mmkit.paths import data_dir
from mmkit.validate import check_count

#: Matplotlib settings shared by every notebook: small figures keep notebooks lean.
PLOT_STYLE = {
    "figure.figsize": (6.0, 3.5),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.autolayout": True,
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "svg.hashsalt": "mmkit",
    "image.cmap": "viridis",
}
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
REQUIRED_PYTHON = (3, 11)


@dataclass(frozen=True)
class NotebookSetup:
    """What `nb_setup` fixed; its repr is the one-line summary a notebook shows."""

    seed: int
    threads: int
    python: str
    numpy: str
    torch: str

    def __repr__(self) -> str:
        plural = "" if self.threads == 1 else "s"
        return (f"mmkit {metadata.version('mmkit')} | Python {self.python} | NumPy {self.numpy} | "
                f"PyTorch {self.torch}, {self.threads} CPU thread{plural} | seed {self.seed} | "
                "offline")


def default_threads() -> int:
    """`$MMKIT_THREADS` if set (the test run sets 1), else up to 4 of the machine's cores."""
    if "MMKIT_THREADS" in os.environ:
        return int(os.environ["MMKIT_THREADS"])
    return max(1, min(4, os.cpu_count() or 1))


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's random number generators."""
    import torch

    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (the global state legacy np.random calls use)
    torch.manual_seed(seed)


def nb_setup(seed: int = 0, threads: int | None = None) -> NotebookSetup:
    """Make a notebook reproducible; call it in the first code cell.

    Seeds Python, NumPy and PyTorch; fixes the number of CPU threads (results
    of parallel sums can differ in the last digits with the thread count);
    resets matplotlib to the kit's small-figure style; sets print precision;
    silences deprecation noise from third-party libraries (not from mmkit or
    the notebook); and switches the Hugging Face libraries to offline mode.

    Returns a `NotebookSetup` whose repr is a one-line summary of the set-up.
    """
    seed = check_count(seed, "seed")
    threads = check_count(default_threads() if threads is None else threads, "threads", 1)

    for name in OFFLINE_VARIABLES:
        os.environ[name] = "1"
    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category, module=r"(?!mmkit|__main__)")

    import matplotlib
    import matplotlib.pyplot as plt  # activates the notebook's backend before styling
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(limits=threads)
    seed_everything(seed)

    plt.close("all")
    matplotlib.rcdefaults()
    matplotlib.rcParams.update(PLOT_STYLE)
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    torch.set_printoptions(precision=4, sci_mode=False, linewidth=100)

    return NotebookSetup(
        seed=seed,
        threads=threads,
        python=platform.python_version().rsplit(".", 1)[0],
        numpy=np.__version__,
        torch=torch.__version__.split("+")[0],  # "2.13.0+cpu" → "2.13.0": the same everywhere
    )


@dataclass(frozen=True)
class Check:
    """One line of the environment report."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class EnvironmentReport:
    """The result of `check_environment`; its repr is the report a learner reads."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def problems(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    def __repr__(self) -> str:
        width = max(len(check.name) for check in self.checks)
        lines = [f"{'✓' if c.ok else '✗'} {c.name:<{width}}  {c.detail}" for c in self.checks]
        if self.ok:
            lines.append("All set: every check passed.")
        else:
            lines.append(f"{len(self.problems)} problem(s): fix the ✗ lines above. From the "
                         "repository root, `make lab` reinstalls the pinned packages and "
                         "restarts JupyterLab.")
        return "\n".join(lines)


def _python_check() -> Check:
    found = sys.version_info[:2]
    needed = ".".join(map(str, REQUIRED_PYTHON))
    ok = found == REQUIRED_PYTHON
    detail = f"{found[0]}.{found[1]}" + ("" if ok else f", but the kit needs Python {needed}")
    return Check("Python", ok, detail)


def package_checks(distribution: str = "mmkit") -> list[Check]:
    """Compare every installed dependency of `distribution` with the version it pins.

    The pins come from the installed package's own metadata, i.e. from
    `pyproject.toml`, so this also catches a stale environment.
    """
    from packaging.requirements import Requirement

    checks = []
    for line in metadata.requires(distribution) or []:
        requirement = Requirement(line)
        if requirement.marker is not None:  # optional extras, e.g. the test tools
            continue
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            detail = f"missing, pinned {requirement.specifier}"
            checks.append(Check(requirement.name, False, detail))
            continue
        installed = installed.split("+")[0]  # "2.13.0+cpu": the build, not the version
        ok = requirement.specifier.contains(installed, prereleases=True)
        detail = installed if ok else f"{installed}, but the kit pins {requirement.specifier}"
        checks.append(Check(requirement.name, ok, detail))
    return checks


def _offline_check() -> Check:
    unset = [name for name in OFFLINE_VARIABLES if os.environ.get(name) != "1"]
    if unset:
        return Check("offline mode", False, f"{', '.join(unset)} not set to 1: run nb_setup()")
    return Check("offline mode", True, "models and data load from disk only")


def _data_check() -> Check:
    folder = data_dir()
    if not folder.is_dir():
        return Check("data/", False, f"not found at {folder}; set MMKIT_DATA or re-clone the kit")
    if not (folder / "README.md").is_file():
        return Check("data/", False, f"{folder} has no README.md: is it the kit's data folder?")
    return Check("data/", True, "present")


def check_environment() -> EnvironmentReport:
    """Check Python, the pinned packages, offline mode and the data folder."""
    return EnvironmentReport((_python_check(), *package_checks(), _offline_check(),
                              _data_check()))


def show_source(obj: object):
    """Display the source code of a function or class, highlighted, for reading in a notebook."""
    import inspect

    from IPython.display import Code

    return Code(inspect.getsource(obj), language="python")
