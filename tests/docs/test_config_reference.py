"""The README's configuration reference is generated from the schemas and must not drift."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.docs import BEGIN, END, main, reference, replace_section, section

PROJECT = Path(__file__).resolve().parents[2]
SCHEMAS = PROJECT / "schemas"
README = PROJECT / "README.md"


def test_readme_reference_matches_the_schemas():
    text = README.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, "README lost its configuration reference markers"
    current = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert current == section(SCHEMAS), (
        "README's configuration reference drifted from schemas/*.json; "
        "run: .venv/bin/python -m reconciler.docs --write README.md"
    )


def leaf_keys(node: dict, defs: dict, prefix: str = "") -> set[str]:
    """Every named property path in a schema (following $ref), for the coverage check."""
    if "$ref" in node:
        node = {**defs[node["$ref"].rsplit("/", 1)[-1]], **node}
    keys = set()
    for key, child in node.get("properties", {}).items():
        keys.add(prefix + key)
        keys |= leaf_keys(child, defs, f"{prefix}{key}.")
    return keys


@pytest.mark.parametrize("name", ["settings.schema.json", "customer.schema.json"])
def test_every_schema_key_is_documented_with_a_description(name):
    schema = json.loads((SCHEMAS / name).read_text())
    text = reference(SCHEMAS)
    for key in leaf_keys(schema, schema.get("$defs", {})):
        line = next((ln for ln in text.splitlines() if ln.startswith(f"| `{key}` |")), None)
        assert line, f"{key} missing from the reference"
        assert not line.rstrip().endswith("|  |"), f"{key} has no description in {name}"


def test_cells_escape_pipes_and_html():
    text = reference(SCHEMAS)
    assert "`day` \\| `week` \\| `month`" in text  # enum pipes do not break the table
    assert "https://&lt;site&gt;" in text  # `<site>` would vanish as an HTML tag


def test_check_and_write(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{BEGIN}\nstale\n{END}\n\nafter\n")
    assert main(["--schemas", str(SCHEMAS), "--check", str(readme)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main(["--schemas", str(SCHEMAS), "--write", str(readme)]) == 0
    assert main(["--schemas", str(SCHEMAS), "--check", str(readme)]) == 0
    assert readme.read_text().endswith(f"{END}\n\nafter\n")


def test_missing_markers_is_a_clear_error():
    with pytest.raises(ValueError, match="no <!-- BEGIN CONFIG REFERENCE -->"):
        replace_section("# no markers\n", "x")
