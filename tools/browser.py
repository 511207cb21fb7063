"""Drive the notebooks' widgets in a real browser: JupyterLab served locally, Chromium on it.

    python -m tools.browser [NOTEBOOK ...]     check the widgets of these (default: every
                                               course notebook that has one); screenshots
                                               go to build/ui-test/

nbval never renders a widget; this does. For each notebook, on a temporary
copy: open it in JupyterLab, clear the outputs, run all cells, wait until the
kernel is idle, then for every widget move each visible slider with the
keyboard, pick another option in each drop-down and another toggle button,
and check that the widget's output changed and shows no error. It also
reports widget labels cut off at JupyterLab's default width, and times each
response (key press to the new output settled in the page): `make ui-test`
asserts the findings, `make bench` tabulates the times.

JupyterLab runs on a free loopback port with a random token, with its
settings, workspaces, configuration and runtime files in a temporary folder
(no user state leaks in, nothing is saved over the notebooks); it and its
kernels are stopped by process id at the end, even on failure. The browser is
the machine's Chromium (`/usr/bin/chromium`), driven by Playwright; Playwright's
own browser download is never used.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil

from mmkit.paths import REPO_ROOT
from tools.lab import lab_command
from tools.notebooks import WIDGET_VIEW, course_notebooks

#: Debian's Chromium, or the one `$MMKIT_CHROMIUM` names (the Makefile's CHROMIUM).
CHROMIUM = Path(os.environ.get("MMKIT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic",
                 "--disable-sync"]
#: A laptop's browser window; JupyterLab's default layout (file browser open) inside it.
VIEWPORT = {"width": 1280, "height": 900}
SCREENSHOTS = REPO_ROOT / "build" / "ui-test"
#: JupyterLab settings for the test: no news toast, every cell in the page (no windowing).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}
#: A call of a widget-making function in a notebook's code (`neuron_widget()`).
WIDGET_CALL = re.compile(r"\b\w+_widget\(")

SERVER_START_S = 120
NOTEBOOK_RUN_S = 600
RESPONSE_S = 60
#: Quiet time after the last change of a widget's output before it counts as settled.
SETTLE_S = 0.5


def widget_notebooks(paths: list[Path] | None = None) -> list[Path]:
    """The notebooks with a widget: a code cell calls a `*_widget(` function, or a stored
    output is a widget view. Default: among the course notebooks."""
    found = []
    for path in course_notebooks() if paths is None else paths:
        cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        if any(WIDGET_CALL.search(c.source) for c in cells) or stored_widget_cells(cells):
            found.append(Path(path))
    return found


def stored_widget_cells(cells: list) -> list[int]:
    """Indices (among `cells`) of the code cells whose stored outputs hold a widget view."""
    return [i for i, cell in enumerate(cells)
            if any(WIDGET_VIEW in output.get("data", {}) for output in cell.get("outputs", []))]


# --------------------------------------------------------------------------- the server

def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_environment(workdir: Path) -> dict[str, str]:
    """This process's environment (`make ui-test` and `make bench` give it the Makefile's
    RUN_ENV: offline, one thread, no progress bars) with JupyterLab's configuration, data,
    settings, workspaces and runtime folders under `workdir`."""
    env = dict(os.environ)
    env.setdefault("IPYTHONDIR", str(workdir / "ipython"))  # no profile's start-up files
    for name, folder in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                         ("JUPYTER_RUNTIME_DIR", "runtime"),
                         ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                         ("JUPYTERLAB_WORKSPACES_DIR", "workspaces")]:
        (workdir / folder).mkdir(parents=True, exist_ok=True)
        env[name] = str(workdir / folder)
    for name, values in LAB_SETTINGS.items():
        path = workdir / "settings" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return env


@dataclass
class LabServer:
    """A JupyterLab serving `root` on 127.0.0.1, started by `serve_lab`."""

    root: Path
    port: int  # asked for; the one it took once `wait_for_server` returns
    token: str
    process: subprocess.Popen
    log: Path
    runtime: Path  # its JUPYTER_RUNTIME_DIR, where it writes jpserver-<pid>.json

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, method: str = "GET") -> object:
        """Call the server's REST API; the decoded JSON answer (None if empty)."""
        request = urllib.request.Request(f"{self.base}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def url(self, notebook: str, workspace: str) -> str:
        """The page that opens `notebook` in a fresh workspace of its own."""
        return f"{self.base}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={self.token}"

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def wait_for_server(server: LabServer, timeout: float = SERVER_START_S) -> None:
    """Return once the server answers /api/status; raise if it exits or takes too long.

    The port is read from the server's own jpserver-<pid>.json: if another process took
    the free port first, JupyterLab moved on to the next one."""
    info = server.runtime / f"jpserver-{server.process.pid}.json"

    def answers() -> bool:
        if server.process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {server.process.returncode} "
                               f"before answering:\n{server.log_tail()}")
        try:
            server.port = json.loads(info.read_text())["port"]
            server.api("status")
        except (OSError, ValueError, KeyError, urllib.error.HTTPError):
            return False
        return True

    try:
        wait_until(answers, timeout, f"{server.base}/api/status", poll=0.25)
    except TimeoutError:
        raise TimeoutError(f"JupyterLab did not answer {server.base}/api/status within "
                           f"{timeout:.0f} s:\n{server.log_tail()}") from None


def stop_server(server: LabServer) -> None:
    """Shut its kernels down, then stop the server and anything it started, by process id."""
    try:
        started = psutil.Process(server.process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        started = []
    try:
        for kernel in server.api("kernels"):
            server.api(f"kernels/{kernel['id']}", method="DELETE")
    except (OSError, urllib.error.HTTPError, TypeError, KeyError):
        pass  # the server is gone or unwell: its processes are stopped below all the same
    try:
        os.killpg(server.process.pid, signal.SIGTERM)  # the server's own process group
        server.process.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=20)
    for process in started:  # kernels run in sessions of their own
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(started, timeout=10)


@contextmanager
def serve_lab(notebooks: list[Path], workdir: Path) -> Iterator[LabServer]:
    """JupyterLab on copies of `notebooks` (in `workdir/notebooks`), on a free loopback port
    with a random token; stopped with its kernels when the block ends, even on failure.

    Its extensions are the learner's (nbgrader's menu, Validate button and sidebar tab
    included: they add no toast and leave the notebook's width as it is).
    """
    root = workdir / "notebooks"
    root.mkdir(parents=True, exist_ok=True)
    for path in notebooks:
        shutil.copy(path, root / Path(path).name)
    env = lab_environment(workdir)
    command = lab_command(root, free_port(), secrets.token_hex(16), open_browser=False)
    port = int(next(a for a in command if a.startswith("--port=")).split("=")[1])
    token = next(a for a in command if a.startswith("--IdentityProvider.token=")).split("=")[1]
    log = workdir / "jupyterlab.log"
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = LabServer(root, port, token, process, log, Path(env["JUPYTER_RUNTIME_DIR"]))
    try:
        wait_for_server(server)
        yield server
    finally:
        stop_server(server)


# --------------------------------------------------------------------------- the page

#: Every widget shown as a cell's output (not a widget nested in another).
WIDGETS = ".jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output > .jupyter-widgets"
#: The controls driven, by kind.
CONTROLS = {"slider": ".widget-slider", "drop-down": ".widget-dropdown",
            "toggle": ".widget-toggle-buttons", "checkbox": ".widget-checkbox"}
#: A line of a widget's printed text that shows an error: a traceback, or a line that starts
#: with one ("Error displaying widget", "ValueError: ..."), but not "mean squared Error".
ERROR_TEXT = re.compile(r"Traceback \(most recent call last\)|^[\w.]*(Error|Exception)\b")
#: The line of a traceback that names the exception: `RuntimeError: what went wrong`.
EXCEPTION_LINE = re.compile(r"^[\w.]*(Error|Exception|Warning)\b.*:")

#: Set up once per widget: the time of the first action (key, click, change) after `ARM`,
#: and of the latest change inside the widget's output areas.
INSTRUMENT = """w => {
  if (w.__mmkit) return;
  const state = w.__mmkit = {action: null, last: null};
  for (const type of ['keydown', 'click', 'change'])
    w.addEventListener(type, () => { if (state.action === null) state.action = performance.now(); },
                       true);
  const observer = new MutationObserver(() => { state.last = performance.now(); });
  for (const out of w.querySelectorAll('.widget-output'))
    observer.observe(out, {subtree: true, childList: true, attributes: true, characterData: true});
}"""
ARM = "w => { w.__mmkit.action = null; w.__mmkit.last = null; }"
#: The widget's output now: a hash of its outputs' HTML, the lines of its error and stderr
#: outputs (each a list), its other text, and whether the kernel is idle (a page shows one
#: notebook).
STATE = """w => {
  const outs = [...w.querySelectorAll('.widget-output')];
  const html = outs.map(o => o.innerHTML).join('\\n');
  let hash = 2166136261;
  for (let i = 0; i < html.length; i++) {
    hash ^= html.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  const shown = outs.flatMap(o => [...o.querySelectorAll('.jp-OutputArea-output')]);
  const lines = e => e.innerText.split('\\n').map(l => l.trim()).filter(Boolean);
  const bad = [], text = [];
  for (const e of shown) {
    const mime = e.getAttribute('data-mime-type');
    if (mime === 'application/vnd.jupyter.error' || mime === 'application/vnd.jupyter.stderr')
      bad.push(lines(e));
    else text.push(...lines(e));
  }
  const status = document.querySelector('.jp-StatusBar-Widget');
  return {outputs: outs.length, fingerprint: (hash >>> 0).toString(16) + ':' + html.length,
          bad, text, idle: status !== null && status.innerText.includes('Idle'),
          action: w.__mmkit.action, last: w.__mmkit.last, now: performance.now()};
}"""
#: The widget's controls, in DOM order, with what the driver needs to know about each.
CONTROL_LIST = """(w, kinds) => {
  const found = [];
  for (const el of w.querySelectorAll(Object.values(kinds).join(', '))) {
    const kind = Object.keys(kinds).find(k => el.matches(kinds[k]));
    const label = el.querySelector(':scope > .widget-label');
    const inputs = [...el.querySelectorAll('input, select, button, .noUi-target')];
    found.push({kind, label: label ? label.innerText.trim() : '',
                visible: el.offsetParent !== null,
                disabled: inputs.length > 0
                          && inputs.every(i => i.disabled || i.hasAttribute('disabled'))});
  }
  return found;
}"""
#: Labels, toggle buttons and read-outs whose text does not fit their box.
CUT_LABELS = """w => [...w.querySelectorAll(
    '.widget-label, .widget-toggle-button, .widget-readout')]
  .filter(e => e.offsetParent !== null && e.innerText.trim() && e.scrollWidth > e.clientWidth + 1)
  .map(e => `${e.innerText.trim()} (${e.scrollWidth} px of text in ${e.clientWidth} px)`)"""
#: The cell a widget belongs to: its number (from 1, Markdown cells included) and last line.
CELL_OF = """w => {
  const cell = w.closest('.jp-Cell');
  const lines = (cell.querySelector('.cm-content') || {innerText: ''}).innerText
      .split('\\n').map(l => l.trim()).filter(Boolean);
  return {number: [...cell.parentElement.children].indexOf(cell) + 1,
          name: lines.length ? lines[lines.length - 1] : '(empty cell)'};
}"""
#: Where a Run All stands: code cells waiting or running, not yet run, and error outputs.
RUN_STATE = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
      .map(p => p.innerText.trim());
  const errors = [...document.querySelectorAll(
      '.jp-Cell-outputArea [data-mime-type="application/vnd.jupyter.error"]')]
      .map(e => e.innerText.split('\\n').filter(Boolean).slice(-1)[0] || 'an error');
  const status = document.querySelector('.jp-StatusBar-Widget');
  return {cells: prompts.length, queued: prompts.filter(p => p.includes('*')).length,
          unrun: prompts.filter(p => !/\\d/.test(p)).length, errors,
          idle: status !== null && status.innerText.includes('Idle'),
          dead: status !== null && /\\bDead\\b/.test(status.innerText)};
}"""


@dataclass
class Response:
    """One action on a control and what the widget's output did."""

    action: str
    changed: bool
    seconds: float | None  # action to the output settled; None if it never answered
    errors: list[str]


@dataclass
class ControlReport:
    """A control of a widget: what was done to it, and how the widget responded."""

    kind: str
    label: str
    values: list[str] = field(default_factory=list)  # before, then after each action
    responses: list[Response] = field(default_factory=list)
    skipped: str = ""  # "hidden" or "disabled": not a thing a learner can move

    def problems(self) -> list[str]:
        found = []
        for response in self.responses:
            if response.seconds is None:
                found.append(f"{response.action}: the output did not answer within {RESPONSE_S} s")
            elif not response.changed:
                found.append(f"{response.action}: the output did not change")
            found += [f"{response.action}: the output shows an error: {e}"
                      for e in response.errors]
        return found


@dataclass
class WidgetReport:
    """A widget of a notebook (named by its cell), its controls and its labels."""

    cell: int
    name: str
    controls: list[ControlReport] = field(default_factory=list)
    cut_labels: list[str] = field(default_factory=list)
    problems_found: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"widget of cell {self.cell} (`{self.name}`)"

    def problems(self) -> list[str]:
        found = [f"{self.title}: {p}" for p in self.problems_found]
        found += [f"{self.title}: label cut off at JupyterLab's default width: {label}"
                  for label in self.cut_labels]
        for control in self.controls:
            found += [f"{self.title}, {control.kind} '{control.label}': {p}"
                      for p in control.problems()]
        return found


@dataclass
class NotebookReport:
    """What `check_notebook` found in one notebook."""

    notebook: str
    run_seconds: float
    expected_widgets: int
    cell_errors: list[str] = field(default_factory=list)
    widgets: list[WidgetReport] = field(default_factory=list)

    def problems(self) -> list[str]:
        found = [f"{self.notebook}: a cell failed during Run All: {e}" for e in self.cell_errors]
        if len(self.widgets) < self.expected_widgets:
            found.append(f"{self.notebook}: {len(self.widgets)} widget(s) shown, expected "
                         f"{self.expected_widgets} (cells with a stored widget)")
        for widget in self.widgets:
            found += [f"{self.notebook}: {p}" for p in widget.problems()]
        return found

    def summary(self) -> str:
        """A few lines for a person: widgets, controls moved, response times, problems."""
        lines = [f"{self.notebook}: Run All took {self.run_seconds:.0f} s; "
                 f"{len(self.widgets)} widget(s)"]
        for widget in self.widgets:
            for control in widget.controls:
                times = [r.seconds for r in control.responses if r.seconds is not None]
                what = (control.skipped or " → ".join(control.values)
                        + (f" ({', '.join(f'{t * 1000:.0f}' for t in times)} ms)" if times else ""))
                lines.append(f"  {widget.title}: {control.kind} '{control.label}': {what}")
        lines += [f"  PROBLEM {p}" for p in self.problems()]
        return "\n".join(lines)


def wait_until(condition: Callable[[], object], timeout: float, what: str,
               poll: float = 0.05) -> object:
    """Poll `condition` until it returns something true; return that. `what` names what
    was awaited in the TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(poll)


def menu(page, top: str, item: str) -> None:
    """Click JupyterLab's menu `top`, then its item `item`."""
    page.locator(".lm-MenuBar-itemLabel", has_text=top).first.click()
    page.locator(".lm-Menu-content .lm-Menu-item:visible .lm-Menu-itemLabel",
                 has_text=item).first.click()


def status_bar(page) -> str:
    """JupyterLab's status bar as one line (the kernel's name and state)."""
    return " | ".join(t.strip() for t in page.locator(".jp-StatusBar-Widget").all_inner_texts())


def wait_for_kernel(page, timeout: float = 2 * SERVER_START_S) -> None:
    """Wait until the notebook's kernel is idle. On a loaded machine a kernel can miss its
    start, leaving the page without one: then the page is reloaded once, which starts it
    again. The TimeoutError names what the status bar showed."""
    for attempt in (1, 2):
        try:
            wait_until(lambda: page.evaluate(RUN_STATE)["idle"], timeout / 2,
                       "the kernel to start")
            return
        except TimeoutError:
            shown = status_bar(page)
            if attempt == 2:
                raise TimeoutError(f"waited {timeout:.0f} s, with one reload, for the kernel to "
                                   f"start; the status bar shows {shown!r}") from None
            page.reload()
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout * 1000)


def run_all(page, timeout: float = NOTEBOOK_RUN_S) -> list[str]:
    """Clear every output, run all cells, and wait until every code cell has run (or a cell
    failed and the rest were not run) and the kernel is idle; the errors shown."""
    wait_for_kernel(page)
    page.locator(".jp-Notebook .jp-Cell").first.click()  # the notebook's menus apply
    menu(page, "Edit", "Clear Outputs of All Cells")
    wait_until(lambda: (lambda state: state["unrun"] == state["cells"])(page.evaluate(RUN_STATE)),
               30, "the outputs to clear")
    menu(page, "Run", "Run All Cells")

    def finished() -> dict | None:
        state = page.evaluate(RUN_STATE)
        if state["dead"]:
            raise RuntimeError("the kernel died during Run All (out of memory?)")
        done = state["queued"] == 0 and state["idle"] and (state["unrun"] == 0 or state["errors"])
        return state if done else None

    state = wait_until(finished, timeout, "Run All to finish (every code cell numbered)", 0.5)
    return state["errors"]


def check_notebook(context, server: LabServer, notebook: str, screenshots: Path | None,
                   presses: int = 2) -> NotebookReport:
    """Open `notebook` (a file in the server's root) in a fresh page, run it, and drive every
    widget: each visible, enabled control is moved `presses` times (forth, back, forth, ...).

    `screenshots`: a folder for before/after pictures of each control (None: none taken).
    """
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(server.url(notebook, re.sub(r"\W", "-", Path(notebook).stem)))
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=SERVER_START_S * 1000)
        cells = [c for c in nbformat.read(server.root / notebook, as_version=4).cells
                 if c.cell_type == "code"]
        start = time.monotonic()
        try:
            errors = run_all(page)
        except Exception:
            if screenshots is not None:  # what the page showed, for the maintainer
                screenshots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=screenshots / f"{Path(notebook).stem}-failed.png")
            raise
        report = NotebookReport(notebook, time.monotonic() - start,
                                len(stored_widget_cells(cells)), cell_errors=errors)
        try:  # fewer is reported below
            wait_until(lambda: page.locator(WIDGETS).count() >= report.expected_widgets,
                       RESPONSE_S, f"{report.expected_widgets} widget(s) to render")
        except TimeoutError:
            pass
        if screenshots is not None:
            screenshots = screenshots / Path(notebook).stem
            shutil.rmtree(screenshots, ignore_errors=True)
            screenshots.mkdir(parents=True)
        for index in range(page.locator(WIDGETS).count()):
            report.widgets.append(check_widget(page.locator(WIDGETS).nth(index), index + 1,
                                               screenshots, presses))
        return report
    finally:
        shut_down_kernels(server, notebook)
        page.close()


def shut_down_kernels(server: LabServer, notebook: str) -> None:
    """End the sessions (and kernels) of `notebook`, so the next one has the CPU to itself."""
    try:
        for session in server.api("sessions"):
            if session.get("path") == notebook:
                server.api(f"sessions/{session['id']}", method="DELETE")
    except (OSError, urllib.error.HTTPError):
        pass  # stop_server ends every kernel at the end


def check_widget(widget, number: int, screenshots: Path | None, presses: int) -> WidgetReport:
    """Drive every control of one widget; its report."""
    widget.scroll_into_view_if_needed()
    cell = widget.evaluate(CELL_OF)
    report = WidgetReport(cell["number"], cell["name"])
    widget.evaluate(INSTRUMENT)
    first = wait_until(lambda: settled_state(widget, initial=True), RESPONSE_S,
                       f"{report.title} to draw its output")
    if not first["outputs"]:
        report.problems_found.append("no output area (a widget that shows nothing)")
    report.problems_found += [f"the first output shows an error: {e}" for e in errors_in(first)]
    report.cut_labels = widget.evaluate(CUT_LABELS)
    kinds = widget.evaluate(CONTROL_LIST, CONTROLS)
    for index, found in enumerate(kinds):
        control = ControlReport(found["kind"], found["label"] or f"{found['kind']} {index + 1}")
        report.controls.append(control)
        if not found["visible"] or found["disabled"]:
            control.skipped = "hidden" if not found["visible"] else "disabled"
            continue
        box = widget.locator(", ".join(CONTROLS.values())).nth(index)
        name = f"w{number}-{index + 1}-{slug(control.label) or control.kind}"
        shots = None if screenshots is None else screenshots / name
        drive(widget, box, control, presses, shots)
        report.cut_labels += [c for c in widget.evaluate(CUT_LABELS) if c not in report.cut_labels]
    return report


def slug(text: str) -> str:
    """`text` for a file name, in ASCII: "β₁ (RMSprop: α)" → "beta1-RMSprop-alpha"."""
    out = []
    for char in unicodedata.normalize("NFKD", text):
        if char.isascii():
            out.append(char if char.isalnum() else "-")
        elif char.isalpha():  # a Greek letter by its name
            out.append(unicodedata.name(char, "-").split()[-1].lower())
    return re.sub("-+", "-", "".join(out)).strip("-")


def settled_state(widget, initial: bool = False) -> dict | None:
    """The widget's state once its output has settled after an action, else None.

    Settled: the output changed after the action (or, `initial`, holds something), nothing
    changed in it for SETTLE_S, and the kernel is idle."""
    state = widget.evaluate(STATE)
    if initial:
        quiet = state["last"] is None or state["now"] - state["last"] >= SETTLE_S * 1000
        return state if state["idle"] and quiet else None
    if state["last"] is None or not state["idle"]:
        return None
    return state if state["now"] - state["last"] >= SETTLE_S * 1000 else None


def errors_in(state: dict) -> list[str]:
    """The errors a widget's output shows, one line each: each error or stderr output (its
    line naming the exception, as `RuntimeError: ...`, else its first line), and lines of
    its other text that name an error or a traceback."""
    found = [next((line for line in reversed(lines) if EXCEPTION_LINE.match(line)),
                  lines[0] if lines else "(empty)")[:300] for lines in state["bad"]]
    found += [line[:300] for line in state["text"] if ERROR_TEXT.search(line)]
    return list(dict.fromkeys(found))


def value_of(box, kind: str) -> str:
    """What a control shows as its value."""
    if kind == "slider":
        return box.locator(".widget-readout").first.inner_text().strip()
    if kind == "drop-down":
        return box.locator("select").first.evaluate("s => s.options[s.selectedIndex].text")
    if kind == "toggle":
        active = box.locator(".widget-toggle-button.mod-active")
        return active.first.inner_text().strip() if active.count() else "(none)"
    return str(box.locator("input").first.is_checked())


def slider_keys(box) -> tuple[str, str]:
    """The keys that move a slider forth (right, unless it is at its maximum) and back."""
    handle = box.locator(".noUi-handle").first
    now, top = (float(handle.get_attribute(a)) for a in ("aria-valuenow", "aria-valuemax"))
    return ("ArrowRight", "ArrowLeft") if now < top else ("ArrowLeft", "ArrowRight")


def act(box, kind: str, forth: bool, keys: tuple[str, str] = ("ArrowRight", "ArrowLeft")
        ) -> str:
    """Change a control once, as a learner would; what was done. Forth: a slider one step
    with `keys[0]`, the next option or button; back: `keys[1]`, the previous one."""
    if kind == "slider":
        key = keys[0] if forth else keys[1]
        box.locator(".noUi-handle").first.press(key)
        return f"key {key}"
    if kind in ("drop-down", "toggle"):
        choices = (box.locator("select option") if kind == "drop-down"
                   else box.locator(".widget-toggle-button"))
        count = choices.count()
        now = (box.locator("select").first.evaluate("s => s.selectedIndex") if kind == "drop-down"
               else choices.evaluate_all(
                   "bs => bs.findIndex(b => b.classList.contains('mod-active'))"))
        target = (now + (1 if forth else -1)) % count
        if kind == "drop-down":
            box.locator("select").first.select_option(index=target)
        else:
            choices.nth(target).click()
        return f"{'option' if kind == 'drop-down' else 'button'} {target + 1} of {count}"
    box.locator("input").first.click()
    return "click"


def drive(widget, box, control: ControlReport, presses: int, shots: Path | None) -> None:
    """Act on one control `presses` times (forth, back, forth, ...), recording each response;
    screenshots of the widget before and after the first action."""
    control.values.append(value_of(box, control.kind))
    keys = slider_keys(box) if control.kind == "slider" else ("", "")
    for step in range(presses):
        before = widget.evaluate(STATE)
        if shots is not None and step == 0:
            widget.screenshot(path=f"{shots}-before.png")
        widget.evaluate(ARM)
        action = act(box, control.kind, step % 2 == 0, keys)
        try:
            after = wait_until(lambda: settled_state(widget), RESPONSE_S,
                               f"the output after {action}")
        except TimeoutError:
            control.responses.append(Response(action, False, None, []))
            continue
        control.values.append(value_of(box, control.kind))
        start = before["now"] if after["action"] is None else after["action"]
        control.responses.append(Response(action, after["fingerprint"] != before["fingerprint"],
                                          (after["last"] - start) / 1000, errors_in(after)))
        if shots is not None and step == 0:
            widget.screenshot(path=f"{shots}-after.png")


# --------------------------------------------------------------------------- the browser

def launch_chromium(playwright, profile: Path):
    """The machine's Chromium, headless, with a fresh profile in `profile`; a browser context."""
    if not CHROMIUM.is_file():
        raise FileNotFoundError(f"expected Chromium at {CHROMIUM}; install it (Debian: apt-get "
                                "install chromium) or run `make ui-test`, which does")
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
        viewport=VIEWPORT)


@dataclass
class WidgetDriver:
    """A JupyterLab server and a browser on it, ready to check notebooks in its root."""

    server: LabServer
    context: object  # playwright's BrowserContext
    screenshots: Path | None

    def check(self, notebook: str, presses: int = 2) -> NotebookReport:
        """`check_notebook` on a notebook of the server's root (copy it there first)."""
        return check_notebook(self.context, self.server, notebook, self.screenshots, presses)


@contextmanager
def widget_driver(notebooks: list[Path], workdir: Path,
                  screenshots: Path | None = SCREENSHOTS) -> Iterator[WidgetDriver]:
    """JupyterLab on copies of `notebooks` and Chromium on it; both stopped at the end."""
    from playwright.sync_api import sync_playwright

    with serve_lab(notebooks, workdir) as server, sync_playwright() as playwright:
        context = launch_chromium(playwright, workdir / "chromium")
        try:
            yield WidgetDriver(server, context, screenshots)
        finally:
            context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.browser", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--presses", type=int, default=2, help="actions per control")
    args = parser.parse_args(argv)
    paths = args.notebooks or widget_notebooks()
    problems = 0
    with tempfile.TemporaryDirectory(prefix="mmkit-ui-") as workdir, \
            widget_driver(paths, Path(workdir)) as driver:
        for path in paths:
            report = driver.check(path.name, args.presses)
            print(report.summary(), flush=True)
            problems += len(report.problems())
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
