"""The learner's workspace: copies made once and never overwritten, restore, broken files."""

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import tools.lab
from mmkit.paths import REPO_ROOT, notebooks_dir
from tools.notebooks import course_notebooks
from tools.workspace import BACKUPS, README, main, restore, set_up


def exercise_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("solution"))


def course_list(workspace: Path) -> list[str]:
    return sorted(path.name for path in workspace.glob("[0-9][0-9]_*.ipynb"))


def answer(path: Path, code: str = "    return 42  # my answer") -> None:
    """Write a learner's answer into the first exercise of the workspace copy `path`."""
    nb = nbformat.read(path, as_version=4)
    cell = exercise_cell(nb)
    cell.source = cell.source.replace("    raise NotImplementedError()", code)
    nbformat.write(nb, path)


def tiny_course(folder: Path, *names: str) -> list[Path]:
    """Solved notebooks with one exercise each, as course notebooks `names`."""
    folder.mkdir(exist_ok=True)
    paths = []
    for name in names:
        nb = new_notebook(cells=[
            new_code_cell("from mmkit import nb_setup\nnb_setup()"),
            new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
            new_code_cell("check_f(f)")])
        nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3",
                                  "language": "python"}
        nbformat.write(nb, folder / name)
        paths.append(folder / name)
    return paths


def test_the_learners_edit_survives_a_second_set_up(tmp_path):
    workspace = tmp_path / "workspace"
    added = set_up(workspace)
    assert course_list(workspace) == [path.name for path in course_notebooks()]
    assert len(added) == len(course_notebooks())
    copy = workspace / course_notebooks()[1].name
    answer(copy)
    before = copy.read_bytes()

    assert set_up(workspace) == []  # nothing to add, nothing broken
    assert copy.read_bytes() == before
    assert "return 42  # my answer" in exercise_cell(nbformat.read(copy, as_version=4)).source


def test_a_copy_says_whose_it_is_and_where_the_solved_one_is(tmp_path):
    workspace = tmp_path / "workspace"
    source = course_notebooks()[1]
    set_up(workspace, [source])
    first = nbformat.read(workspace / source.name, as_version=4).cells[0]
    assert first.cell_type == "markdown" and "**Your copy**" in first.source
    assert f"`notebooks/{source.name}`" in first.source and "make lab SOLVED=1" in first.source
    assert (workspace / "README.md").read_text() == README


def test_a_new_course_notebook_is_added_and_the_others_left_alone(tmp_path):
    first, second = tiny_course(tmp_path / "course", "01_one.ipynb", "02_two.ipynb")
    workspace = tmp_path / "workspace"
    set_up(workspace, [first])
    answer(workspace / first.name, "    return 2")
    before = (workspace / first.name).read_bytes()

    messages = set_up(workspace, [first, second])
    assert messages == [f"added your copy {workspace / second.name}"]
    assert course_list(workspace) == ["01_one.ipynb", "02_two.ipynb"]
    assert (workspace / first.name).read_bytes() == before


def test_restore_makes_a_fresh_copy_and_keeps_the_old_one_dated(tmp_path):
    sources = tiny_course(tmp_path / "course", "01_one.ipynb", "02_two.ipynb")
    workspace = tmp_path / "workspace"
    set_up(workspace, sources)
    answer(workspace / "01_one.ipynb", "    return 2")
    mine = (workspace / "01_one.ipynb").read_bytes()

    fresh, backup = restore("01", workspace, sources, now=datetime(2026, 3, 4, 5, 6, 7))
    assert fresh == workspace / "01_one.ipynb"
    assert backup == workspace / BACKUPS / "01_one-2026-03-04-050607.ipynb"
    assert backup.read_bytes() == mine
    assert "raise NotImplementedError()" in exercise_cell(nbformat.read(fresh, as_version=4)).source
    assert course_list(workspace) == ["01_one.ipynb", "02_two.ipynb"]  # the backup is not one

    _, again = restore("01_one", workspace, sources, now=datetime(2026, 3, 4, 5, 6, 7))
    assert again != backup and backup.read_bytes() == mine  # the first backup is kept


def test_restore_names_the_notebooks_it_knows(tmp_path):
    sources = tiny_course(tmp_path / "course", "01_one.ipynb", "02_two.ipynb")
    with pytest.raises(ValueError, match="no course notebook '7'; expected one of: 01, 02"):
        restore("7", tmp_path / "workspace", sources)


def test_restore_from_the_command_line(tmp_path, capsys):
    workspace = tmp_path / "workspace"
    assert main(["restore", course_notebooks()[0].name.split("_")[0],
                 "--workspace", str(workspace)]) == 0
    assert (workspace / course_notebooks()[0].name).exists()
    assert main(["restore", "--workspace", str(workspace)]) == 2
    assert "make restore NOTEBOOK=01" in capsys.readouterr().out


def test_a_broken_copy_is_left_untouched_and_named(tmp_path):
    sources = tiny_course(tmp_path / "course", "01_one.ipynb")
    workspace = tmp_path / "workspace"
    set_up(workspace, sources)
    broken = workspace / "01_one.ipynb"
    broken.write_text('{"cells": [ {"cell_type": "code", "source": "my work')

    (message,) = set_up(workspace, sources)
    assert message.startswith(f"{broken} is not a readable notebook (NotJSONError")
    assert "make restore NOTEBOOK=01" in message
    assert broken.read_text() == '{"cells": [ {"cell_type": "code", "source": "my work'


@pytest.fixture
def started(monkeypatch) -> list[list[str]]:
    """JupyterLab's start, recorded instead of done."""
    commands = Started()

    def execve(path, command, environ):
        commands.append(command)
        commands.environments.append(environ)

    monkeypatch.setattr(tools.lab.os, "execve", execve)
    return commands


class Started(list):
    """The command lines JupyterLab was started with; `.environments` their environments."""

    def __init__(self):
        super().__init__()
        self.environments: list[dict[str, str]] = []


def test_make_lab_with_a_broken_copy_names_it_and_still_starts(tmp_path, started, capsys):
    workspace = tmp_path / "workspace"
    set_up(workspace)
    broken = workspace / course_notebooks()[-1].name
    broken.write_text("not a notebook")

    tools.lab.main(["--workspace", str(workspace), "--no-browser"])
    out = capsys.readouterr().out
    assert f"{broken} is not a readable notebook" in out
    (command,) = started
    assert f"--ServerApp.root_dir={workspace}" in command
    assert broken.read_text() == "not a notebook"


def test_make_lab_solved_opens_the_solved_notebooks(tmp_path, started):
    tools.lab.main(["--solved", "--workspace", str(tmp_path / "workspace")])
    (command,) = started
    assert f"--ServerApp.root_dir={notebooks_dir()}" in command
    assert not (tmp_path / "workspace").exists()
    (environ,) = started.environments  # the teachers' lab keeps nbgrader's menus
    assert str(tools.lab.LEARNER_CONFIG) not in environ.get("JUPYTER_CONFIG_PATH", "")


def test_the_learners_lab_switches_nbgrader_off(tmp_path, started, monkeypatch):
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", "/elsewhere")
    tools.lab.main(["--workspace", str(tmp_path / "workspace"), "--no-browser"])
    (environ,) = started.environments
    assert environ["JUPYTER_CONFIG_PATH"] == os.pathsep.join(
        [str(tools.lab.LEARNER_CONFIG), "/elsewhere"])


def test_the_learner_config_names_every_nbgrader_extension_installed():
    """Against nbgrader's own installed configuration, so a renamed extension is noticed."""
    prefix = Path(sys.prefix)
    installed = json.loads((prefix / "etc/jupyter/jupyter_server_config.d/nbgrader.json")
                           .read_text())["ServerApp"]["jpserver_extensions"]
    ours = json.loads((tools.lab.LEARNER_CONFIG / "jupyter_server_config.json").read_text())
    assert ours["ServerApp"]["jpserver_extensions"] == dict.fromkeys(installed, False)
    lab_extension = json.loads((prefix / "share/jupyter/labextensions/@jupyter/nbgrader"
                                "/package.json").read_text())["name"]
    page = json.loads((tools.lab.LEARNER_CONFIG / "labconfig/page_config.json").read_text())
    assert page["disabledExtensions"] == {lab_extension: True}


def make_dry_run(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    result = subprocess.run(["make", "--no-print-directory", "-n", *args], cwd=REPO_ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_targets_pass_the_choice_on():
    assert "-m tools.lab --solved" in make_dry_run("lab", "SOLVED=1")
    assert "-m tools.lab" in make_dry_run("lab") and "--solved" not in make_dry_run("lab")
    assert "-m tools.workspace restore 01" in make_dry_run("restore", "NOTEBOOK=01")


def test_the_workspace_is_ignored_by_git():
    result = subprocess.run(["git", "check-ignore", "-q", "workspace/01_x.ipynb"],
                            cwd=REPO_ROOT, timeout=30)
    assert result.returncode == 0
