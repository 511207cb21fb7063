"""Where the kit's folders are: the repository root, `data/` and `notebooks/`."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """The folder the notebooks read their data from.

    `$MMKIT_DATA` overrides the default, `data/` at the repository root.
    """
    return Path(os.environ.get("MMKIT_DATA", REPO_ROOT / "data"))


def notebooks_dir() -> Path:
    """The folder that holds the numbered notebooks."""
    return REPO_ROOT / "notebooks"
