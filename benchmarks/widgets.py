"""How fast each widget answers in a real browser: key press to the new picture, per control.

`tools.browser` serves the widget notebooks with JupyterLab, runs each in Chromium, and
acts on every visible control several times (forth, back, forth, ...): a slider's key,
a drop-down's option, a toggle button. Each response is timed in the page, from the
action to the last change of the widget's output before it settles; the kernel's
callback, the figure's PNG, its trip through the server and its rendering all count.
The table keeps one row per control, merged by notebook like `notebooks.md`.
"""

import statistics
import tempfile
from datetime import date
from pathlib import Path

from benchmarks.notebooks import machine, rows_by_notebook, write_results
from mmkit.paths import REPO_ROOT
from tools.browser import NotebookReport, widget_driver, widget_notebooks

RESULTS = REPO_ROOT / "benchmarks" / "results" / "widgets.md"
HEADER = "| notebook | widget | control | median (ms) | slowest (ms) | actions | ≤ 300 ms |"
GOAL_MS = 300
ACTIONS = 6


def rows_of(report: NotebookReport) -> list[str]:
    """One table row per control that was moved, in the order of the page."""
    rows = []
    for widget in report.widgets:
        for control in widget.controls:
            times = [r.seconds * 1000 for r in control.responses if r.seconds is not None]
            if not times:
                continue
            median = statistics.median(times)
            rows.append(f"| {report.notebook} | `{widget.name}` | {control.kind} "
                        f"'{control.label}' | {median:.0f} | {max(times):.0f} | {len(times)} | "
                        f"{'yes' if median <= GOAL_MS else 'no'} |")
    return rows


#: The rows already in a results table, grouped by notebook.
read_rows = rows_by_notebook


def write_table(rows: dict[str, list[str]], table: Path, actions: int = ACTIONS) -> None:
    text = [
        "# Widget response times",
        "",
        "Every widget of the course driven in Chromium by `make bench`",
        "(`python -m benchmarks widgets`, through `tools/browser.py`): each visible control",
        f"acted on {actions} times, alternately forth and back (a slider's arrow key, the",
        "next or previous option of a drop-down or toggle buttons). A response is timed in",
        "the page, from the key press (or the choice) to the new picture settled in the",
        "widget's output: the kernel's callback, the figure, its trip through the server",
        "and its rendering. Median and slowest response per control.",
        "",
        f"Goal: at most {GOAL_MS} ms for widgets that draw from precomputed results; the",
        "last column says whether the median meets it.",
        "",
        f"Last run {date.today().isoformat()} on {machine()};",
        "JupyterLab, its kernel and Chromium on that machine.",
        "",
        HEADER,
        "|---|---|---|---:|---:|---:|---|",
        *(row for name in sorted(rows) for row in rows[name]),
        "",
    ]
    write_results(table, text)


def main(paths: list[Path], table: Path = RESULTS, actions: int = ACTIONS) -> None:
    """Time the widgets of `paths` (default: every course notebook with a widget); write
    their rows into `table`, keeping the other notebooks' rows."""
    paths = widget_notebooks(paths or None)
    rows = read_rows(table)
    problems = []
    with tempfile.TemporaryDirectory(prefix="mmkit-bench-widgets-") as workdir, \
            widget_driver(paths, Path(workdir), screenshots=None) as driver:
        for path in paths:
            report = driver.check(path.name, presses=actions)
            rows[path.name] = rows_of(report)
            problems += report.problems()
            print("\n".join(rows[path.name]), flush=True)
    write_table(rows, table, actions)
    print(f"wrote {table}")
    if problems:
        raise RuntimeError("widgets with problems (make ui-test shows them):\n"
                           + "\n".join(problems))
