"""The multimodal pipeline in one call: data → fusion model → training → one test → report.

    result = run(fusion="late", preset="standard", epochs=8, seed=0, out="runs/late")

    1. data       MMDigits train / val / test under `preset` (the data set's own seed 0,
                  the same for every run), collated into one batch each; `limit` keeps the
                  first N training samples (quick runs and tests)
    2. model      `build_fusion(fusion, default_encoders(text=text))`, its weights seeded
                  by `seed` (torch.manual_seed before building it)
    3. training   `mmkit.train.train`: Adam (lr 3e-3), cross-entropy, mini-batches of 32
                  shuffled by `seed`; after every epoch a snapshot of the validation
                  accuracy, and the epoch with the best one is selected (restore_best);
                  with `checkpoint`, `out/checkpoint.pt` is written after every epoch and a
                  run into the same folder resumes from it (epochs already done are not
                  trained again; asking for more epochs continues the run)
    4. test       the test split predicted ONCE, with the selected weights, after the epoch
                  was chosen on validation
    5. report     `out/metrics.json` (below), `out/confusion.png`, and `out/model.pt`: the
                  selected weights (`torch.save(model.state_dict())`; load them into
                  `build_model(fusion, text, modality)`)

metrics.json: preset, fusion, seed, text, limit, epochs (asked), epochs_run, best_epoch
(chosen on validation; 0 = before training), val_accuracy (at best_epoch), val_curve,
test: accuracy, precision / recall / f1 (macro), per_class_f1, confusion_matrix (rows true,
columns predicted), labels and predictions (to recompute any of them); report: parameters
(trainable), training_time_s (the epochs' wall time, validation included, summed over
resumed runs), peak_memory_mib (the process's peak resident set size, from
`resource.getrusage(RUSAGE_SELF).ru_maxrss`: data, model and everything else),
inference_ms_per_batch (median over the test batches, `inference_batch_size` rows each).

The command line is `python -m mmkit.train --fusion late --preset standard --epochs 8
--out runs/late` (see `main`).
"""

import argparse
import functools
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mmkit import metrics
from mmkit.train import all_reduce_sum, distributed, train

TEXT_ENCODERS = ("bag_of_words", "minilm")
BATCH_SIZE = 32
LEARNING_RATE = 3e-3
INFERENCE_BATCH = 64


def _peak_memory_mib() -> float:
    """The process's peak resident set size in MiB (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


@functools.lru_cache(maxsize=6)
def _split(split: str, preset: str) -> dict[str, torch.Tensor]:
    """One split of mmdigits under `preset`, collated: built once per process (runs in a
    row, as `compare` makes, share it; no run modifies it)."""
    from mmkit.data.dataset import MMDigits, collate

    dataset = MMDigits(split, preset)
    return collate([dataset[i] for i in range(len(dataset))])


def _batch(split: str, preset: str, limit: int | None = None) -> dict[str, torch.Tensor]:
    """The split's batch, its first `limit` rows (all if None; audio cut to their longest)."""
    batch = _split(split, preset)
    if limit is None or limit >= len(batch["label"]):
        return batch
    part = {key: value[:limit] for key, value in batch.items()}
    part["audio"] = part["audio"][:, :max(int(part["audio_length"].max()), 1)]
    return part


def _confusion_figure(matrix: np.ndarray, title: str, path: Path) -> None:
    from matplotlib.figure import Figure  # no pyplot: the Agg canvas, no window

    figure = Figure(figsize=(4.6, 4), dpi=100)
    ax = figure.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=ax, label="samples")
    k = len(matrix)
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("predicted digit", fontsize=10)
    ax.set_ylabel("true digit", fontsize=10)
    ax.set_title(title, fontsize=10)
    for i in range(k):
        for j in range(k):
            if matrix[i, j]:
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    figure.tight_layout()
    figure.savefig(path)


def build_model(fusion: str | None = "late", text: str = "bag_of_words",
                modality: str | None = None) -> torch.nn.Module:
    """The model a run trains: `build_fusion(fusion, default_encoders(text=text))`, or with
    `modality` (one of MODALITIES) that modality alone, its encoder and a linear head
    (`Classifier`): the unimodal baseline (`fusion` is then not used). Unknown names raise
    ValueError listing the accepted ones."""
    from mmkit.data.dataset import MODALITIES
    from mmkit.models.encoders import Classifier
    from mmkit.models.fusion import FUSIONS, build_fusion, default_encoders
    from mmkit.validate import lookup

    lookup(text, TEXT_ENCODERS, "text encoder")
    if modality is None:
        lookup(fusion, FUSIONS, "fusion")  # before building any encoder
        return build_fusion(fusion, default_encoders(text=text))
    return Classifier(default_encoders(text=text)[lookup(modality, MODALITIES, "modality")])


def _predict_timed(model: torch.nn.Module, data: dict[str, torch.Tensor],
                   device: torch.device) -> tuple[torch.Tensor, float]:
    """(the class of each row (N,), the median milliseconds per batch of INFERENCE_BATCH
    rows): `model` run over `data` in order, without gradients."""
    predictions, times = [], []
    with torch.no_grad():
        for start in range(0, len(data["label"]), INFERENCE_BATCH):
            part = {key: value[start:start + INFERENCE_BATCH].to(device)
                    for key, value in data.items()}
            began = time.perf_counter()
            logits = model(part)
            times.append(time.perf_counter() - began)
            predictions.append(logits.argmax(dim=1).cpu())
    return torch.cat(predictions), 1000 * float(np.median(times))


def _title(fusion: str | None, modality: str | None) -> str:
    return f"{modality} alone" if modality is not None else f"{fusion} fusion"


def run(fusion: str | None = "late", preset: str = "standard", epochs: int = 8, seed: int = 0,
        text: str = "bag_of_words", limit: int | None = None, out: str | Path | None = None,
        checkpoint: bool = True, patience: int | None = None, progress: bool = False,
        modality: str | None = None, modality_dropout: float | dict[str, float] = 0.0,
        max_grad_norm: float | None = None, batch_size: int = BATCH_SIZE,
        learning_rate: float = LEARNING_RATE, test: bool = True) -> dict[str, Any]:
    """Train `fusion` on `preset`, select the epoch on validation, test once; write
    `out/metrics.json` and `out/confusion.png` (and `out/checkpoint.pt` with `checkpoint`,
    and `out/run.json`, its settings: resuming with another fusion, preset, seed, text or
    limit raises ValueError naming the differences). out: default `runs/<fusion>`.

    Returns the content of metrics.json plus "steps_this_run" (training steps this call
    ran: 0 when a finished run is resumed) and "out". An unknown fusion, text encoder or
    preset raises ValueError listing the accepted names, before any data is read.
    `modality="audio"` trains that modality alone instead of a fusion: the unimodal
    baseline (`build_model`; recorded with fusion None); its default folder is
    `runs/<modality>`. `modality_dropout` p: during training, each present modality of
    each sample is hidden with probability p (`encoders.drop_modalities`; never at
    evaluation), one float for all or {"text": .., "image": .., "audio": ..}, one per
    modality; a modality alone trains without it. `max_grad_norm`: clip the gradients
    to that norm before each step ("grad_norm_curve": the mean norm before clipping).
    batch_size: rows per step (per process), learning_rate: Adam's. test=False: a run
    that is not the final evaluation (a quick look, a measurement of speed) does not read
    the test split: "test" is None, no confusion.png, and the inference time is measured
    on the validation split.

    Distributed (a process group joined with `mmkit.train.init_distributed`, processes
    started by torchrun): the model is wrapped in `DistributedDataParallel`, each process
    trains on its share of the data (global batch = processes · batch_size), the validation
    accuracy is counted on each process's share and summed over them, and process 0 alone
    writes the files and tests; the other processes return {"rank", "world_size", "out",
    "steps_this_run"}. report: world_size, global_batch_size, steps_per_epoch (per
    process), steps_per_s and samples_per_s (training only, validation excluded).
    """
    from mmkit.data.dataset import get_preset
    from mmkit.models.encoders import (
        _dropout_probabilities,
        classification_step,
        num_parameters,
        predict,
        to_tensors,
    )
    from mmkit.validate import check_count, check_positive

    if modality is not None:
        fusion, modality_dropout = None, 0.0
    build_model(fusion, text, modality)  # the names checked before any data is read
    _dropout_probabilities(modality_dropout)  # and the dropout probabilities
    if isinstance(modality_dropout, dict):
        modality_dropout = {name: float(value) for name, value in modality_dropout.items()}
    get_preset(preset)
    if limit is not None:
        limit = check_count(limit, "limit", minimum=1)
    name = modality if modality is not None else fusion
    out = Path(f"runs/{name}" if out is None else out)
    out.mkdir(parents=True, exist_ok=True)
    settings = {"fusion": fusion, "preset": preset, "seed": seed, "text": text, "limit": limit}
    if modality is not None:
        settings["modality"] = modality
    if modality_dropout:
        settings["modality_dropout"] = modality_dropout
    if max_grad_norm is not None:
        settings["max_grad_norm"] = max_grad_norm
    batch_size = check_count(batch_size, "batch_size", minimum=1)
    if batch_size != BATCH_SIZE:
        settings["batch_size"] = batch_size
    if learning_rate != LEARNING_RATE:
        settings["learning_rate"] = check_positive(learning_rate, "learning_rate")
    rank, world = distributed() or (0, 1)
    device = torch.device("cpu")
    if world > 1 and torch.distributed.get_backend() == "nccl":   # one GPU per process
        device = torch.device("cuda", torch.cuda.current_device())
    if checkpoint:  # a checkpoint resumes only the run it was written by
        recorded = out / "run.json"
        if (out / "checkpoint.pt").exists() and recorded.exists():
            before = json.loads(recorded.read_text())
            changed = [f"{key}: {before.get(key)!r} there, {settings.get(key)!r} now"
                       for key in {**before, **settings}
                       if before.get(key) != settings.get(key)]
            if changed:
                raise ValueError(f"{out} holds the checkpoint of another run ("
                                 + "; ".join(changed) + "): use another --out folder, or "
                                 f"delete {out / 'checkpoint.pt'} to start again")
        if rank == 0:  # written whole or not at all: the other processes read it too
            partial = recorded.with_name("run.json.tmp")
            partial.write_text(json.dumps(settings, indent=1) + "\n")
            partial.replace(recorded)

    train_data = _batch("train", preset, limit)
    val_data = _batch("val", preset)

    torch.manual_seed(seed)
    model = build_model(fusion, text, modality).to(device)
    trained = model
    if world > 1:  # backward averages the gradients over the processes
        trained = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device] if device.type == "cuda" else None)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad],
                                 lr=learning_rate)
    steps = 0
    clock = [time.perf_counter()]

    dropout_draws = torch.Generator().manual_seed(seed)
    classify = classification_step(trained, optimizer, modality_dropout, dropout_draws,
                                   max_grad_norm)

    def step(*tensors: torch.Tensor) -> dict[str, float]:
        nonlocal steps
        steps += 1
        return classify(*(tensor.to(device) for tensor in tensors))

    val_share = {key: value[rank::world].to(device) for key, value in val_data.items()}

    def snapshot() -> dict[str, float]:
        now = time.perf_counter()
        right = int((predict(model, val_share) == val_share["label"]).sum())
        right, seen = all_reduce_sum([right, len(val_share["label"])])
        taken = {"val_accuracy": right / seen, "epoch_time_s": now - clock[0]}
        clock[0] = time.perf_counter()
        return taken

    clock[0] = time.perf_counter()
    history = train(step, to_tensors(train_data), epochs, batch_size=batch_size, seed=seed,
                    snapshot=snapshot, monitor="val_accuracy", mode="max", patience=patience,
                    restore_best=True, progress=progress, description=_title(fusion, modality),
                    checkpoint=out / "checkpoint.pt" if checkpoint else None,
                    state={"model": model, "optimizer": optimizer,
                           "modality_dropout": dropout_draws})
    model.eval()
    training_time = sum(s["epoch_time_s"] for e, s in history.snapshots if e > 0)
    if rank != 0:  # process 0 alone tests and writes
        return {"rank": rank, "world_size": world, "out": str(out), "steps_this_run": steps}
    torch.save(model.state_dict(), out / "model.pt")
    share = -(-len(train_data["label"]) // world)            # rows per process and epoch
    steps_per_epoch = -(-share // batch_size)
    steps_per_s = history.epochs * steps_per_epoch / training_time if training_time else 0.0

    # --- the test split, read once, with the weights chosen on validation -------------
    if test:
        test_data = _batch("test", preset)
        labels = test_data["label"]
        predicted, inference_ms = _predict_timed(model, test_data, device)
        classes = model.num_classes
        matrix = metrics.confusion_matrix(labels, predicted, num_classes=classes)
        precision, recall, f1 = metrics.precision_recall_f1(labels, predicted, "macro", classes)
        per_class_f1 = metrics.precision_recall_f1(labels, predicted, None, classes)[2]
        figures = {"samples": len(labels), "accuracy": metrics.accuracy(labels, predicted),
                   "precision": precision, "recall": recall, "f1": f1,
                   "per_class_f1": [float(v) for v in per_class_f1],
                   "confusion_matrix": matrix.tolist(),
                   "labels": labels.tolist(), "predictions": predicted.tolist()}
    else:  # a run that is not the final one: no test, the timing on validation
        inference_ms, figures = _predict_timed(model, val_data, device)[1], None

    result = {
        "preset": preset, "fusion": fusion, "modality": modality, "seed": seed, "text": text,
        "limit": limit, "modality_dropout": modality_dropout,
        "epochs": epochs, "epochs_run": history.epochs, "stopped_epoch": history.stopped_epoch,
        "best_epoch": history.best_epoch, "val_accuracy": history.best_value,
        "val_curve": [float(s["val_accuracy"]) for _, s in history.snapshots],
        "loss_curve": [float(v) for v in history.losses.get("loss", [])],
        "grad_norm_curve": [float(v) for v in history.losses.get("grad_norm", [])],
        "test": figures,
        "report": {
            "parameters": num_parameters(model),
            "training_time_s": training_time,
            "peak_memory_mib": _peak_memory_mib(),
            "peak_memory_source": "resource.getrusage(RUSAGE_SELF).ru_maxrss (peak RSS of "
                                  "the whole process)",
            "inference_ms_per_batch": inference_ms,
            "inference_batch_size": INFERENCE_BATCH,
            "world_size": world, "global_batch_size": world * batch_size,
            "steps_per_epoch": steps_per_epoch, "steps_per_s": steps_per_s,
            "samples_per_s": steps_per_s * world * batch_size,
        },
    }
    (out / "metrics.json").write_text(json.dumps(result, indent=1) + "\n")
    if test:
        _confusion_figure(matrix, f"{_title(fusion, modality)}, {preset}: test accuracy "
                                  f"{figures['accuracy']:.2f}", out / "confusion.png")
    return {**result, "steps_this_run": steps, "out": str(out)}


def parse_modality_dropout(text: str) -> float | dict[str, float]:
    """The --modality-dropout argument: "0.2" (every modality) → 0.2, or
    "text=0.1,image=0.3,audio=0.2" → {"text": 0.1, "image": 0.3, "audio": 0.2} (modalities
    left out: 0). Anything else, an unknown modality or a p outside [0, 1) raises
    ValueError saying what is accepted and what arrived."""
    from mmkit.models.encoders import _dropout_probabilities

    text = text.strip()
    if "=" not in text:
        try:
            value: float | dict[str, float] = float(text)
        except ValueError:
            raise ValueError(f"--modality-dropout: expected a probability like 0.2 or "
                             f"text=0.1,image=0.3,audio=0.2; got {text!r}") from None
    else:
        value = {}
        for part in text.split(","):
            name, _, number = part.partition("=")
            try:
                value[name.strip()] = float(number)
            except ValueError:
                raise ValueError(f"--modality-dropout: expected modality=probability "
                                 f"pairs like text=0.1,image=0.3,audio=0.2; got {part!r} "
                                 f"in {text!r}") from None
    _dropout_probabilities(value)
    return value


def _dropout_argument(text: str) -> float | dict[str, float]:
    try:
        return parse_modality_dropout(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    """`python -m mmkit.train ...`: parse the arguments, `run`, print a summary; 0 if done."""
    from mmkit.data.dataset import MODALITIES, PRESETS
    from mmkit.models.fusion import FUSIONS

    parser = argparse.ArgumentParser(
        prog="python -m mmkit.train",
        description="Train one fusion model on mmdigits, select the epoch on validation, "
                    "evaluate the test split once; write metrics.json, confusion.png and a "
                    "checkpoint (a second run into the same folder resumes).")
    parser.add_argument("--fusion", default="late", choices=list(FUSIONS),
                        help="early=feature, late=model=decision, "
                             "hierarchical=intermediate, attention (mmkit.models.fusion)")
    parser.add_argument("--modality", default=None, choices=list(MODALITIES),
                        help="train this modality alone (the unimodal baseline) instead")
    parser.add_argument("--preset", default="standard", choices=list(PRESETS))
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--text", default="bag_of_words", choices=TEXT_ENCODERS)
    parser.add_argument("--limit", type=int, default=None,
                        help="use the first N training samples (quick runs)")
    parser.add_argument("--modality-dropout", type=_dropout_argument, default=0.0,
                        help="hide each modality of a training sample with this probability:"
                             " 0.2 for all, or one each, text=0.1,image=0.3,audio=0.2")
    parser.add_argument("--max-grad-norm", type=float, default=None,
                        help="clip the gradients to this norm before each step")
    parser.add_argument("--patience", type=int, default=None,
                        help="stop after N epochs without a better validation accuracy")
    parser.add_argument("--out", default=None,
                        help="output folder (default runs/<fusion> or runs/<modality>)")
    parser.add_argument("--no-checkpoint", action="store_true")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                        help="rows per step, per process (global batch: processes × this)")
    parser.add_argument("--lr", type=float, default=LEARNING_RATE,
                        help="Adam's learning rate (with k× the global batch, try k× the "
                             "learning rate: the linear scaling rule)")
    parser.add_argument("--no-test", action="store_true",
                        help="do not read the test split (a run that is not the final "
                             "evaluation)")
    parser.add_argument("--distributed", action="store_true",
                        help="data-parallel training over the processes torchrun starts "
                             "(torchrun --standalone --nproc_per_node=2 -m mmkit.train "
                             "--distributed ...)")
    args = parser.parse_args(argv)
    from mmkit.notebook import default_threads
    from mmkit.train import LaunchError, init_distributed

    rank, world = 0, 1
    if args.distributed:
        try:
            rank, world, _ = init_distributed()
        except LaunchError as error:
            parser.error(str(error))
    local = int(os.environ.get("LOCAL_WORLD_SIZE", 1)) if args.distributed else 1
    torch.set_num_threads(max(1, default_threads() // local))  # the cores shared out
    try:
        result = run(fusion=args.fusion, preset=args.preset, epochs=args.epochs,
                     seed=args.seed, text=args.text, limit=args.limit, out=args.out,
                     checkpoint=not args.no_checkpoint, patience=args.patience,
                     progress=args.progress, modality=args.modality,
                     modality_dropout=args.modality_dropout,
                     max_grad_norm=args.max_grad_norm, batch_size=args.batch_size,
                     learning_rate=args.lr, test=not args.no_test)
    except BaseException as error:
        if args.distributed:  # name the process: torchrun stops the others
            where = ("; the last checkpoint (written by rank 0 after each epoch) is kept: "
                     "run the same command again to resume" if not args.no_checkpoint
                     else "")
            print(f"mmkit.train: rank {rank} of {world} failed: {type(error).__name__}: "
                  f"{error}{where}", file=sys.stderr, flush=True)
        raise
    finally:
        if args.distributed:
            torch.distributed.destroy_process_group()
    if rank != 0:
        return 0
    test, report = result["test"], result["report"]
    tested = (f"test accuracy {test['accuracy']:.3f}, macro F1 {test['f1']:.3f}"
              if test is not None else "test split not read (--no-test)")
    print(f"{_title(result['fusion'], args.modality)} on {args.preset}: epoch "
          f"{result['best_epoch']} of {result['epochs_run']} chosen on validation (accuracy "
          f"{result['val_accuracy']:.3f}); {tested}; {report['parameters']} parameters, "
          f"{report['training_time_s']:.1f} s training; wrote {result['out']}")
    if world > 1:
        print(f"{world} processes × batch {args.batch_size} = global batch "
              f"{report['global_batch_size']}: {report['steps_per_s']:.2f} steps/s, "
              f"{report['samples_per_s']:.0f} samples/s")
    return 0


def distributed_command(processes: int, arguments: list[str] | tuple[str, ...] = ()
                        ) -> list[str]:
    """The argv that trains with `processes` processes on this machine: `python -m
    torch.distributed.run --standalone --nproc_per_node=N -m mmkit.train --distributed
    ARGUMENTS` (torchrun, through this Python; --standalone picks a free port)."""
    from mmkit.validate import check_count

    processes = check_count(processes, "processes", minimum=1)
    return [sys.executable, "-m", "torch.distributed.run", "--standalone",
            f"--nproc_per_node={processes}", "-m", "mmkit.train", "--distributed",
            *map(str, arguments)]


#: What `compare_processes` trains: (processes, batch per process, learning rate).
PROCESS_SETTINGS = ((1, BATCH_SIZE, LEARNING_RATE), (2, BATCH_SIZE, LEARNING_RATE),
                    (2, BATCH_SIZE, 2 * LEARNING_RATE), (1, 2 * BATCH_SIZE, LEARNING_RATE))


def compare_processes(settings: tuple[tuple[int, int, float], ...] = PROCESS_SETTINGS,
                      seeds: tuple[int, ...] = (0, 1, 2), epochs: int = 10,
                      fusion: str = "early", limit: int | None = None,
                      log: Any = None) -> dict[str, Any]:
    """Data-parallel training measured on this machine: each (processes, batch per process,
    learning rate) of `settings` trains `fusion` on mmdigits standard with each seed, started
    by torchrun (`distributed_command`) as a user would, one thread per process.

    Returns {"last_run", "command", "settings", "cores", "load_average_before" (other work
    on the machine slows the processes down: the 1-minute load before starting), "runs":
    [{"processes",
    "batch_per_process", "global_batch", "learning_rate", and per seed: "steps_per_s",
    "samples_per_s", "training_time_s", "val_accuracy" (the best epoch's), "steps" (per
    process, all epochs)}]}. The folders are temporary; the test split is not read
    (`--no-test`).
    """
    import datetime
    import subprocess
    import tempfile

    results: dict[str, Any] = {
        "last_run": datetime.date.today().isoformat(),
        "command": "python -m benchmarks distributed", "cores": os.cpu_count(),
        "load_average_before": round(os.getloadavg()[0], 2),
        "settings": {"fusion": fusion, "epochs": epochs, "seeds": list(seeds),
                     "limit": limit, "threads_per_process": 1}, "runs": []}
    environment = {**os.environ, "MMKIT_THREADS": "1", "OMP_NUM_THREADS": "1",
                   "TQDM_DISABLE": "1"}
    for processes, batch, rate in settings:
        row: dict[str, Any] = {"processes": processes, "batch_per_process": batch,
                               "global_batch": processes * batch, "learning_rate": rate,
                               "steps_per_s": [], "samples_per_s": [], "training_time_s": [],
                               "val_accuracy": [], "steps": []}
        for seed in seeds:
            with tempfile.TemporaryDirectory() as folder:
                arguments = ["--fusion", fusion, "--epochs", epochs, "--seed", seed,
                             "--batch-size", batch, "--lr", rate, "--out", folder,
                             "--no-checkpoint", "--no-test", *(["--limit", limit] if limit else [])]
                done = subprocess.run(distributed_command(processes, arguments),
                                      env=environment, capture_output=True, text=True)
                if done.returncode:
                    raise RuntimeError(f"{processes} processes, seed {seed} failed:\n"
                                       f"{done.stderr[-3000:]}")
                report = json.loads((Path(folder) / "metrics.json").read_text())
            row["steps_per_s"].append(report["report"]["steps_per_s"])
            row["samples_per_s"].append(report["report"]["samples_per_s"])
            row["training_time_s"].append(report["report"]["training_time_s"])
            row["val_accuracy"].append(report["val_accuracy"])
            row["steps"].append(report["epochs_run"] * report["report"]["steps_per_epoch"])
            if log is not None:
                log(f"{processes} × {batch}, lr {rate:g}, seed {seed}: "
                    f"{report['report']['steps_per_s']:.2f} steps/s, val "
                    f"{report['val_accuracy']:.3f}")
        results["runs"].append(row)
    return results


# --- the comparison: each modality alone against each fusion strategy, over seeds ------------

#: What `compare` trains: each modality alone (the unimodal baselines), then each strategy.
COMPARED = (("text", "unimodal"), ("image", "unimodal"), ("audio", "unimodal"),
            ("early", "fusion"), ("late", "fusion"), ("hierarchical", "fusion"),
            ("attention", "fusion"))
COMPARISON = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "fusion.json"


def compare(presets: tuple[str, ...] = ("standard", "hard"), seeds: tuple[int, ...] = (0, 1, 2),
            epochs: int = 20, patience: int | None = 5, text: str = "bag_of_words",
            limit: int | None = None, models: tuple[tuple[str, str], ...] = COMPARED,
            modality_dropout: float = 0.2, log: Any = None) -> dict[str, Any]:
    """Every model of `models` (default COMPARED: (name, kind) pairs) trained by `run` on
    each preset with each seed (the epoch chosen on validation, the test split read once
    per trained model), and the logistic-regression early fusion of
    `mmkit.data.baselines` as the yardstick.

    Returns {"last_run", "command", "settings", "presets": {preset: {"models": [{"name",
    "kind" ("unimodal" or "fusion"), "parameters", and per seed: "val_accuracy",
    "accuracy", "f1" (the test split's, macro F1), "best_epoch", "training_time_s"}],
    "logistic_regression": {"val_accuracy", "accuracy"}}}}. The fusion models train with
    `modality_dropout` (the modalities alone cannot). `log(line)` is called after
    each run (e.g. print). Runs write nothing to keep: each trains in a temporary folder.
    """
    import datetime
    import tempfile

    from mmkit.data.baselines import baseline_accuracies
    from mmkit.data.dataset import MMDigits

    results: dict[str, Any] = {
        "last_run": datetime.date.today().isoformat(), "command": "make bench",
        "settings": {"epochs": epochs, "patience": patience, "seeds": list(seeds),
                     "text": text, "limit": limit, "modality_dropout": modality_dropout,
                     "batch_size": BATCH_SIZE,
                     "learning_rate": LEARNING_RATE},
        "presets": {}}
    for preset in presets:
        rows = []
        for name, kind in models:
            row: dict[str, Any] = {"name": name, "kind": kind, "val_accuracy": [],
                                   "accuracy": [], "f1": [], "best_epoch": [],
                                   "training_time_s": []}
            for seed in seeds:
                with tempfile.TemporaryDirectory() as folder:
                    done = run(fusion=name if kind == "fusion" else None, preset=preset,
                               epochs=epochs, seed=seed, text=text, limit=limit, out=folder,
                               checkpoint=False, patience=patience,
                               modality=name if kind == "unimodal" else None,
                               modality_dropout=modality_dropout if kind == "fusion" else 0.0)
                row["parameters"] = done["report"]["parameters"]
                row["val_accuracy"].append(done["val_accuracy"])
                row["accuracy"].append(done["test"]["accuracy"])
                row["f1"].append(done["test"]["f1"])
                row["best_epoch"].append(done["best_epoch"])
                row["training_time_s"].append(round(done["report"]["training_time_s"], 1))
                if log is not None:
                    log(f"{preset} {name} seed {seed}: val {done['val_accuracy']:.3f}, "
                        f"test {done['test']['accuracy']:.3f}")
            rows.append(row)
        train, val = MMDigits("train", preset), MMDigits("val", preset)
        yardstick = {"val_accuracy": baseline_accuracies(train, val)["all three"],
                     "accuracy": baseline_accuracies(train, MMDigits("test", preset))[
                         "all three"]}
        results["presets"][preset] = {"models": rows, "logistic_regression": yardstick}
    return results


def load_comparison(path: str | Path = COMPARISON) -> dict[str, Any]:
    """The comparison `make bench` committed (`compare`'s dict), from fusion.json."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no comparison yet; `make bench` writes it")
    return json.loads(path.read_text())


def comparison_table(results: dict[str, Any]) -> str:
    """`compare`'s results as a Markdown table per preset: mean ± std over the seeds of
    test accuracy and macro F1, validation accuracy, parameters and training time."""
    settings = results["settings"]
    lines = [f"Seeds {settings['seeds']}; up to {settings['epochs']} epochs (patience "
             f"{settings['patience']}), Adam lr {settings['learning_rate']}, batches of "
             f"{settings['batch_size']}; text encoder {settings['text']}; fusion models "
             f"with modality dropout {settings.get('modality_dropout', 0.0)}. Last run "
             f"{results['last_run']}.", ""]
    for preset, part in results["presets"].items():
        lines += [f"### {preset}", "",
                  "| model | kind | test accuracy | test macro F1 | val accuracy | "
                  "parameters | training (s) |", "|---|---|---:|---:|---:|---:|---:|"]
        for row in part["models"]:
            lines.append(
                f"| {row['name']} | {row['kind']} | {metrics.format_mean_std(row['accuracy'], 3)} "
                f"| {metrics.format_mean_std(row['f1'], 3)} | "
                f"{metrics.format_mean_std(row['val_accuracy'], 3)} | {row['parameters']:,} | "
                f"{np.mean(row['training_time_s']):.0f} |")
        yardstick = part["logistic_regression"]
        lines += [f"| logistic regression, all three concatenated | yardstick | "
                  f"{yardstick['accuracy']:.3f} | | {yardstick['val_accuracy']:.3f} | | |", ""]
    return "\n".join(lines)


# --- robustness: each strategy without and with modality dropout ---------------------------

ROBUSTNESS_FUSIONS = ("early", "late", "hierarchical", "attention")
#: The modality dropout probabilities tried, each chosen or not on validation: one for
#: every modality, or one each (audio, the strongest modality, hidden more often).
DROPOUT_CANDIDATES: tuple[float | dict[str, float], ...] = (
    0.2, 0.35, {"text": 0.2, "image": 0.2, "audio": 0.5})


def describe_dropout(p: float | dict[str, float]) -> str:
    """A dropout probability as the table shows it: 0 → "none", 0.2 → "0.2 each",
    {"text": 0.2, ...} → "text 0.2, image 0.2, audio 0.5"."""
    from mmkit.data.dataset import MODALITIES

    if isinstance(p, dict):
        return ", ".join(f"{name} {p.get(name, 0.0):g}" for name in MODALITIES)
    return "none" if not p else f"{p:g} each"


def _val_scores(model: torch.nn.Module, val: dict[str, torch.Tensor]) -> dict[str, float]:
    """Validation accuracy with nothing missing and with each one modality missing, and
    "val_score", their mean (what the epoch and the dropout are chosen on)."""
    from mmkit.data.dataset import MODALITIES
    from mmkit.models.encoders import predict
    from mmkit.robustness import drop_modality

    labels = val["label"]
    scores = {"val_none": metrics.accuracy(labels, predict(model, val))}
    for modality in MODALITIES:
        scores[f"val_{modality}"] = metrics.accuracy(
            labels, predict(model, drop_modality(val, modality)))
    scores["val_score"] = float(np.mean(list(scores.values())))
    return scores


def train_with_dropout(fusion: str, p: float | dict[str, float], seed: int,
                       data: dict[str, torch.Tensor], val: dict[str, torch.Tensor],
                       epochs: int, patience: int | None
                       ) -> tuple[torch.nn.Module, dict[str, Any]]:
    """`fusion` trained with modality dropout p (0: none) and `seed` (weights, batch order,
    dropout draws), the epoch chosen on the validation score; → (model in eval mode,
    {"best_epoch", "epochs_run", "training_time_s", and the validation figures})."""
    from mmkit.models.encoders import classification_step, to_tensors

    torch.manual_seed(seed)
    model = build_model(fusion)
    optimizer = torch.optim.Adam([q for q in model.parameters() if q.requires_grad],
                                 lr=LEARNING_RATE)
    draws = torch.Generator().manual_seed(seed)
    step = classification_step(model, optimizer, p, draws)
    began = time.perf_counter()
    history = train(step, to_tensors(data), epochs, batch_size=BATCH_SIZE, seed=seed,
                    snapshot=lambda: _val_scores(model, val), monitor="val_score",
                    mode="max", patience=patience, restore_best=True, progress=False,
                    state={"model": model, "optimizer": optimizer, "dropout": draws})
    model.eval()
    chosen = dict(history.snapshots)[history.best_epoch]
    return model, {"best_epoch": history.best_epoch, "epochs_run": history.epochs,
                   "training_time_s": round(time.perf_counter() - began, 1),
                   **{key: float(value) for key, value in chosen.items()}}


def robustness_figures(model: torch.nn.Module, test: dict[str, torch.Tensor], seed: int = 0
                       ) -> dict[str, Any]:
    """The test figures of one trained model: {"missing": missing_accuracies, "curves":
    {modality: accuracy at each of LEVELS[modality]}, "auc": {modality: its normalised
    area}}."""
    from mmkit.data.dataset import MODALITIES
    from mmkit.robustness import LEVELS, area_under_curve, missing_accuracies, noise_curve

    curves = {m: noise_curve(model, test, m, LEVELS[m], seed).tolist() for m in MODALITIES}
    return {"missing": missing_accuracies(model, test), "curves": curves,
            "auc": {m: area_under_curve(LEVELS[m], curves[m]) for m in MODALITIES}}


def compare_robustness(preset: str = "standard", fusions: tuple[str, ...] = ROBUSTNESS_FUSIONS,
            seeds: tuple[int, ...] = (0, 1, 2), epochs: int = 12, patience: int | None = 3,
            candidates: tuple = DROPOUT_CANDIDATES, limit: int | None = None, log: Any = None
            ) -> dict[str, Any]:
    """Each fusion strategy without and with modality dropout (`benchmarks/robustness.py`
    says how): train, choose the epoch and the dropout on validation, then test once.
    Returns {"last_run",
    "command", "settings", "selection": {fusion: [{"p", "val_score", ...} per candidate,
    seed 0]}, "models": [{"fusion", "dropout" (p, 0 = none), per seed: "best_epoch",
    "val_score", "training_time_s", "missing": {name: [accuracy per seed]}, "auc":
    {modality: [per seed]}, "curves": {modality: [[per level] per seed]}}],
    "wall_time_s"}."""
    import datetime

    from mmkit.data.dataset import MODALITIES
    from mmkit.robustness import LEVELS

    began = time.perf_counter()
    say = log or (lambda line: None)
    data, val = _batch("train", preset, limit), _batch("val", preset)
    trained: dict[tuple[str, str], list] = {}
    selection: dict[str, Any] = {}
    for fusion in fusions:
        trained[(fusion, "without")] = []
        for seed in seeds:
            model, info = train_with_dropout(fusion, 0.0, seed, data, val, epochs, patience)
            trained[(fusion, "without")].append((seed, model, info))
            say(f"{fusion} without dropout, seed {seed}: epoch {info['best_epoch']}, "
                f"val score {info['val_score']:.3f} ({info['training_time_s']} s)")
        tried = []
        for p in candidates:
            model, info = train_with_dropout(fusion, p, seeds[0], data, val, epochs, patience)
            tried.append((p, model, info))
            say(f"{fusion} dropout {describe_dropout(p)}, seed {seeds[0]}: epoch "
                f"{info['best_epoch']}, val score {info['val_score']:.3f} "
                f"({info['training_time_s']} s)")
        best = max(range(len(tried)), key=lambda i: tried[i][2]["val_score"])
        chosen = tried[best][0]
        selection[fusion] = {"chosen": chosen, "candidates": [
            {"p": p, **{k: v for k, v in info.items() if k.startswith("val_")}}
            for p, _, info in tried]}
        trained[(fusion, "with")] = [(seeds[0], tried[best][1], tried[best][2])]
        for seed in seeds[1:]:
            model, info = train_with_dropout(fusion, chosen, seed, data, val, epochs, patience)
            trained[(fusion, "with")].append((seed, model, info))
            say(f"{fusion} dropout {describe_dropout(chosen)}, seed {seed}: epoch "
                f"{info['best_epoch']}, val score {info['val_score']:.3f}")

    # --- the test split, read once, by the models kept ---------------------------------
    test = _batch("test", preset)
    rows = []
    for (fusion, kind), runs in trained.items():
        row: dict[str, Any] = {
            "fusion": fusion, "dropout": selection[fusion]["chosen"] if kind == "with" else 0.0,
            "seeds": [], "best_epoch": [], "val_score": [], "val_none": [],
            "training_time_s": [], "missing": {}, "auc": {}, "curves": {}}
        for seed, model, info in runs:
            figures = robustness_figures(model, test, seed)
            for key in ("best_epoch", "val_score", "val_none", "training_time_s"):
                row[key].append(info[key])
            row["seeds"].append(seed)
            for part in ("missing", "auc", "curves"):
                for name, value in figures[part].items():
                    row[part].setdefault(name, []).append(value)
        rows.append(row)
        say(f"{fusion} {kind} dropout: test {np.mean(row['missing']['none']):.3f} full, "
            + ", ".join(f"{np.mean(row['missing'][m]):.3f} without {m}" for m in MODALITIES))
    return {"last_run": datetime.date.today().isoformat(),
            "command": "make bench (python -m benchmarks robustness)",
            "settings": {"preset": preset, "seeds": list(seeds), "epochs": epochs,
                         "patience": patience, "limit": limit, "batch_size": BATCH_SIZE,
                         "learning_rate": LEARNING_RATE, "text": "bag_of_words",
                         "candidates": list(candidates), "levels": LEVELS},
            "selection": selection, "models": rows,
            "wall_time_s": round(time.perf_counter() - began, 1)}
