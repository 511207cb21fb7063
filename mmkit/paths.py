"""Where the kit's folders are: the repository root, `data/`, its data sets and `notebooks/`."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """The folder the notebooks read their data from.

    `$MMKIT_DATA` overrides the default, `data/` at the repository root.
    """
    return Path(os.environ.get("MMKIT_DATA", REPO_ROOT / "data"))


def dataset_dir() -> Path:
    """The mmdigits data set: `data/mmdigits` (see `mmkit.data.build`)."""
    return data_dir() / "mmdigits"


def voices_dir() -> Path:
    """Spoken digits by Flite's and Festival's voices: `data/voices` (see
    `mmkit.data.build`, `--voices`)."""
    return data_dir() / "voices"


def realspeech_dir() -> Path:
    """Real spoken digits of one speaker (FSDD, CC BY-SA 4.0): `data/realspeech`.

    Its `{digit}_theo_{index}.wav` files load with `mmkit.data.audio.load_folder` (or
    `mmkit.data.dataset.AudioFolder`); `recordings.csv` lists them, README.md says where
    they come from.
    """
    return data_dir() / "realspeech"


def notebooks_dir() -> Path:
    """The folder that holds the numbered notebooks."""
    return REPO_ROOT / "notebooks"
