"""mmkit.pipeline: the run behind `python -m mmkit.train` (small settings: 200 samples)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from mmkit import metrics
from mmkit.pipeline import main, run

SMALL = {"limit": 200, "epochs": 2, "seed": 0}
KEYS = {"preset", "fusion", "seed", "epochs", "epochs_run", "best_epoch", "val_accuracy",
        "test", "report"}
TEST_KEYS = {"accuracy", "precision", "recall", "f1", "per_class_f1", "confusion_matrix",
             "labels", "predictions"}
REPORT_KEYS = {"parameters", "training_time_s", "peak_memory_mib", "peak_memory_source",
               "inference_ms_per_batch"}


def check_outputs(folder) -> dict:
    saved = json.loads((folder / "metrics.json").read_text())
    assert KEYS <= set(saved) and TEST_KEYS <= set(saved["test"])
    assert REPORT_KEYS <= set(saved["report"])
    assert (folder / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return saved


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("late")
    return folder, run(fusion="late", out=folder, **SMALL)


def test_run_writes_metrics_that_agree_with_mmkit_metrics(first_run):
    folder, result = first_run
    saved = check_outputs(folder)
    assert (folder / "checkpoint.pt").exists()
    assert saved["fusion"] == "late" and saved["preset"] == "standard" and saved["seed"] == 0
    assert saved["epochs_run"] == 2 and 0 <= saved["best_epoch"] <= 2
    assert saved["val_accuracy"] == max(saved["val_curve"])
    test = saved["test"]
    y, p = np.array(test["labels"]), np.array(test["predictions"])
    assert len(y) == len(p) == test["samples"] > 0
    assert test["accuracy"] == pytest.approx(metrics.accuracy(y, p))
    assert (test["precision"], test["recall"], test["f1"]) == pytest.approx(
        metrics.precision_recall_f1(y, p, "macro", 10))
    assert test["per_class_f1"] == pytest.approx(
        metrics.precision_recall_f1(y, p, None, 10)[2].tolist())
    assert test["confusion_matrix"] == metrics.confusion_matrix(y, p, 10).tolist()
    report = saved["report"]
    assert report["parameters"] > 1000 and report["training_time_s"] > 0
    assert report["peak_memory_mib"] > 10 and report["inference_ms_per_batch"] > 0
    assert result["steps_this_run"] == 2 * 7  # 200 samples in batches of 32: 7 per epoch
    assert report["world_size"] == 1 and report["global_batch_size"] == 32
    assert report["samples_per_s"] == pytest.approx(32 * report["steps_per_s"])


def test_model_pt_holds_the_selected_weights_that_gave_the_test_predictions(first_run):
    from mmkit.models.encoders import predict
    from mmkit.pipeline import _batch, build_model

    folder, result = first_run
    model = build_model("late")
    model.load_state_dict(torch.load(folder / "model.pt", weights_only=True))
    assert predict(model, _batch("test", "standard")).tolist() == result["test"]["predictions"]


def test_a_second_run_into_the_same_folder_resumes(first_run):
    folder, result = first_run
    again = run(fusion="late", out=folder, **SMALL)
    assert again["steps_this_run"] == 0  # both epochs were done: nothing retrained
    assert again["test"]["predictions"] == result["test"]["predictions"]
    assert again["best_epoch"] == result["best_epoch"]
    longer = run(fusion="late", out=folder, **{**SMALL, "epochs": 3})
    assert longer["steps_this_run"] == 7 and longer["epochs_run"] == 3  # one more epoch only
    assert longer["val_curve"][:3] == result["val_curve"]
    with pytest.raises(ValueError, match="seed: 0 there, 1 now"):
        run(fusion="late", out=folder, **{**SMALL, "seed": 1})


def test_modality_dropout_resumes_to_the_same_run(tmp_path):
    """The dropout draws are in the checkpoint: 1 epoch + 1 more = 2 epochs straight."""
    options = {"limit": 64, "seed": 0, "modality_dropout": 0.3}
    straight = run(fusion="early", epochs=2, out=tmp_path / "straight", **options)
    run(fusion="early", epochs=1, out=tmp_path / "resumed", **options)
    resumed = run(fusion="early", epochs=2, out=tmp_path / "resumed", **options)
    assert resumed["steps_this_run"] == 2  # 64 samples in batches of 32: the second epoch
    assert resumed["loss_curve"] == straight["loss_curve"]
    assert resumed["test"]["predictions"] == straight["test"]["predictions"]
    plain = run(fusion="early", epochs=2, out=tmp_path / "plain",
                **{**options, "modality_dropout": 0.0})
    assert plain["loss_curve"] != straight["loss_curve"]  # the dropout did change training
    with pytest.raises(ValueError, match=r"modality_dropout: 0\.3 there, None now"):
        run(fusion="early", epochs=2, out=tmp_path / "straight", limit=64, seed=0)


def test_gradient_clipping_is_an_option_of_the_run_and_the_command_line(tmp_path):
    done = run(fusion="late", epochs=1, limit=64, out=tmp_path / "clip", checkpoint=False,
               max_grad_norm=0.5)
    assert len(done["grad_norm_curve"]) == 1 and done["grad_norm_curve"][0] > 0
    shown = subprocess.run([sys.executable, "-m", "mmkit.train", "--help"],
                           capture_output=True, text=True, timeout=60).stdout
    assert "--max-grad-norm" in shown and "--modality-dropout" in shown


def test_unknown_names_are_refused_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="late") as error:
        run(fusion="lat", out=tmp_path / "x")
    assert "attention" in str(error.value)
    with pytest.raises(ValueError, match="bag_of_words"):
        run(text="bert", out=tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_one_modality_alone_is_its_encoder_and_a_linear_head(tmp_path):
    from mmkit.models.encoders import AudioLSTM, Classifier
    from mmkit.pipeline import build_model

    model = build_model(modality="audio")
    assert isinstance(model, Classifier) and isinstance(model.encoder, AudioLSTM)
    with pytest.raises(ValueError, match=r"text.*image.*audio"):
        build_model(modality="smell")
    done = run(modality="image", out=tmp_path / "image", checkpoint=False, **SMALL)
    assert done["fusion"] is None and done["modality"] == "image"
    assert done["test"]["accuracy"] == pytest.approx(
        metrics.accuracy(done["test"]["labels"], done["test"]["predictions"]))


def test_the_comparison_trains_each_model_per_seed_and_tabulates_mean_and_spread(tmp_path):
    from benchmarks.fusion import goals
    from mmkit.pipeline import compare, comparison_table, load_comparison

    models = (("audio", "unimodal"), ("late", "fusion"))
    results = compare(presets=("standard",), seeds=(0, 1), epochs=1, patience=None, limit=64,
                      models=models)
    part = results["presets"]["standard"]
    assert [(row["name"], row["kind"]) for row in part["models"]] == list(models)
    for row in part["models"]:
        assert len(row["accuracy"]) == len(row["f1"]) == len(row["val_accuracy"]) == 2
        assert all(0 <= a <= 1 for a in row["accuracy"]) and row["parameters"] > 0
    assert 0.5 < part["logistic_regression"]["val_accuracy"] <= 1
    late = part["models"][1]
    single = run(fusion="late", seed=1, epochs=1, limit=64, out=tmp_path / "one",
                 checkpoint=False, modality_dropout=results["settings"]["modality_dropout"])
    assert late["accuracy"][1] == single["test"]["accuracy"]  # the same run, seeded
    table = comparison_table(results)
    assert f"| late | fusion | {metrics.format_mean_std(late['accuracy'], 3)} |" in table
    lines = goals(results)
    assert len(lines) == 3 and "Best fusion (late)" in lines[0]
    path = tmp_path / "fusion.json"
    path.write_text(json.dumps(results))
    assert load_comparison(path) == results
    with pytest.raises(FileNotFoundError, match="make bench"):
        load_comparison(tmp_path / "none.json")


def test_the_committed_comparison_meets_the_goals_it_states():
    """fusion.md says which goal is met; its JSON is what notebook 12 reads."""
    from benchmarks.fusion import RESULTS, goals
    from mmkit.pipeline import load_comparison

    results = load_comparison()
    assert set(results["presets"]) == {"standard", "hard"}
    assert all(line in RESULTS.read_text() for line in goals(results))


def cli(*arguments, cwd):  # the class below runs on its own pytest-xdist worker
    environment = {**os.environ, "MMKIT_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "mmkit.train", *arguments], cwd=cwd,
                          env=environment, capture_output=True, text=True, timeout=120)


class TestCommandLine:
    def test_writes_the_files(self, tmp_path):
        done = cli("--fusion", "early", "--preset", "standard", "--epochs", "2",
                   "--limit", "200", "--seed", "1", "--out", "run", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        saved = check_outputs(tmp_path / "run")
        assert saved["fusion"] == "early" and saved["seed"] == 1 and saved["limit"] == 200
        assert "test accuracy" in done.stdout

    def test_refuses_an_unknown_fusion_naming_the_accepted_ones(self, tmp_path):
        done = cli("--fusion", "nope", "--out", "run", cwd=tmp_path)
        assert done.returncode != 0
        for name in ("early", "late", "hierarchical", "attention"):
            assert name in done.stderr
        assert not (tmp_path / "run").exists()


def test_help_lists_the_choices(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    for word in ("--fusion", "hierarchical", "--preset", "hard", "--text", "minilm", "--limit"):
        assert word in shown


def test_a_run_that_is_not_the_final_one_does_not_read_the_test_split(tmp_path, monkeypatch,
                                                                        capsys):
    from mmkit import pipeline

    read = []
    batch = pipeline._batch
    monkeypatch.setattr(pipeline, "_batch", lambda split, *a: read.append(split) or
                        batch(split, *a))
    assert main(["--fusion", "early", "--limit", "64", "--epochs", "1", "--no-test",
                 "--out", str(tmp_path)]) == 0
    assert "test" not in read and read == ["train", "val"]
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["test"] is None and saved["report"]["inference_ms_per_batch"] > 0
    assert not (tmp_path / "confusion.png").exists()
    assert "test split not read (--no-test)" in capsys.readouterr().out
