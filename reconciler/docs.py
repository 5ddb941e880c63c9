"""The configuration reference of the README, generated from the JSON Schemas.

The schemas' `description`s are the one source of truth for what each key means; the
README section between the markers below is generated from them, and a test fails when
the two drift. Regenerate with:

    python -m reconciler.docs --write README.md
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

BEGIN = "<!-- BEGIN CONFIG REFERENCE -->"
END = "<!-- END CONFIG REFERENCE -->"
# How `$ref`-named types read in the reference.
REF_NAMES = {"productKey": "product key", "detection": "detection name"}
SCHEMAS = (
    ("reconciler.yaml", "settings.schema.json"),
    ("customers/<slug>.yaml", "customer.schema.json"),
)


def _resolve(node: dict, schema: dict) -> dict:
    """A node with its local `$ref` merged in (the referring node's keys win)."""
    ref = node.get("$ref")
    if not ref:
        return node
    target = schema
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    merged = {**_resolve(target, schema), **node}
    merged.pop("$ref")
    return merged


def _type(node: dict, schema: dict) -> str:
    """A short human type: `string`, `integer 1..31`, `day | week | month`, `list of ...`."""
    named = node.get("$ref", "").rsplit("/", 1)[-1]
    if named in REF_NAMES:
        return REF_NAMES[named]
    node = _resolve(node, schema)
    if "enum" in node:
        return " | ".join(f"`{v}`" for v in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    if "oneOf" in node:
        return " or ".join(_type(option, schema) for option in node["oneOf"])
    kind = node.get("type", "any")
    if kind == "array":
        items = _type(node.get("items", {}), schema)
        plural = items in ("string", "integer", *REF_NAMES.values())
        return f"list of {items}s" if plural else f"list of {items}"
    if kind == "object":
        return "mapping"
    low, high = node.get("minimum"), node.get("maximum")
    if low is not None or high is not None:
        return f"{kind} {'' if low is None else low}..{'' if high is None else high}"
    return kind


def _rows(node: dict, schema: dict, path: str) -> Iterator[tuple[str, str, bool, str]]:
    """(key path, type, required, description) for every key under `node`, depth first."""
    node = _resolve(node, schema)
    required = set(node.get("required", ()))
    for key, child in node.get("properties", {}).items():
        child = _resolve(child, schema)
        here = f"{path}.{key}" if path else key
        yield here, _type(child, schema), key in required, child.get("description", "")
        yield from _children(child, schema, here)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        extra = _resolve(extra, schema)
        names = _resolve(node.get("propertyNames", {}), schema)
        names_ref = node.get("propertyNames", {}).get("$ref", "")
        placeholder = ("<product>" if names_ref.endswith("/productKey")
                       else "<detection>" if names_ref.endswith("/detection") else "<key>")
        here = f"{path}.{placeholder}" if path else placeholder
        description = extra.get("description", "") or names.get("description", "")
        yield here, _type(extra, schema), False, description
        yield from _children(extra, schema, here)


def _children(node: dict, schema: dict, path: str) -> Iterator[tuple[str, str, bool, str]]:
    yield from _rows(node, schema, path)
    for option in node.get("oneOf", ()):
        yield from _rows(option, schema, path)


def _cell(text: str) -> str:
    """Table-cell safe: pipes escaped, and `<site>` shown (not eaten as an HTML tag)."""
    parts = text.replace("\n", " ").split("`")
    for i in range(0, len(parts), 2):  # outside code spans only
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts).replace("|", "\\|")


def reference(schema_dir: Path) -> str:
    """The generated markdown: one table per file, every key with its description."""
    parts: list[str] = []
    for filename, schema_name in SCHEMAS:
        schema = json.loads((schema_dir / schema_name).read_text(encoding="utf-8"))
        parts.append(f"### `{filename}` (`schemas/{schema_name}`)\n")
        parts.append(f"{_cell(schema.get('description', ''))}\n")
        parts.append("Required keys are required whenever their parent block is present.\n")
        parts.append("| key | type | required | meaning |")
        parts.append("|---|---|---|---|")
        for path, kind, required, description in _rows(schema, schema, ""):
            parts.append(
                f"| `{path}` | {_cell(kind)} | {'yes' if required else ''} | {_cell(description)} |"
            )
        parts.append("")
    return "\n".join(parts)


def section(schema_dir: Path) -> str:
    """The README section between (and including) the markers."""
    note = "<!-- generated by `python -m reconciler.docs --write README.md`; do not edit -->"
    return f"{BEGIN}\n{note}\n\n{reference(schema_dir)}\n{END}"


def replace_section(readme: str, generated: str) -> str:
    """`readme` with its reference section replaced; a clear error without markers."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README has no {BEGIN} ... {END} section")
    return readme[:start] + generated + readme[end + len(END) :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", type=Path, default=Path("schemas"))
    parser.add_argument("--write", type=Path, metavar="README", help="Update this file in place.")
    parser.add_argument("--check", type=Path, metavar="README", help="Exit 1 if it drifted.")
    args = parser.parse_args(argv)
    generated = section(args.schemas)
    target = args.write or args.check
    if target is None:
        print(generated)
        return 0
    current = target.read_text(encoding="utf-8")
    updated = replace_section(current, generated)
    if args.check:
        if updated != current:
            print(
                f"{target}: the configuration reference is out of date; run: "
                f"python -m reconciler.docs --write {target}",
                file=sys.stderr,
            )
            return 1
        return 0
    target.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
