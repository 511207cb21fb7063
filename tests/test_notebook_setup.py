"""nb_setup makes notebooks reproducible; check_environment reports what is wrong."""

import random
import warnings
from importlib import metadata

import matplotlib
import numpy as np
import pytest
import torch

from mmkit import check_environment, nb_setup, notebook


def draws() -> tuple:
    return random.random(), np.random.rand(3).tolist()  # noqa: NPY002 (the global state nb_setup seeds), torch.rand(3).tolist()


def test_same_seed_gives_the_same_draws_in_python_numpy_and_torch():
    nb_setup(seed=3)
    first = draws()
    nb_setup(seed=3)
    assert draws() == first
    nb_setup(seed=4)
    assert draws() != first


def test_fixes_threads_and_plot_and_print_defaults():
    setup = nb_setup(seed=0, threads=1)
    assert torch.get_num_threads() == 1
    assert setup.threads == 1
    assert matplotlib.rcParams["svg.hashsalt"] == "mmkit"
    assert tuple(matplotlib.rcParams["figure.figsize"]) == (6.0, 3.5)
    assert matplotlib.rcParams["figure.dpi"] >= 100  # readable on a laptop screen
    assert np.get_printoptions()["precision"] == 4
    assert np.array2string(np.array([1 / 3])) == "[0.3333]"


def test_threads_default_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("MMKIT_THREADS", "2")
    assert nb_setup().threads == 2
    assert torch.get_num_threads() == 2
    monkeypatch.setenv("MMKIT_THREADS", "1")
    nb_setup()


def test_resets_a_changed_matplotlib_style():
    matplotlib.rcParams["lines.linewidth"] = 7
    nb_setup()
    assert matplotlib.rcParams["lines.linewidth"] == matplotlib.rcParamsDefault["lines.linewidth"]


def test_summary_is_one_stable_line():
    first, second = repr(nb_setup(seed=0)), repr(nb_setup(seed=0))
    assert first == second
    assert "\n" not in first
    assert "seed 0" in first and "PyTorch 2.13.0" in first and "offline" in first


def test_switches_hugging_face_to_offline(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    nb_setup()
    assert notebook.os.environ["HF_HUB_OFFLINE"] == "1"
    assert notebook.os.environ["TRANSFORMERS_OFFLINE"] == "1"


def test_silences_third_party_deprecations_but_not_the_kits():
    nb_setup()
    with warnings.catch_warnings(record=True) as caught:
        warnings.filterwarnings("always", category=UserWarning)
        warnings.warn_explicit("old API", DeprecationWarning, "lib.py", 1, module="somelib")
        warnings.warn_explicit("kit API", DeprecationWarning, "m.py", 1, module="mmkit.scratch")
        warnings.warn_explicit("learner", UserWarning, "x.py", 1, module="somelib")
    messages = [str(w.message) for w in caught]
    assert "old API" not in messages
    assert "learner" in messages
    # mmkit's own deprecations stay subject to Python's defaults (not ignored by us)
    assert not any(f[0] == "ignore" and f[3] is not None and f[3].match("mmkit.scratch")
                   for f in warnings.filters)


@pytest.mark.parametrize("bad", [{"seed": -1}, {"seed": 1.5}, {"threads": 0}])
def test_bad_arguments_are_refused_with_what_arrived(bad):
    with pytest.raises(ValueError, match="got"):
        nb_setup(**bad)


def test_environment_report_passes_here():
    report = check_environment()
    assert report.ok, repr(report)
    names = [check.name for check in report.checks]
    assert names[0] == "Python" and "torch" in names and names[-1] == "data/"
    assert repr(report).endswith("All set: every check passed.")


def test_package_check_names_a_version_that_does_not_match_its_pin(monkeypatch):
    real = metadata.version
    monkeypatch.setattr(notebook.metadata, "version",
                        lambda name: "1.0.0" if name == "numpy" else real(name))
    bad = [c for c in notebook.package_checks() if not c.ok]
    assert [c.name for c in bad] == ["numpy"]
    assert "1.0.0, but the kit pins ==2.4.6" in bad[0].detail


def test_report_tells_the_learner_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("MMKIT_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    report = check_environment()
    assert not report.ok
    text = repr(report)
    assert "✗ data/" in text and "nowhere" in text
    assert "✗ offline mode" in text and "HF_HUB_OFFLINE" in text
    assert "2 problem(s)" in text and "make lab" in text


def test_python_check_says_which_version_is_needed(monkeypatch):
    monkeypatch.setattr(notebook, "REQUIRED_PYTHON", (3, 99))
    check = notebook._python_check()
    assert not check.ok and "needs Python 3.99" in check.detail
