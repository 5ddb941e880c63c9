"""A compiled yes/no JSON Schema check for the keywords our schemas use.

jsonschema spends ~1-2 ms per customer file walking the schema (descend, $ref lookups);
a fleet of 5,000 files is mostly valid, so we compile the schema once into Python source
(one small function per sub-schema, keywords inlined) that only answers "valid?" in a
few microseconds. jsonschema stays the authority: a file the fast check calls invalid is
re-checked by jsonschema for the located messages. The fast check must never call valid
what jsonschema calls invalid; tests compare the two on mutated documents, and a keyword
this compiler does not know makes `compile_schema` refuse (callers then use jsonschema
alone) rather than silently ignore it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = {"$schema", "$id", "title", "description", "$defs", "$comment", "examples"}
_HANDLED_ELSEWHERE = {"then", "else", "patternProperties"}  # read by `if` / refused below


class Unsupported(Exception):
    """The schema uses a keyword this compiler does not implement."""


def _is_integer(x: Any) -> bool:
    return (isinstance(x, int) and not isinstance(x, bool)) or (
        isinstance(x, float) and x.is_integer()
    )


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


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
    if all(type(x) is str for x in items):
        return len(set(items)) == len(items)
    return not any(_equal(items[i], items[j]) for i in range(len(items)) for j in range(i))


# Type tests as expressions of `x`; "integer" and "number" exclude booleans, as in JSON.
_TYPE_TESTS = {
    "string": "isinstance(x, str)",
    "object": "isinstance(x, dict)",
    "array": "isinstance(x, list)",
    "boolean": "isinstance(x, bool)",
    "null": "x is None",
    "integer": "_is_integer(x)",
    "number": "_is_number(x)",
}
# The guard under which a keyword applies (JSON Schema ignores it for other types).
_GUARDS = {
    "pattern": "string",
    "minLength": "string",
    "maxLength": "string",
    "minimum": "number",
    "maximum": "number",
    "minItems": "array",
    "uniqueItems": "array",
    "items": "array",
    "required": "object",
    "properties": "object",
    "additionalProperties": "object",
    "propertyNames": "object",
    "minProperties": "object",
}


class _Compiler:
    def __init__(self, root: dict):
        self.root = root
        self.lines: list[str] = []
        self.names: dict[int, str] = {}  # id(sub-schema) -> function name
        self.refs: dict[str, str] = {}
        self.consts: dict[str, Any] = {
            "_is_integer": _is_integer,
            "_is_number": _is_number,
            "_equal": _equal,
            "_unique": _unique,
            "_MISSING": object(),
        }
        self.keep: list[Any] = []  # sub-schemas stay alive so their ids stay unique

    def const(self, value: Any) -> str:
        name = f"_c{len(self.consts)}"
        self.consts[name] = value
        return name

    def ref(self, pointer: str) -> str:
        if pointer not in self.refs:
            if not pointer.startswith("#/"):
                raise Unsupported(f"$ref {pointer}")
            target: Any = self.root
            for part in pointer[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            self.refs[pointer] = self.function(target)
        return self.refs[pointer]

    def function(self, schema: Any) -> str:
        """The name of a function checking `schema` (compiled once per sub-schema)."""
        if schema is True:
            return self.const(lambda x: True)
        if schema is False:
            return self.const(lambda x: False)
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r}")
        if id(schema) in self.names:
            return self.names[id(schema)]
        name = f"_s{len(self.names)}"
        self.names[id(schema)] = name
        self.keep.append(schema)
        body: list[str] = []
        declared = schema.get("type")
        single = declared if isinstance(declared, str) else None
        # `type` first: the keywords after it may then skip their own type guard
        ordered = sorted(schema.items(), key=lambda item: item[0] != "type")
        for keyword, value in ordered:
            if keyword in _ANNOTATIONS or keyword in _HANDLED_ELSEWHERE:
                continue
            if keyword == "properties":  # inlined: one lookup per declared property
                indent = "    "
                if single != "object":
                    body.append("    if isinstance(x, dict):")
                    indent = "        "
                for key, sub in value.items():
                    check = self.function(sub)
                    body.append(f"{indent}v = x.get({key!r}, _MISSING)")
                    body.append(f"{indent}if v is not _MISSING and not {check}(v): return False")
                continue
            test = self.keyword(keyword, value, schema)
            guard = _GUARDS.get(keyword)
            if guard and guard != single and not (guard == "number" and single == "integer"):
                test = f"(not {_TYPE_TESTS[guard]} or {test})"
            body.append(f"    if not {test}: return False")
        self.lines += [f"def {name}(x):", *body, "    return True", ""]
        return name

    def keyword(self, keyword: str, value: Any, schema: dict) -> str:
        if keyword == "$ref":
            return f"{self.ref(value)}(x)"
        if keyword == "type":
            names = [value] if isinstance(value, str) else list(value)
            return "(" + " or ".join(_TYPE_TESTS[n] for n in names) + ")"
        if keyword == "enum":
            if all(isinstance(v, str) for v in value):
                return f"(isinstance(x, str) and x in {self.const(frozenset(value))})"
            return f"any(_equal(x, v) for v in {self.const(list(value))})"
        if keyword == "const":
            if isinstance(value, str):
                return f"(x == {self.const(value)})"
            return f"_equal(x, {self.const(value)})"
        if keyword == "pattern":
            return f"({self.const(re.compile(value).search)}(x) is not None)"
        if keyword == "minLength":
            return f"(len(x) >= {int(value)})"
        if keyword == "maxLength":
            return f"(len(x) <= {int(value)})"
        if keyword == "minimum":
            return f"(x >= {self.const(value)})"
        if keyword == "maximum":
            return f"(x <= {self.const(value)})"
        if keyword == "minItems":
            return f"(len(x) >= {int(value)})"
        if keyword == "minProperties":
            return f"(len(x) >= {int(value)})"
        if keyword == "uniqueItems":
            return "_unique(x)" if value else "True"
        if keyword == "required":
            return f"{self.const(frozenset(value))}.issubset(x)"
        if keyword == "additionalProperties":
            if "patternProperties" in schema:
                raise Unsupported("patternProperties")
            known = self.const(frozenset(schema.get("properties", ())))
            if value is False:
                return f"{known}.issuperset(x)"
            extra = self.function(value)
            return f"all({extra}(v) for k, v in x.items() if k not in {known})"
        if keyword == "propertyNames":
            return f"all({self.function(value)}(k) for k in x)"
        if keyword == "items":
            return f"all({self.function(value)}(v) for v in x)"
        if keyword == "allOf":
            return "(" + " and ".join(f"{self.function(s)}(x)" for s in value) + ")"
        if keyword == "anyOf":
            return "(" + " or ".join(f"{self.function(s)}(x)" for s in value) + ")"
        if keyword == "oneOf":
            return "((" + " + ".join(f"{self.function(s)}(x)" for s in value) + ") == 1)"
        if keyword == "if":
            then = self.function(schema.get("then", True))
            other = self.function(schema.get("else", True))
            return f"({then}(x) if {self.function(value)}(x) else {other}(x))"
        raise Unsupported(keyword)

    def compile(self) -> Check:
        entry = self.function(self.root)
        namespace: dict[str, Any] = {**self.consts, "__name__": __name__}
        source = "\n".join(self.lines)
        exec(compile(source, "<compiled schema>", "exec"), namespace)  # our own generated code
        check = namespace[entry]
        check.source = source  # type: ignore[attr-defined]  # for debugging the compiler
        return check


def compile_schema(root: dict) -> Check:
    """A predicate equivalent to `Draft202012Validator(root).is_valid` for our keywords."""
    return _Compiler(root).compile()
