"""The parts of tools/browser.py and benchmarks/widgets.py that need no browser: finding the
widget notebooks, the server's start and stop, reading errors, the benchmark's table."""

import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from benchmarks.widgets import read_rows, rows_of, write_table
from tools.browser import (
    WIDGET_VIEW,
    ControlReport,
    NotebookReport,
    Response,
    WidgetReport,
    errors_in,
    serve_lab,
    slug,
    wait_for_kernel,
    widget_notebooks,
)


def notebook(tmp_path, name, source, outputs=()):
    import nbformat

    nb = new_notebook()
    nb.cells.append(new_code_cell(source, outputs=list(outputs)))
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_widget_notebooks_are_found_by_their_calls_and_their_stored_views(tmp_path):
    called = notebook(tmp_path, "a.ipynb", "from mmkit.demos.x import knob_widget\nknob_widget()")
    view = new_output("display_data", data={WIDGET_VIEW: {"model_id": "0" * 32}})
    stored = notebook(tmp_path, "b.ipynb", "explorer(model)", [view])
    plain = notebook(tmp_path, "c.ipynb", "print('no widget here')  # widgets( is prose")
    assert widget_notebooks([called, stored, plain]) == [called, stored]


def test_errors_are_named_by_their_exception_line_and_prose_is_not_an_error():
    state = {"bad": [["-----", "RuntimeError      Traceback (most recent call last)",
                      "Cell In[3], line 2", "RuntimeError: it broke"],
                     ["/x.py:3: UserWarning: careful", "  warnings.warn('careful')"]],
             "text": ["mean squared Error on the validation split", "0.25",
                      "Error displaying widget: model not found"]}
    assert errors_in(state) == ["RuntimeError: it broke", "/x.py:3: UserWarning: careful",
                                "Error displaying widget: model not found"]


def test_file_names_of_labels_are_ascii():
    assert slug("β₂ (RMSprop: α)") == "beta2-RMSprop-alpha"
    assert slug("lr η") == "lr-eta"
    assert slug("z₁") == "z1"


def report_with(*responses: Response, values=("1", "2", "1")) -> NotebookReport:
    control = ControlReport("slider", "weight w", list(values), list(responses))
    hidden = ControlReport("slider", "momentum μ", skipped="hidden")
    widget = WidgetReport(12, "neuron_widget()", [control, hidden])
    return NotebookReport("00_welcome.ipynb", 5.0, 1, widgets=[widget])


def test_a_report_names_the_widget_the_control_and_what_went_wrong():
    good = Response("key ArrowRight", True, 0.2, [])
    assert report_with(good, good).problems() == []
    report = report_with(Response("key ArrowRight", False, 0.2, []),
                         Response("key ArrowLeft", True, None, []),
                         Response("key ArrowRight", True, 0.3, ["ValueError: no"]))
    title = "00_welcome.ipynb: widget of cell 12 (`neuron_widget()`), slider 'weight w'"
    assert report.problems() == [
        f"{title}: key ArrowRight: the output did not change",
        f"{title}: key ArrowLeft: the output did not answer within 60 s",
        f"{title}: key ArrowRight: the output shows an error: ValueError: no"]
    assert "slider 'momentum μ': hidden" in report.summary()


def test_fewer_widgets_than_stored_is_a_problem():
    report = NotebookReport("01_x.ipynb", 1.0, expected_widgets=2,
                            cell_errors=["NameError: name 'x' is not defined"])
    assert report.problems() == [
        "01_x.ipynb: a cell failed during Run All: NameError: name 'x' is not defined",
        "01_x.ipynb: 0 widget(s) shown, expected 2 (cells with a stored widget)"]


def test_the_benchmark_table_keeps_a_row_per_control_merged_by_notebook(tmp_path):
    report = report_with(*(Response("key", True, s, []) for s in (0.1, 0.5, 0.2)))
    rows = rows_of(report)
    assert rows == ["| 00_welcome.ipynb | `neuron_widget()` | slider 'weight w' | 200 | 500 | 3 "
                    "| yes |"]
    table = tmp_path / "widgets.md"
    write_table({"01_b.ipynb": ["| 01_b.ipynb | `w()` | slider 'x' | 400 | 900 | 6 | no |"]},
                table)
    merged = read_rows(table)
    merged["00_welcome.ipynb"] = rows
    write_table(merged, table)
    assert list(read_rows(table)) == ["00_welcome.ipynb", "01_b.ipynb"]


def test_the_committed_benchmark_table_has_every_widget_notebook():
    from benchmarks.widgets import RESULTS

    missing = [p.name for p in widget_notebooks() if p.name not in read_rows(RESULTS)]
    assert not missing, f"run `make bench NOTEBOOKS=...` for {missing}"


def test_the_server_and_its_kernels_are_stopped_by_process_id_even_on_failure(tmp_path):
    source = notebook(tmp_path, "n.ipynb", "1 + 1")
    with pytest.raises(RuntimeError, match="a failing test"), \
            serve_lab([source], tmp_path / "lab") as server:
        assert (server.root / "n.ipynb").is_file() and server.root != source.parent
        server.api("kernels", method="POST")
        kernels = psutil.Process(server.process.pid).children(recursive=True)
        assert kernels, "the kernel did not start"
        started = [server.process.pid, *(k.pid for k in kernels)]
        raise RuntimeError("a failing test")
    assert server.process.poll() is not None
    alive = [pid for pid in started if psutil.pid_exists(pid)
             and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"still running: {alive}"


def test_the_server_is_found_when_the_free_port_was_taken_meanwhile(tmp_path, monkeypatch):
    import socket

    import tools.browser

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setattr(tools.browser, "free_port", lambda: port)
        with serve_lab([notebook(tmp_path, "n.ipynb", "1 + 1")], tmp_path / "lab") as server:
            assert server.port != port
            assert server.api("status")["started"]


class KernelPage:
    """A page whose kernel shows idle only after `reloads_needed` reloads."""

    def __init__(self, reloads_needed):
        self.reloads_needed, self.reloads = reloads_needed, 0

    def evaluate(self, script):
        return {"idle": self.reloads >= self.reloads_needed}

    def reload(self):
        self.reloads += 1

    def wait_for_selector(self, selector, timeout):
        pass

    def locator(self, selector):
        page = self

        class StatusBar:
            def all_inner_texts(self):
                return ["Python 3 (ipykernel)", "Idle" if page.evaluate("")["idle"] else
                        "Connecting"]
        return StatusBar()


def test_a_kernel_that_missed_its_start_gets_one_reload_then_a_named_failure():
    page = KernelPage(reloads_needed=1)
    wait_for_kernel(page, timeout=0.2)
    assert page.reloads == 1
    page = KernelPage(reloads_needed=2)
    with pytest.raises(TimeoutError, match="with one reload") as failure:
        wait_for_kernel(page, timeout=0.2)
    assert "shows 'Python 3 (ipykernel) | Connecting'" in str(failure.value)
    assert page.reloads == 1
