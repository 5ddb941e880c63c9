"""Every example fleet file names its schema for editors, and the README says how."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^# yaml-language-server: \$schema=(?P<path>\S+)$")
FILES = [PROJECT / "reconciler.yaml", *sorted((PROJECT / "customers").glob("*.yaml"))]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(PROJECT).as_posix())
def test_first_line_points_to_the_right_schema(path: Path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = LINE.match(first)
    assert match, f"{path.name}: first line must be '# yaml-language-server: $schema=...'"
    target = (path.parent / match["path"]).resolve()
    expected = "settings.schema.json" if path.name == "reconciler.yaml" else "customer.schema.json"
    assert target == PROJECT / "schemas" / expected and target.is_file()


def test_readme_documents_the_association():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    assert "# yaml-language-server: $schema=../schemas/customer.schema.json" in readme
    assert "# yaml-language-server: $schema=schemas/settings.schema.json" in readme
