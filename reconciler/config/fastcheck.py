"""A compiled yes/no JSON Schema check for the keywords our schemas use.

jsonschema spends ~2 ms per customer file walking the schema (descend, $ref lookups);
a fleet of 5,000 files is mostly valid, so we compile the schema once into nested
closures that only answer "valid?" (~20 µs). jsonschema stays the authority: a file the
fast check calls invalid is re-checked by jsonschema for the located messages. The fast
check must never call valid what jsonschema calls invalid; tests compare the two, and a
keyword this compiler does not know makes `compile_schema` refuse (callers then use
jsonschema alone) rather than silently ignore it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = {"$schema", "$id", "title", "description", "$defs", "$comment", "examples"}


class Unsupported(Exception):
    """The schema uses a keyword this compiler does not implement."""


def _is_integer(x: Any) -> bool:
    return (isinstance(x, int) and not isinstance(x, bool)) or (
        isinstance(x, float) and x.is_integer()
    )


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


_TYPES: dict[str, Check] = {
    "string": lambda x: isinstance(x, str),
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "integer": _is_integer,
    "number": _is_number,
}


def _equal(a: Any, b: Any) -> bool:
    """JSON equality as jsonschema sees it: true is not 1, 1 equals 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if _is_number(a) and _is_number(b):
        return a == b
    return a is None and b is None


def _unique(items: list) -> bool:
    if all(isinstance(x, str) for x in items):
        return len(set(items)) == len(items)
    return not any(_equal(items[i], items[j]) for i in range(len(items)) for j in range(i))


def compile_schema(root: dict) -> Check:
    """A predicate equivalent to `Draft202012Validator(root).is_valid` for our keywords."""
    refs: dict[str, Check] = {}

    def ref(pointer: str) -> Check:
        if pointer not in refs:
            if not pointer.startswith("#/"):
                raise Unsupported(f"$ref {pointer}")
            target: Any = root
            for part in pointer[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            refs[pointer] = lambda x: True  # placeholder while compiling (recursion)
            compiled = build(target)
            refs[pointer] = compiled
        return lambda x: refs[pointer](x)

    def build(schema: Any) -> Check:
        if schema is True:
            return lambda x: True
        if schema is False:
            return lambda x: False
        checks: list[Check] = []
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or keyword in ("then", "else"):
                continue
            checks.append(keyword_check(keyword, value, schema))
        if len(checks) == 1:
            return checks[0]
        return lambda x: all(c(x) for c in checks)

    def keyword_check(keyword: str, value: Any, schema: dict) -> Check:
        if keyword == "$ref":
            return ref(value)
        if keyword == "type":
            names = [value] if isinstance(value, str) else list(value)
            tests = [_TYPES[n] for n in names]
            return lambda x: any(t(x) for t in tests)
        if keyword == "enum":
            if all(isinstance(v, str) for v in value):
                allowed = frozenset(value)
                return lambda x: isinstance(x, str) and x in allowed
            return lambda x: any(_equal(x, v) for v in value)
        if keyword == "const":
            return lambda x: _equal(x, value)
        if keyword == "pattern":
            search = re.compile(value).search
            return lambda x: not isinstance(x, str) or search(x) is not None
        if keyword in ("minLength", "maxLength"):
            if keyword == "minLength":
                return lambda x: not isinstance(x, str) or len(x) >= value
            return lambda x: not isinstance(x, str) or len(x) <= value
        if keyword in ("minimum", "maximum"):
            if keyword == "minimum":
                return lambda x: not _is_number(x) or x >= value
            return lambda x: not _is_number(x) or x <= value
        if keyword == "minItems":
            return lambda x: not isinstance(x, list) or len(x) >= value
        if keyword == "minProperties":
            return lambda x: not isinstance(x, dict) or len(x) >= value
        if keyword == "uniqueItems":
            return (lambda x: not isinstance(x, list) or _unique(x)) if value else build(True)
        if keyword == "required":
            keys = tuple(value)
            return lambda x: not isinstance(x, dict) or all(k in x for k in keys)
        if keyword == "properties":
            props = {k: build(v) for k, v in value.items()}

            def properties(x: Any) -> bool:
                if not isinstance(x, dict):
                    return True
                # a plain loop: measurably faster than all() over a generator here
                for k, check in props.items():  # noqa: SIM110
                    if k in x and not check(x[k]):
                        return False
                return True

            return properties
        if keyword == "additionalProperties":
            if "patternProperties" in schema:
                raise Unsupported("patternProperties")
            known = frozenset(schema.get("properties", ()))
            extra = build(value)
            return lambda x: (
                not isinstance(x, dict) or all(extra(v) for k, v in x.items() if k not in known)
            )
        if keyword == "propertyNames":
            names = build(value)
            return lambda x: not isinstance(x, dict) or all(names(k) for k in x)
        if keyword == "items":
            item = build(value)
            return lambda x: not isinstance(x, list) or all(item(v) for v in x)
        if keyword == "allOf":
            parts = [build(s) for s in value]
            return lambda x: all(p(x) for p in parts)
        if keyword == "anyOf":
            parts = [build(s) for s in value]
            return lambda x: any(p(x) for p in parts)
        if keyword == "oneOf":
            parts = [build(s) for s in value]
            return lambda x: sum(1 for p in parts if p(x)) == 1
        if keyword == "if":
            cond = build(value)
            then = build(schema.get("then", True))
            other = build(schema.get("else", True))
            return lambda x: then(x) if cond(x) else other(x)
        raise Unsupported(keyword)

    return build(root)
