"""The real-browser widget tests: run by `make ui-test` (and `make test` after the pytest run).

The ordinary pytest run (`make test`, which collects tests/ and notebooks/) skips this
folder: it is collected only when named on the command line (`pytest tests/browser`).
One JupyterLab and one Chromium serve the whole session; each notebook's findings are
printed at the end and written to build/ui-test/report.txt, beside the screenshots.
"""

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPORTS: list = []


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Ignore this folder unless a command-line argument points into it."""
    root = Path(config.invocation_params.dir)
    for argument in config.args:
        asked = (root / argument.split("::")[0]).resolve()
        if asked == HERE or HERE in asked.parents:
            return None
    return True


@pytest.fixture(scope="session")
def driver(tmp_path_factory):
    """JupyterLab on copies of the widget notebooks, and Chromium on it."""
    from tools.browser import widget_driver, widget_notebooks

    with widget_driver(widget_notebooks(), tmp_path_factory.mktemp("lab")) as started:
        yield started


@pytest.fixture
def check(driver):
    """Check a notebook of the server's root (by file name); its report is kept for the
    session's summary, marked when the test planted its problems."""

    def run(notebook: str, presses: int = 2, planted: bool = False):
        report = driver.check(notebook, presses)
        REPORTS.append((report, planted))
        return report

    return run


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not REPORTS:
        return
    from tools.browser import SCREENSHOTS

    text = "\n".join(("(problems planted by the test, expected) " if planted else "")
                     + report.summary() for report, planted in REPORTS)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "report.txt").write_text(text + "\n")
    terminalreporter.section("widgets in the browser")
    terminalreporter.write_line(text)
    terminalreporter.write_line(f"screenshots and this report: {SCREENSHOTS}")
