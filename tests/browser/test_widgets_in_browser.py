"""Every widget of the course, driven in Chromium: it answers each control with a new
picture and no error, and its labels fit; a planted broken callback and a cut label are
caught and named."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tools.browser import WIDGET_CALL, stored_widget_cells, widget_notebooks

NOTEBOOKS = widget_notebooks()

#: Put before a widget's cell: every `interactive` made afterwards draws once, as usual,
#: and then raises on each move, as a callback with a bug does.
PLANTED = '''\
import functools
import ipywidgets

_make_interactive = ipywidgets.interactive.__init__


def _planted(self, f, *args, **kwargs):
    calls = []

    @functools.wraps(f)
    def broken(*a, **kw):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("planted failure in the widget's callback")
        return f(*a, **kw)

    _make_interactive(self, broken, *args, **kwargs)


ipywidgets.interactive.__init__ = _planted
'''


def test_the_widget_notebooks_are_found_in_the_course():
    assert NOTEBOOKS, "no course notebook calls a *_widget( function or stores a widget"
    for path in NOTEBOOKS:
        cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        assert stored_widget_cells(cells) or any(WIDGET_CALL.search(c.source) for c in cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_widget_answers_each_control_without_error(check, path):
    report = check(path.name)
    assert not report.problems(), "\n".join(report.problems())
    assert report.widgets, f"{path.name}: no widget was shown"
    for widget in report.widgets:
        moved = [c for c in widget.controls if c.responses]
        assert moved, f"{path.name}: {widget.title} has no control a learner can move"
        for control in moved:
            assert len(control.values) == 3 and control.values[0] == control.values[2] != \
                control.values[1], f"{widget.title}: {control.label} moved {control.values}"


def test_a_broken_callback_is_reported_with_the_widget_and_the_error(check, driver):
    source = NOTEBOOKS[0]
    nb = nbformat.read(source, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    first = code[stored_widget_cells([nb.cells[i] for i in code])[0]]
    name = nb.cells[first].source.strip().splitlines()[-1].strip()
    nb.cells.insert(first, new_code_cell(PLANTED))
    planted = f"planted_{source.name}"
    nbformat.write(nb, driver.server.root / planted)

    report = check(planted, presses=1, planted=True)

    problems = report.problems()
    assert problems, "the planted failure went unnoticed"
    assert not report.cell_errors, report.cell_errors  # the widget drew once, as usual
    named = [p for p in problems if f"`{name}`" in p and
             "RuntimeError: planted failure in the widget's callback" in p]
    assert named, "\n".join(problems)


def test_a_cut_label_is_reported(check, driver):
    nb = new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3",
                              "language": "python"}
    nb.cells.append(new_code_cell(
        "import ipywidgets as widgets\n\n"
        "def show(width):\n"
        "    print('width', width)\n\n"
        "width = widgets.SelectionSlider(options=[2, 4, 8], value=2, description='hidden width')\n"
        "widgets.interactive(show, width=width)"))
    nbformat.write(nb, driver.server.root / "cut_label.ipynb")

    report = check("cut_label.ipynb", presses=1, planted=True)

    assert [c.values for w in report.widgets for c in w.controls] == [["2", "4"]]
    assert report.widgets[0].cut_labels and "hidden width" in report.widgets[0].cut_labels[0]
    assert any("label cut off" in p and "hidden width" in p for p in report.problems())
