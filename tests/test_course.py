"""The course map matches the notebooks on disk and the README."""

import re

import pytest

from mmkit.course import LESSONS, course_table, lesson_for
from mmkit.paths import REPO_ROOT, notebooks_dir


def test_lessons_are_numbered_in_order_from_zero():
    assert [lesson.number for lesson in LESSONS] == list(range(len(LESSONS)))
    assert len({lesson.slug for lesson in LESSONS}) == len(LESSONS)


def test_every_notebook_on_disk_is_on_the_map():
    for path in notebooks_dir().glob("*.ipynb"):
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), path.name
        lesson_for(path.name)


def test_an_unknown_notebook_names_the_known_ones():
    with pytest.raises(ValueError, match=r"notebook must be one of .00_welcome\.ipynb"):
        lesson_for("99_magic.ipynb")


def test_table_marks_ready_and_coming_lessons(tmp_path):
    (tmp_path / "00_welcome.ipynb").write_text("{}")
    rows = course_table(tmp_path).splitlines()
    assert len(rows) == 2 + len(LESSONS)
    assert rows[2].startswith("| 00 | Welcome |") and rows[2].endswith("| ready |")
    assert rows[3].endswith("| coming |")


def test_readme_shows_the_course_map():
    readme = (REPO_ROOT / "README.md").read_text()
    assert course_table(with_status=False) in readme
