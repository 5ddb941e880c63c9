"""Strict YAML loading: bytes -> plain Python data, keeping the node tree for line:col.

PyYAML's C parser (`CSafeLoader`) composes the node tree; we construct the data ourselves
so that we can refuse what `yaml.safe_load` silently accepts: duplicate keys (the last one
would win), non-string keys, unknown tags, alias bombs ("billion laughs") and recursive
aliases. Every refusal is a `Diagnostic` at the offending node's 1-based line:col.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.config.diagnostics import Diagnostic

MAX_FILE_BYTES = 1 << 20  # a customer file is ~1 KB; refuse anything absurd before parsing
MAX_VALUES = 10_000  # values constructed per file, alias expansions included
MAX_DEPTH = 64  # our files nest 4 deep; this keeps the recursion far from Python's limit

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BINARY = "tag:yaml.org,2002:binary"
_MERGE = "tag:yaml.org,2002:merge"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

# Characters YAML 1.1 does not allow in a stream (the C reader refuses them with a byte
# offset only; we find them first to give line:col and a clear hint).
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_UTF16_32_BOMS = (
    codecs.BOM_UTF32_LE,
    codecs.BOM_UTF32_BE,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
)


class _Loader(yaml.CSafeLoader):
    """CSafeLoader with memoised implicit tag resolution.

    The C composer calls back into Python's regex-based resolver for every scalar and
    into the (unused) path resolvers for every node; fleets repeat the same few hundred
    plain scalars (keys, product and detection names), so a cache pays off.
    """

    _tags: ClassVar[dict[str, str]] = {}

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode and implicit[0]:
            tag = self._tags.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(self._tags) < 50_000:  # bounded: arbitrary input cannot grow it forever
                    self._tags[value] = tag
            return tag
        return super().resolve(kind, value, implicit)

    def descend_resolver(self, current_node, current_index):
        pass  # no path resolvers are registered on the safe loader

    def ascend_resolver(self):
        pass


class _Refused(Exception):
    """Raised while constructing: the node and the message of the refusal."""

    def __init__(self, node: Node, message: str):
        super().__init__(message)
        self.node = node
        self.message = message


@dataclass
class Document:
    """A parsed file: its plain data plus the node tree that locates every value."""

    path: str
    data: Any
    root: Node

    def locate(self, json_path: Sequence[Any]) -> tuple[int, int]:
        """1-based line:col of the value at `json_path` (nearest existing ancestor)."""
        node = self.root
        for step in json_path:
            found = _child(node, step)
            if found is None:
                break
            node = found[1]
        return node.start_mark.line + 1, node.start_mark.column + 1

    def locate_key(self, json_path: Sequence[Any], key: str) -> tuple[int, int]:
        """1-based line:col of `key` inside the mapping at `json_path`."""
        node = self.root
        for step in json_path:
            found = _child(node, step)
            if found is None:
                return node.start_mark.line + 1, node.start_mark.column + 1
            node = found[1]
        found = _child(node, key)
        where = found[0] if found else node
        return where.start_mark.line + 1, where.start_mark.column + 1

    def raw_scalar(self, json_path: Sequence[Any]) -> str | None:
        """The source text of a plain scalar (e.g. `06:00` that YAML read as 360)."""
        node = self.root
        for step in json_path:
            found = _child(node, step)
            if found is None:
                return None
            node = found[1]
        if isinstance(node, ScalarNode) and not node.style:
            return node.value
        return None


def _child(node: Node, step: Any) -> tuple[Node, Node] | None:
    """(key node, value node) for a mapping key, (item, item) for a sequence index."""
    if isinstance(node, SequenceNode) and isinstance(step, int):
        if 0 <= step < len(node.value):
            item = node.value[step]
            return item, item
        return None
    if isinstance(node, MappingNode):
        merged = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.append(value_node)
            elif isinstance(key_node, ScalarNode) and key_node.value == step:
                return key_node, value_node
        for source in merged:  # explicit keys win over merged ones, as in construction
            sources = source.value if isinstance(source, SequenceNode) else [source]
            for each in sources:
                found = _child(each, step)
                if found is not None:
                    return found
    return None


def parse(raw: bytes, path: str) -> tuple[Document | None, list[Diagnostic]]:
    """Parse one file's bytes. Returns the document, or None and the reasons why not."""

    def fail(line: int, col: int, message: str) -> tuple[None, list[Diagnostic]]:
        return None, [Diagnostic(path, line, col, message)]

    if len(raw) > MAX_FILE_BYTES:
        return fail(0, 0, f"file is larger than {MAX_FILE_BYTES // 1024} KiB; refusing to read it")
    if raw.startswith(_UTF16_32_BOMS):
        return fail(1, 1, "file is UTF-16 or UTF-32 encoded; save it as UTF-8")
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_position(raw, exc.start)
        return fail(
            line, col, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        )
    bad = _NON_PRINTABLE.search(text)
    if bad:
        line, col = _char_position(text, bad.start())
        hint = " (is this a binary file?)" if bad.group() == "\x00" else ""
        return fail(line, col, f"character U+{ord(bad.group()):04X} is not allowed in YAML{hint}")

    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_diagnostic(exc, text, path)]
    except yaml.YAMLError as exc:  # reader errors without a mark
        return fail(1, 1, f"cannot read YAML: {exc}")
    finally:
        loader.dispose()

    if root is None:
        return fail(1, 1, "file is empty; expected a mapping of keys to values")
    try:
        data = _Builder().build(root, 0)
    except _Refused as exc:
        mark = exc.node.start_mark
        return fail(mark.line + 1, mark.column + 1, exc.message)
    return Document(path, data, root), []


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, text: str, path: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or "invalid YAML"
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        message = "tab character in indentation; YAML indents with spaces only"
    elif exc.context and exc.context not in problem:
        message = f"invalid YAML: {problem} ({exc.context}"
        if exc.context_mark is not None and mark is not None and exc.context_mark.line != mark.line:
            message += f" at line {exc.context_mark.line + 1}"
        message += ")"
    else:
        message = f"invalid YAML: {problem}"
    if "expected a single document" in (exc.context or "") + problem:
        message = "file holds more than one YAML document (---); keep one per file"
        if exc.problem_mark is not None:
            line, col = exc.problem_mark.line + 1, exc.problem_mark.column + 1
    return Diagnostic(path, line, col, message)


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    prefix = raw[line_start:offset].decode("utf-8", errors="replace")
    return raw.count(b"\n", 0, offset) + 1, len(prefix) + 1


def _char_position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


_SCALARS = SafeConstructor.yaml_constructors


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    return f"a {type(value).__name__} ({value})"


class _Builder:
    """Constructs plain data from nodes, refusing what a strict config must not accept."""

    def __init__(self) -> None:
        self.count = 0
        self.active: set[int] = set()  # nodes being built: an alias back to one is a cycle
        self.constructor = SafeConstructor()

    def build(self, node: Node, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise _Refused(
                node,
                f"more than {MAX_VALUES} values once aliases are expanded; refusing a "
                'possible alias bomb ("billion laughs")',
            )
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if depth > MAX_DEPTH:
            raise _Refused(node, f"nested more than {MAX_DEPTH} levels deep")
        key = id(node)
        if key in self.active:
            raise _Refused(node, "recursive alias: a value that contains itself")
        self.active.add(key)
        try:
            if isinstance(node, SequenceNode):
                if node.tag != _SEQ:
                    raise _Refused(node, f"unsupported tag {_short_tag(node.tag)}")
                # plain strings inline: the common case, and most of a file's values
                self.count += len(node.value)
                return [
                    item.value
                    if type(item) is ScalarNode and item.tag == _STR
                    else self.build(item, depth + 1)
                    for item in node.value
                ]
            if isinstance(node, MappingNode):
                if node.tag != _MAP:
                    raise _Refused(node, f"unsupported tag {_short_tag(node.tag)}")
                return self.mapping(node, depth)
            raise _Refused(node, "unsupported YAML node")
        finally:
            self.active.discard(key)

    def scalar(self, node: ScalarNode) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag in (_INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP, _BINARY):
            try:
                return _SCALARS[tag](self.constructor, node)
            except Exception as exc:  # e.g. `!!int abc`: the constructor's own ValueError
                raise _Refused(node, f"cannot read {node.value!r} as {_short_tag(tag)}") from exc
        raise _Refused(node, f"unsupported tag {_short_tag(tag)}")

    def mapping(self, node: MappingNode, depth: int) -> dict:
        result: dict = {}
        merged: dict = {}
        for key_node, value_node in node.value:
            key_type = type(key_node)
            if key_type is ScalarNode and key_node.tag == _STR:
                key = key_node.value  # the common case, without a call
            elif key_node.tag == _MERGE:
                for k, v in self.merge(value_node, depth).items():
                    merged.setdefault(k, v)
                continue
            elif key_type is not ScalarNode:
                raise _Refused(key_node, "a key must be a plain string, not a list or mapping")
            else:
                key = self.scalar(key_node)
                if not isinstance(key, str):
                    raise _Refused(
                        key_node,
                        f"key {key_node.value!r} is read by YAML as {_describe(key)}, not a "
                        "string; put it in quotes",
                    )
            if key in result:
                raise _Refused(
                    key_node, f"duplicate key {key!r} (first at line {_line_of(node, key)})"
                )
            if type(value_node) is ScalarNode and value_node.tag == _STR:
                self.count += 1
                result[key] = value_node.value
            else:
                result[key] = self.build(value_node, depth + 1)
        for k, v in merged.items():
            result.setdefault(k, v)
        return result

    def merge(self, node: Node, depth: int) -> dict:
        """The `<<: *anchor` merge key: one mapping or a list of them."""
        sources = node.value if isinstance(node, SequenceNode) else [node]
        combined: dict = {}
        for source in sources:
            if not isinstance(source, MappingNode):
                raise _Refused(source, "a merge key (<<) takes a mapping or a list of mappings")
            for k, v in self.build(source, depth + 1).items():
                combined.setdefault(k, v)
        return combined


def _line_of(node: MappingNode, key: str) -> int:
    """1-based line of the first `key` in a mapping (only needed to report a duplicate)."""
    for key_node, _value in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node.start_mark.line + 1
    return node.start_mark.line + 1


def _short_tag(tag: str) -> str:
    return "!!" + tag.rsplit(":", 1)[1] if tag.startswith("tag:yaml.org,2002:") else tag
