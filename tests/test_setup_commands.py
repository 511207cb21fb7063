"""The two commands: pins that agree everywhere, the Python check, the install stamp, the lab."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from mmkit.paths import REPO_ROOT, notebooks_dir
from tools.lab import lab_command

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
MAKEFILE = (REPO_ROOT / "Makefile").read_text()


def make_variable(name: str) -> str:
    return re.search(rf"^{name} :?= (.+)$", MAKEFILE, re.MULTILINE).group(1).strip()


def pinned(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for line in requirements:
        requirement = Requirement(line)
        specs = list(requirement.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{line!r} is not pinned with =="
        pins[metadata_name(requirement.name)] = specs[0].version
    return pins


def metadata_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def constraints() -> dict[str, str]:
    lines = (REPO_ROOT / "constraints.txt").read_text().splitlines()
    return {metadata_name(name): version for name, version in
            (line.split("==") for line in lines if line and not line.startswith("#"))}


def test_every_direct_dependency_is_pinned_and_the_lock_agrees():
    project = PYPROJECT["project"]
    pins = pinned(project["dependencies"] + project["optional-dependencies"]["dev"])
    locked = constraints()
    disagree = {name: (version, locked.get(name)) for name, version in pins.items()
                if locked.get(name) != version}
    assert not disagree, f"pyproject.toml pins vs constraints.txt: {disagree}"
    assert pins["torch"] == "2.13.0"  # the CPU build on disk; newer pulls several GB of CUDA


def test_this_environment_is_the_locked_one():
    wrong = {}
    for name, version in constraints().items():
        try:
            installed = metadata.version(name).split("+")[0]
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            wrong[name] = (version, installed)
    assert not wrong, f"locked vs installed: {wrong}; run make (it reinstalls)"


def test_conda_route_matches_the_makefile():
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    python = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python=")]
    assert python == [f"python={make_variable('PYTHON_NEEDED')}"]
    assert PYPROJECT["project"]["requires-python"] == f"=={make_variable('PYTHON_NEEDED')}.*"
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert " ".join(pip) == make_variable("INSTALL_ARGS")


def test_ci_runs_make_test_and_nothing_else():
    lines = [line for line in (REPO_ROOT / ".ci" / "run").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines == ["set -euo pipefail", 'cd "$(dirname "$0")/.."', "exec make test"]


# ---- set-up: the Python check and the install stamp ------------------------------

def make(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def fake_python(tmp_path: Path, version: str) -> Path:
    path = tmp_path / f"python{version}"
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("goal", ["test", "lab"])
def test_wrong_python_is_named_before_any_install(tmp_path, goal):
    venv = tmp_path / "venv"
    result = make(goal, f"PYTHON={fake_python(tmp_path, '3.12')}", f"VENV={venv}")
    assert result.returncode != 0
    assert "mmkit needs Python 3.11, but" in result.stdout
    assert "is Python 3.12" in result.stdout
    assert "pip" not in result.stdout + result.stderr
    assert not venv.exists()


def test_missing_python_is_named(tmp_path):
    result = make("test", "PYTHON=python3.11-not-installed", f"VENV={tmp_path / 'venv'}")
    assert result.returncode != 0
    assert "'python3.11-not-installed' was not found" in result.stdout


def copy_project_files(folder: Path) -> Path:
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy(REPO_ROOT / name, folder / name)
    return folder


def planned_install(folder: Path, venv: Path) -> tuple[bool, str]:
    """Whether `make install` would run pip, and the stamp it would write (from a dry run)."""
    result = make("-n", "install", f"VENV={venv}", f"PYTHON={sys.executable}", cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    stamp = re.search(r"touch (\S+)", result.stdout).group(1) if "touch" in result.stdout else ""
    return "pip install" in result.stdout, stamp


def test_install_is_skipped_until_a_dependency_file_changes(tmp_path):
    folder = copy_project_files(tmp_path)
    venv = tmp_path / "venv"
    would_install, stamp = planned_install(folder, venv)
    assert would_install and stamp.startswith(f"{venv}/.installed-")
    venv.mkdir()
    Path(stamp).touch()
    assert planned_install(folder, venv) == (False, "")
    (folder / "pyproject.toml").write_text((folder / "pyproject.toml").read_text() + "\n# x\n")
    would_install, new_stamp = planned_install(folder, venv)
    assert would_install and new_stamp != stamp


def test_this_checkout_is_installed():
    # The run that executes this test went through `make`, so nothing is left to install.
    if not (REPO_ROOT / ".venv" / "bin" / "python").samefile(sys.executable):
        pytest.skip("not running from the Makefile's .venv")
    assert planned_install(REPO_ROOT, REPO_ROOT / ".venv") == (False, "")


# ---- make lab: JupyterLab serves the notebooks ---------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def test_jupyterlab_starts_and_lists_the_notebooks(tmp_path):
    root = tmp_path / "notebooks"
    shutil.copytree(notebooks_dir(), root)  # a copy: nothing gets saved over the originals
    port, token = free_port(), "mmkit-test-token"
    command = lab_command(root, port, token, open_browser=False)
    log = (tmp_path / "lab.log").open("w")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status = get_json(f"{base}/api/status?token={token}")
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "lab.log").read_text()
                assert time.monotonic() < deadline, "JupyterLab did not answer in 90 s"
                time.sleep(0.5)
        assert "started" in status
        listing = get_json(f"{base}/api/contents?token={token}")
        names = {item["name"] for item in listing["content"]}
        assert {p.name for p in notebooks_dir().glob("*.ipynb")} <= names
        with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=10) as page:
            assert page.status == 200 and b"JupyterLab" in page.read()
        with pytest.raises(urllib.error.HTTPError) as refused:
            get_json(f"{base}/api/contents?token=wrong")
        assert refused.value.code == 403
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
