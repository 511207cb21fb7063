"""Command line for the benchmarks.

    python -m benchmarks notebooks [NOTEBOOK ...]   wall time and peak memory per notebook
    python -m benchmarks scratch                    from-scratch MLP step vs PyTorch
    python -m benchmarks calibration                mmdigits presets: accuracy per modality
    python -m benchmarks fusion                     fusion strategies vs each modality alone
    python -m benchmarks robustness                 missing / noisy modalities, modality dropout
    python -m benchmarks distributed                1 and 2 processes: steps/s, learning rate
    python -m benchmarks real_voices [--real DIR]   the audio model on real recordings
    python -m benchmarks compression [--teacher-only]  quantisation, pruning, distillation
    python -m benchmarks widgets [NOTEBOOK ...]     each widget's response time in Chromium
"""

import argparse
import sys
from pathlib import Path

from benchmarks import (
    calibration,
    compression,
    distributed,
    fusion,
    notebooks,
    real_voices,
    robustness,
    scratch_vs_torch,
    widgets,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("notebooks", help="wall time and peak memory of each notebook")
    run.add_argument("paths", nargs="*", type=Path, help="default: every course notebook")
    run.add_argument("--out", type=Path, default=notebooks.RESULTS)
    commands.add_parser("scratch", help="from-scratch MLP training step vs PyTorch")
    commands.add_parser("calibration", help="mmdigits presets: baseline accuracy per modality")
    commands.add_parser("fusion", help="fusion strategies vs each modality alone, 3 seeds")
    commands.add_parser("robustness", help="missing and noisy modalities, without and with "
                                           "modality dropout, 3 seeds")
    commands.add_parser("distributed", help="data-parallel training with 1 and 2 processes "
                                            "(torchrun): steps/s, learning-rate scaling")
    real = commands.add_parser("real_voices", help="the audio model trained on synthetic "
                                                   "voices, tested and adapted on real ones")
    real.add_argument("--real", type=Path, default=None,
                      help="a folder of {digit}_*.wav recordings (default: data/realspeech)")
    real.add_argument("--out", type=Path, default=real_voices.RESULTS)
    small = commands.add_parser("compression", help="quantisation, pruning, smaller and "
                                                    "distilled models, measured")
    small.add_argument("--teacher-only", action="store_true",
                       help="only retrain the teacher, data/models/early_fusion.pt")
    small.add_argument("--out", type=Path, default=compression.RESULTS)
    timed = commands.add_parser("widgets", help="each widget's response time in a real browser")
    timed.add_argument("paths", nargs="*", type=Path,
                       help="default: every course notebook with a widget")
    timed.add_argument("--out", type=Path, default=widgets.RESULTS)
    args = parser.parse_args(argv)
    if args.command == "notebooks":
        notebooks.main(args.paths, args.out)
    elif args.command == "widgets":
        widgets.main(args.paths, args.out)
    elif args.command == "scratch":
        print(scratch_vs_torch.main())
    elif args.command == "fusion":
        print(fusion.main())
    elif args.command == "robustness":
        print(robustness.main())
    elif args.command == "distributed":
        print(distributed.main())
    elif args.command == "compression":
        print(compression.main(args.out, teacher_only=args.teacher_only))
    elif args.command == "real_voices":
        print(real_voices.main(args.real, args.out))
    else:
        print(calibration.main())
    return 0


if __name__ == "__main__":
    sys.exit(main())
