"""JSON Schema validation of parsed files, with every error placed at the node's line:col.

jsonschema reports JSON paths; we walk the YAML node tree along that path and rewrite
the message so that it names the key or value in the user's words (and never echoes a
credential found in a URL).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from reconciler.config.diagnostics import Diagnostic
from reconciler.config.hints import did_you_mean
from reconciler.config.identifiers import company_identifier_problem, condition_text_problem
from reconciler.config.yamlio import Document
from reconciler.errors import ConfigError

SCHEMA_FILES = {"customer": "customer.schema.json", "settings": "settings.schema.json"}

# Human descriptions of the schema's patterns, keyed by the last key of the path.
_PATTERN_HELP = {
    "send_at": 'a 24-hour time HH:MM, e.g. "06:00"',
    "customer_id": "a Trend Micro customer ID (letters, digits, '-' and '_')",
    "products": "a product key (lowercase letters, digits, '-' or '_')",
    "agreements": "a product key (lowercase letters, digits, '-' or '_')",
    "detections": "a detection name (lowercase letters, digits and '_')",
    "hosted_email_security": "a detection name (lowercase letters, digits and '_')",
    "standard": "a detection name (lowercase letters, digits and '_')",
    "advanced": "a detection name (lowercase letters, digits and '_')",
    "quantity_exceptions": "a customer slug (a customer file name without .yaml)",
    "api_version": 'a ConnectWise release such as "2025.1"',
}
_TYPE_WORDS = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "object": "a mapping (key: value)",
    "array": "a list",
    "boolean": "true or false",
    "null": "nothing",
}
_URL_CREDENTIALS = re.compile(r"(?i)([a-z][a-z0-9+.-]*://)[^/@\s]*@")


@cache
def schema(kind: str) -> dict:
    """The parsed JSON Schema of `kind` ("customer" or "settings")."""
    # The top-level schemas/ folder ships as the package `reconciler.schemas` (pyproject.toml),
    # so an editable checkout and an installed wheel read the same files.
    path = resources.files("reconciler.schemas") / SCHEMA_FILES[kind]
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the JSON Schema: {exc}") from exc


@cache
def validator(kind: str) -> Draft202012Validator:
    """A compiled validator, built once per process and reused for every file."""
    return Draft202012Validator(schema(kind))


@cache
def fast_check(kind: str) -> Callable[[Any], bool]:
    """A yes/no pre-check (jsonschema-rs, compiled Rust) that spares the common, valid
    file from building jsonschema's error objects. Only its "yes" is trusted: a "no"
    (or data that is not JSON, such as a YAML date or an integer key) goes to jsonschema,
    which stays the authority and locates every message."""
    is_valid = jsonschema_rs.validator_for(schema(kind)).is_valid

    def check(data: Any) -> bool:
        try:
            return is_valid(data)
        except (ValueError, TypeError, OverflowError):  # not JSON: let jsonschema say why
            return False

    return check


def check(kind: str, doc: Document) -> list[Diagnostic]:
    """Every schema error of `doc`, located; an empty list when it is valid."""
    if fast_check(kind)(doc.data):  # the common case: no error objects built at all
        return []
    v = validator(kind)
    found: list[Diagnostic] = []
    for error in v.iter_errors(doc.data):
        found.extend(_diagnostics(error, doc))
    return sorted(set(found))


def _diagnostics(error: ValidationError, doc: Document) -> Iterator[Diagnostic]:
    path = list(error.absolute_path)
    kind = error.validator
    instance = error.instance
    schema_path = list(error.absolute_schema_path)

    def at(message: str, where: tuple[int, int] | None = None) -> Diagnostic:
        line, col = where or doc.locate(path)
        return Diagnostic(doc.path, line, col, message)

    if "propertyNames" in schema_path and isinstance(instance, str):
        # the error is about a key: point at the key itself
        help_text = _PATTERN_HELP.get(str(path[-1]) if path else "", "a valid key")
        yield at(f"key {_show(instance)} is not {help_text}", doc.locate_key(path, instance))
        return
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = list(error.schema.get("properties", {}))
        for key in instance:
            if key in allowed:
                continue
            where = f" in {_dotted(path)}" if path else ""
            yield at(
                f"unknown key {_show(key)}{where}{_suggest(key, allowed, show_all=True)}",
                doc.locate_key(path, key),
            )
        return
    if kind == "required" and isinstance(instance, dict):
        for key in error.validator_value:
            if key not in instance:
                where = f" in {_dotted(path)}" if path else ""
                yield at(f"missing required key {_show(key)}{where}")
        return
    if kind == "uniqueItems" and isinstance(instance, list):
        yield from _duplicates(doc, path, instance)
        return
    if kind in ("oneOf", "anyOf"):
        yield from _one_of(error, doc)
        return
    yield at(_message(error, doc, path))


def _message(error: ValidationError, doc: Document, path: list) -> str:
    kind, value, instance = error.validator, error.validator_value, error.instance
    name = _dotted(path) or "the file"
    if kind == "type":
        expected = value if isinstance(value, str) else value[0]
        message = f"{name} must be {_TYPE_WORDS.get(expected, expected)}, not {_describe(instance)}"
        raw = doc.raw_scalar(path)
        if expected == "string" and raw is not None and instance is not None:
            message += f'; put it in quotes: "{raw}"'
        return message
    if kind == "enum":
        choices = ", ".join(_show(c) for c in value)
        shown = _show(instance) if isinstance(instance, str) else _describe(instance)
        return f"{name} is {shown}; expected one of {choices}" + _suggest(
            instance, [c for c in value if isinstance(c, str)]
        )
    if kind == "const":
        return f"{name} must be {_show(value)}"
    if kind == "pattern" and isinstance(instance, str):
        last = str(path[-1]) if path else ""
        if path[-2:] == ["connectwise", "company"]:
            return company_identifier_problem(instance) or f"{name} is not a valid identifier"
        if last in ("type", "name", "board", "status", "priority") or (
            len(path) >= 2 and path[-2] == "default_agreement_types"
        ):
            return condition_text_problem(instance, name) or f"{name} is not valid"
        if last == "catalog_item":
            problem = company_identifier_problem(instance) or ""
            return problem.replace("company identifier", f"{name}") or f"{name} is not valid"
        parent = str(path[-2]) if len(path) >= 2 and isinstance(path[-1], int) else last
        help_text = _PATTERN_HELP.get(parent, "in the expected format")
        return f"{name} is {_show(instance)}, which is not {help_text}"
    if kind == "minimum":
        return f"{name} is {instance}; the minimum is {value}"
    if kind == "maximum":
        return f"{name} is {instance}; the maximum is {value}"
    if kind == "minLength":
        return f"{name} must not be empty" if value == 1 else f"{name} is shorter than {value}"
    if kind == "maxLength":
        return f"{name} is {len(instance)} characters long; the maximum is {value}"
    if kind == "minItems":
        return f"{name} needs at least {value} item{'s' if value != 1 else ''}"
    if kind == "minProperties":
        return f"{name} needs at least {value} entr{'ies' if value != 1 else 'y'}"
    return f"{name}: {_redact(error.message)}"


def _one_of(error: ValidationError, doc: Document) -> Iterator[Diagnostic]:
    """oneOf/anyOf: report the branch that matches the value's shape, not all of them."""
    path = list(error.absolute_path)
    shaped = [
        e
        for e in error.context or ()
        if e.validator not in ("type", "const") or list(e.absolute_path) != path
    ]
    if shaped:
        for sub in shaped:
            yield from _diagnostics(sub, doc)
        return
    choices = [b.get("const") for b in error.validator_value if "const" in b]
    alternatives = " or ".join([_show(c) for c in choices] + ["a mapping"])
    line, col = doc.locate(path)
    suggestion = (
        _suggest(error.instance, [c for c in choices if isinstance(c, str)])
        if isinstance(error.instance, str)
        else ""
    )
    yield Diagnostic(
        doc.path,
        line,
        col,
        f"{_dotted(path)} is {_describe(error.instance)}; expected {alternatives}{suggestion}",
    )


def _duplicates(doc: Document, path: list, items: list) -> Iterator[Diagnostic]:
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        key = json.dumps(item, sort_keys=True, default=str)
        if key in first:
            line, col = doc.locate([*path, index])
            first_line, first_col = doc.locate([*path, first[key]])
            yield Diagnostic(
                doc.path,
                line,
                col,
                f"{_show(item)} appears twice in {_dotted(path)} "
                f"(first at {first_line}:{first_col})",
            )
        else:
            first[key] = index


def _suggest(word: Any, candidates: list[str], show_all: bool = False) -> str:
    if not isinstance(word, str):
        return ""
    hint = did_you_mean(word, candidates, list_all=show_all)
    return hint.replace(" (known: ", " (expected one of ")


def _dotted(path: list) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {_show(value)}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bytes):
        return "binary data"
    return type(value).__name__


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    text = _redact(text)
    return text if len(text) <= 60 else text[:57] + "..."


def _redact(text: str) -> str:
    """Hide the user:password part of any URL before it reaches a message."""
    return _URL_CREDENTIALS.sub(r"\1***@", text)
