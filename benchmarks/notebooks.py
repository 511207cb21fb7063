"""Wall time and peak memory of each notebook, run top to bottom in a fresh kernel.

Each notebook runs in its own process (`python -m tools.notebooks run`), which
starts the kernel, waits for it, and exits. `os.wait4` then reports that
process's peak resident memory, which on Linux includes the kernel it waited
for: the figure is the larger of the runner and the kernel, so it bounds what
the notebook itself needs.
"""

import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mmkit.paths import REPO_ROOT
from tools.notebooks import course_notebooks

RESULTS = REPO_ROOT / "benchmarks" / "results" / "notebooks.md"
HEADER = "| notebook | wall time (s) | peak memory (MiB) |"


@dataclass(frozen=True)
class Measurement:
    notebook: str
    wall_s: float
    peak_mib: float

    def row(self) -> str:
        return f"| {self.notebook} | {self.wall_s:.1f} | {self.peak_mib:.0f} |"


def measure(path: Path) -> Measurement:
    """Execute `path` in a fresh process and kernel; raise if any cell fails."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "tools.notebooks", "run", str(path)],
                               cwd=REPO_ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{path} failed to run (exit code {process.returncode})")
    return Measurement(Path(path).name, wall, usage.ru_maxrss / 1024)  # ru_maxrss is in KiB


def rows_by_notebook(table: Path) -> dict[str, list[str]]:
    """The rows already in a results table, grouped by the notebook of their first column."""
    rows: dict[str, list[str]] = {}
    if table.is_file():
        for line in table.read_text().splitlines():
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if line.startswith("| ") and cells[0].endswith(".ipynb"):
                rows.setdefault(cells[0], []).append(line)
    return rows


def read_rows(table: Path) -> dict[str, str]:
    """The rows already in a results table of one row per notebook, keyed by its name."""
    return {name: lines[-1] for name, lines in rows_by_notebook(table).items()}


def write_results(table: Path, lines: list[str]) -> None:
    """Write a results table (Markdown lines), making its folder if needed."""
    table.parent.mkdir(parents=True, exist_ok=True)
    table.write_text("\n".join(lines))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPU cores ({cpu}), Python {platform.python_version()}, "
            f"MMKIT_THREADS={os.environ.get('MMKIT_THREADS', 'unset')}")


def write_table(rows: dict[str, str], table: Path) -> None:
    text = [
        "# Notebook benchmarks",
        "",
        "Each notebook executed top to bottom in a fresh kernel by `make bench`",
        "(`python -m benchmarks notebooks`): wall time including kernel start-up, and",
        "peak resident memory of the runner or its kernel, whichever is larger.",
        "",
        f"Last run {date.today().isoformat()} on {machine()}.",
        "",
        HEADER,
        "|---|---:|---:|",
        *(rows[name] for name in sorted(rows)),
        "",
    ]
    write_results(table, text)


def main(paths: list[Path], table: Path = RESULTS) -> None:
    rows = read_rows(table)
    for path in paths or course_notebooks():
        result = measure(path)
        print(result.row(), flush=True)
        rows[result.notebook] = result.row()
    write_table(rows, table)
    print(f"wrote {table}")
