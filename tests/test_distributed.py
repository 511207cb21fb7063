"""Distributed data-parallel training: `torchrun -m mmkit.train --distributed`, for real.

Each run below is 2 (or 1) local processes started by torchrun with gloo, on 128 training
samples for 2 epochs: the same global batch of 64 as 2 processes × 32 and as 1 process × 64.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from mmkit.pipeline import distributed_command, main
from mmkit.train import LAUNCHER_VARIABLES, all_reduce_sum, launch_help, load_checkpoint

SMALL = ["--fusion", "early", "--limit", "128", "--epochs", "2", "--seed", "0"]
ENV = {**os.environ, "MMKIT_THREADS": "1", "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1"}

# rank 1 fails on its third step (the first of epoch 2: 64 rows per process, batch 32)
FAILING = textwrap.dedent("""
    import os, sys
    import mmkit.models.encoders as encoders
    from mmkit.pipeline import main

    make_step = encoders.classification_step

    def failing_step(*args, **kwargs):
        step, calls = make_step(*args, **kwargs), []

        def step_or_fail(*tensors):
            calls.append(1)
            if os.environ["RANK"] == "1" and len(calls) == 3:
                raise RuntimeError("this process lost its data")
            return step(*tensors)
        return step_or_fail

    encoders.classification_step = failing_step
    sys.exit(main(sys.argv[1:]))
""")

# rank 1 writes into a folder of its own: as on a second machine without a shared folder
ELSEWHERE = textwrap.dedent("""
    import os, sys
    from mmkit.pipeline import main

    argv = sys.argv[1:]
    if os.environ["RANK"] == "1":
        argv[argv.index("--out") + 1] += "-elsewhere"
    sys.exit(main(argv))
""")


def launch(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=300)


def weights(folder) -> dict[str, torch.Tensor]:
    return load_checkpoint(folder / "checkpoint.pt")["state"]["model"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two processes of batch 32, and one process of batch 64: same data, same seed."""
    two, one = tmp_path_factory.mktemp("two"), tmp_path_factory.mktemp("one")
    done = {"two": launch(distributed_command(2, [*SMALL, "--out", two])),
            "one": launch(distributed_command(1, [*SMALL, "--batch-size", "64", "--out", one]))}
    for name, process in done.items():
        assert process.returncode == 0, f"{name}: {process.stderr[-3000:]}"
    return {"two": two, "one": one, **{f"{k}_log": v.stdout for k, v in done.items()}}


def test_two_processes_end_with_the_weights_of_one_process_with_the_same_global_batch(runs):
    two, one = weights(runs["two"]), weights(runs["one"])
    assert two.keys() == one.keys()
    for name in two:
        assert torch.allclose(two[name], one[name], rtol=0, atol=1e-5), name
    moved = max(float((two[k] - load_checkpoint(runs["two"] / "checkpoint.pt.prev")
                       ["state"]["model"][k]).abs().max()) for k in two)
    assert moved > 1e-3                          # epoch 2 changed them: not a vacuous match


def test_the_losses_and_validation_accuracy_are_reduced_over_the_processes(runs):
    two, one = (load_checkpoint(runs[k] / "checkpoint.pt")["history"] for k in ("two", "one"))
    for name in ("loss", "accuracy"):
        assert two["losses"][name] == pytest.approx(one["losses"][name], abs=1e-5)
    assert [s["val_accuracy"] for _, s in two["snapshots"]] == \
        [s["val_accuracy"] for _, s in one["snapshots"]]
    metrics = json.loads((runs["two"] / "metrics.json").read_text())
    assert metrics["report"]["world_size"] == 2
    assert metrics["report"]["global_batch_size"] == 64
    assert metrics["report"]["steps_per_s"] > 0
    assert "2 processes × batch 32 = global batch 64" in runs["two_log"]


def test_a_failing_rank_stops_the_run_named_and_the_checkpoint_resumes(runs, tmp_path):
    script = tmp_path / "failing.py"
    script.write_text(FAILING)
    out = tmp_path / "run"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node=2", str(script), "--distributed", *SMALL, "--out", str(out)]
    failed = launch(command)
    assert failed.returncode != 0
    assert "rank 1 of 2 failed: RuntimeError: this process lost its data" in failed.stderr
    assert "run the same command again to resume" in failed.stderr
    kept = load_checkpoint(out / "checkpoint.pt")            # intact, after epoch 1
    assert len(kept["history"]["losses"]["loss"]) == 1
    assert not (out / "metrics.json").exists()

    script.write_text(ELSEWHERE)
    unshared = launch(command)
    assert unshared.returncode != 0
    assert "do not resume from the same epoch" in unshared.stderr
    assert "a folder that every machine shares" in unshared.stderr
    assert len(load_checkpoint(out / "checkpoint.pt")["history"]["losses"]["loss"]) == 1

    resumed = launch(distributed_command(2, [*SMALL, "--out", out]))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    finished, straight = weights(out), weights(runs["two"])
    for name in straight:                     # as if it had never been interrupted
        assert torch.allclose(finished[name], straight[name], rtol=0, atol=1e-6), name


def test_distributed_without_a_launcher_says_how_to_launch(monkeypatch, capsys):
    for name in LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as stopped:
        main(["--distributed", "--fusion", "early"])
    assert stopped.value.code == 2
    said = capsys.readouterr().err
    assert "not started by a launcher" in said and "RANK" in said
    assert "torchrun --standalone --nproc_per_node=2 -m mmkit.train --distributed" in said
    assert "--nnodes=2 --node_rank=0" in said and "--master_addr=HOST" in said


def test_outside_a_process_group_the_reduction_is_the_values_themselves():
    assert all_reduce_sum([1.5, 2.0]) == [1.5, 2.0]
    assert "--fusion late" in launch_help("--fusion late")


def test_the_command_is_torchrun_through_this_python():
    command = distributed_command(2, ["--epochs", 1])
    assert command[:5] == [sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nproc_per_node=2"]
    assert command[5:] == ["-m", "mmkit.train", "--distributed", "--epochs", "1"]
    with pytest.raises(ValueError, match="processes"):
        distributed_command(0)
