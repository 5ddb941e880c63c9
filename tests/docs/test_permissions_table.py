"""README's security-role tables are the permissions the code documents and doctor names
(reconciler/connectwise/permissions.py), row for row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.connectwise.permissions import READER, WRITER

README = Path(__file__).resolve().parents[2] / "README.md"


def table(role: str) -> list[tuple[str, ...]]:
    text = README.read_text(encoding="utf-8")
    block = re.search(rf"<!-- role: {role} -->\n(.*?)<!-- /role -->", text, re.S)
    assert block, f"README has no {role} role table"
    rows = [line.strip().strip("|").split("|") for line in block.group(1).splitlines()
            if line.strip().startswith("|")][2:]  # header and rule
    return [tuple(cell.strip() for cell in row) for row in rows]


@pytest.mark.parametrize(("role", "permissions"), [("writer", WRITER), ("reader", READER)])
def test_the_readme_lists_exactly_the_documented_permissions(role, permissions):
    assert table(role) == [(p.module, p.action, p.add, p.edit, p.delete, p.inquire, p.why)
                           for p in permissions]


def test_no_member_may_delete_anything():
    assert {p.delete for p in (*WRITER, *READER)} == {"None"}
    assert all(p.add == p.edit == "None" for p in READER)
