"""Test-run set-up shared by the unit tests and the notebook tests."""

import fcntl
import functools
import os
import tempfile
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from mmkit import offline
from mmkit.paths import REPO_ROOT
from tools.notebooks import course_notebooks

OFFLINE_SITE = REPO_ROOT / "tests" / "offline"
#: Held while a notebook kernel starts, by every pytest worker of this machine.
KERNEL_START_LOCK = Path(tempfile.gettempdir()) / "mmkit-kernel-start.lock"
_SUMMARY = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    # Guard this process, and (through PYTHONPATH's sitecustomize) every process it
    # starts, notebook kernels included, however pytest was invoked.
    offline.block_network()
    _start_kernels_one_at_a_time()
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if str(OFFLINE_SITE) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in [str(OFFLINE_SITE), *paths] if p)


def one_at_a_time(start):
    """`start` wrapped so that it runs under an exclusive lock on `KERNEL_START_LOCK`."""

    @functools.wraps(start)
    def locked(*args, **kwargs):
        with open(KERNEL_START_LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return start(*args, **kwargs)

    locked.one_at_a_time = True
    return locked


def _start_kernels_one_at_a_time() -> None:
    """Serialise nbval's kernel start-up across the xdist workers with a file lock.

    jupyter_client picks a kernel's ports by binding and releasing them, so two
    kernels started at the same instant can take the same port and one never
    answers (jupyter_client #487). Only the start is serialised; notebooks still
    run in parallel.
    """
    import nbval.kernel

    if not getattr(nbval.kernel.start_new_kernel, "one_at_a_time", False):
        nbval.kernel.start_new_kernel = one_at_a_time(nbval.kernel.start_new_kernel)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test drew, so memory stays flat over hundreds of plotting tests."""
    yield
    plt.close("all")


@pytest.fixture(autouse=True)
def _no_network_attempts():
    """Fail a test whose code tried to go online, even if a library swallowed the error."""
    before = len(offline.attempts)
    yield
    new = offline.attempts[before:]
    assert not new, f"network access attempted during the test: {new}"


def _compared_cells(config: pytest.Config) -> Counter:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    counts: Counter = Counter()
    for outcome in ("passed", "failed"):
        for report in reporter.stats.get(outcome, []) if reporter else []:
            if report.when == "call" and ".ipynb::" in report.nodeid:
                counts[report.nodeid.split("::")[0]] += 1
    return counts


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """On a full run, every course notebook must have had its cells compared by nbval."""
    config = session.config
    if hasattr(config, "workerinput") or config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        return
    counts = _compared_cells(config)
    expected = [Path(p).relative_to(REPO_ROOT).as_posix() for p in course_notebooks()]
    missing = [name for name in expected if not counts[name]]
    config.stash[_SUMMARY] = (f"nbval: {sum(counts.values())} notebook cells compared in "
                              f"{len(counts)} notebook(s)")
    if missing or not counts:
        unchecked = ", ".join(missing) or "any notebook"
        config.stash[_SUMMARY] += (f"; FAILED: no cells compared for {unchecked}"
                                   " (a full run must compare every notebook)")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if _SUMMARY in config.stash:
        terminalreporter.write_line(config.stash[_SUMMARY])


# --- mmdigits batches shared by the encoder and fusion tests (built once per module) ---------

@pytest.fixture(scope="module")
def train_data():
    """The `standard` training split (imported here, not at the top: most tests never load it)."""
    from mmkit.data.dataset import MMDigits

    return MMDigits("train", "standard")


@pytest.fixture(scope="module")
def train_batch(train_data):
    """300 training samples, in a seeded random order, as one collated batch."""
    import torch

    from mmkit.data.dataset import collate

    order = torch.randperm(len(train_data), generator=torch.Generator().manual_seed(0))
    return collate([train_data[i] for i in order[:300].tolist()])


@pytest.fixture(scope="module")
def val_batch():
    """The whole `standard` validation split as one collated batch."""
    from mmkit.data.dataset import MMDigits, collate

    data = MMDigits("val", "standard")
    return collate([data[i] for i in range(len(data))])
