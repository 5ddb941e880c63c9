"""ConnectWise `conditions` for the sandbox: a tokenizer, a recursive-descent parser and
an evaluator over rendered records.

Written independently of `reconciler.connectwise` on purpose: if the client and the
sandbox shared this code, a bug in it would pass every test.

Grammar (keywords in any case; `and` binds tighter than `or`)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | "(" expr ")" | comparison
    comparison := FIELD op value
                | FIELD ["not"] "in" "(" value ("," value)* ")"
                | FIELD ["not"] ("like" | "contains") value
    op         := "=" | "!=" | "<" | "<=" | ">" | ">="
    value      := STRING | NUMBER | "true" | "false" | "null" | "[" DATETIME "]"

Operators, `and`/`or`, parentheses, quoted strings, bare numbers, true/false/null,
`[datetime]` and `a/b` reference paths: [guide] ("conditions" in the developer guide's
query parameters; the christaylorcodes/ConnectWiseManageAPI and [pyconnectwise] clients
send the same grammar). `in (...)`, `not in`, `not like`, `not contains`: [guide].
Strings compare case-insensitively: unverified (SQL Server's default collation, on which
ConnectWise runs); the tool compares text folded on its side too (domain/fold.py) and
writes keys in one canonical form, so either answer is read the same.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


class ConditionError(ValueError):
    """A condition that cannot be parsed or names an unknown field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


KEYWORDS = {"and", "or", "not", "in", "like", "contains", "true", "false", "null"}
COMPARISONS = ("!=", "<=", ">=", "=", "<", ">")


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "string", "number", "datetime", "op", "(", ")", ","
    text: str
    value: Any
    pos: int


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def tokenize(text: str) -> list[Token]:
    """Split a condition string into tokens; raise ConditionError naming the position."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "(),":
            tokens.append(Token(ch, ch, ch, i))
            i += 1
        elif ch in "\"'":
            i = _read_string(text, i, tokens)
        elif ch == "[":
            end = text.find("]", i)
            if end < 0:
                raise ConditionError(f"unterminated datetime starting at position {i}")
            raw = text[i + 1 : end].strip()
            tokens.append(Token("datetime", text[i : end + 1], parse_datetime(raw, i), i))
            i = end + 1
        elif text.startswith(COMPARISONS, i):
            op = next(o for o in COMPARISONS if text.startswith(o, i))
            tokens.append(Token("op", op, op, i))
            i += len(op)
        elif m := _NUMBER.match(text, i):
            raw = m.group()
            tokens.append(Token("number", raw, float(raw) if "." in raw else int(raw), i))
            i = m.end()
        elif m := _WORD.match(text, i):
            tokens.append(Token("word", m.group(), m.group(), i))
            i = m.end()
        else:
            raise ConditionError(f"unexpected character {ch!r} at position {i}")
    return tokens


def _read_string(text: str, start: int, tokens: list[Token]) -> int:
    # How ConnectWise escapes a quote inside a literal is unconfirmed; the sandbox takes a
    # backslash as escaping the next character, which clients should never need.
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == quote:
            tokens.append(Token("string", text[start : i + 1], "".join(out), start))
            return i + 1
        out.append(ch)
        i += 1
    raise ConditionError(f"unterminated string starting at position {start}")


def parse_datetime(raw: str, pos: int = 0) -> datetime:
    """Parse `2026-11-01T00:00:00Z` (or a plain date) into an aware datetime."""
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ConditionError(f"invalid datetime {raw!r} at position {pos}") from None
    if value.tzinfo is None:  # unverified: a datetime without an offset read as UTC
        value = value.replace(tzinfo=UTC)
    return value


# ---------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Compare:
    field: str
    op: str  # = != < <= > >= like contains in (each may be negated by `negate`)
    value: Any  # a literal, or a tuple of literals for `in`
    negate: bool = False
    index: frozenset | None = None  # `in` lists of one type, for set lookups on big lists


@dataclass(frozen=True)
class Not:
    operand: Any


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple


class _Parser:
    def __init__(self, text: str, known: Callable[[str], bool] | None) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.known = known

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok and tok.kind == "word" and tok.text.lower() == word:
            self.i += 1
            return True
        return False

    def expect(self, kind: str, what: str) -> Token:
        tok = self.peek()
        if tok is None or tok.kind != kind:
            raise ConditionError(f"expected {what} {self.where(tok)}")
        self.i += 1
        return tok

    def where(self, tok: Token | None) -> str:
        if tok is None:
            return "at end of conditions"
        return f"at position {tok.pos} but found {tok.text!r}"

    def parse(self):
        if not self.tokens:
            raise ConditionError("conditions are empty")
        node = self.expr()
        tok = self.peek()
        if tok is not None:
            raise ConditionError(f"expected 'and', 'or' or the end {self.where(tok)}")
        return node

    def expr(self):
        operands = [self.and_expr()]
        while self.keyword("or"):
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def and_expr(self):
        operands = [self.unary()]
        while self.keyword("and"):
            operands.append(self.unary())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def unary(self):
        if self.keyword("not"):
            return Not(self.unary())
        tok = self.peek()
        if tok is not None and tok.kind == "(":
            self.i += 1
            node = self.expr()
            self.expect(")", "')'")
            return node
        return self.comparison()

    def comparison(self) -> Compare:
        tok = self.peek()
        if tok is None or tok.kind != "word" or tok.text.lower() in KEYWORDS:
            raise ConditionError(f"expected a field name {self.where(tok)}")
        self.i += 1
        field = tok.text
        if self.known is not None and not self.known(field):
            raise ConditionError(f"unknown field '{field}' at position {tok.pos}", field)
        negate = self.keyword("not")
        for word in ("in", "like", "contains"):
            if self.keyword(word):
                if word == "in":
                    values = self.value_list()
                    return Compare(field, "in", values, negate, _index(values))
                value = self.value()
                if not isinstance(value, str):
                    raise ConditionError(f"'{word}' needs a quoted string after '{field}'")
                return Compare(field, word, value, negate)
        if negate:
            raise ConditionError(f"expected 'in', 'like' or 'contains' {self.where(self.peek())}")
        op = self.expect("op", f"an operator after '{field}'")
        return Compare(field, op.text, self.value())

    def value_list(self) -> tuple:
        self.expect("(", "'(' after 'in'")
        values = [self.value()]
        while (tok := self.peek()) is not None and tok.kind == ",":
            self.i += 1
            values.append(self.value())
        self.expect(")", "')' closing the 'in' list")
        return tuple(values)

    def value(self) -> Any:
        tok = self.peek()
        if tok is None:
            raise ConditionError("expected a value at end of conditions")
        if tok.kind in ("string", "number", "datetime"):
            self.i += 1
            return tok.value
        if tok.kind == "word" and tok.text.lower() in ("true", "false", "null"):
            self.i += 1
            return {"true": True, "false": False, "null": None}[tok.text.lower()]
        raise ConditionError(f"expected a value {self.where(tok)}")


def _index(values: tuple) -> frozenset | None:
    if all(isinstance(v, str) for v in values):
        return frozenset(v.lower() for v in values)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return frozenset(values)
    return None


def parse(text: str, known: Callable[[str], bool] | None = None):
    """Parse conditions into a tree; `known(field)` rejects unknown field names."""
    return _Parser(text, known).parse()


# ---------------------------------------------------------------- evaluation


def lookup(record: Mapping, path: str) -> Any:
    """The value at `a/b/c` in a rendered record (None where any step is missing)."""
    value: Any = record
    for part in path.split("/"):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def evaluate(node, record: Mapping) -> bool:
    """True when the record satisfies the parsed conditions."""
    if isinstance(node, BoolOp):
        if node.op == "and":
            return all(evaluate(o, record) for o in node.operands)
        return any(evaluate(o, record) for o in node.operands)
    if isinstance(node, Not):
        return not evaluate(node.operand, record)
    actual = lookup(record, node.field)
    if node.index is not None and _indexable(actual, node.index):
        key = actual.lower() if isinstance(actual, str) else actual
        return (key in node.index) != node.negate
    result = _compare(actual, node.op, node.value)
    return not result if node.negate else result


def _indexable(actual: Any, index: frozenset) -> bool:
    """Whether a set lookup gives the same answer as comparing one by one."""
    sample = next(iter(index), None)
    if isinstance(actual, str):
        return isinstance(sample, str)
    return (isinstance(actual, (int, float)) and not isinstance(actual, bool)
            and isinstance(sample, (int, float)))


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if op == "in":
        return any(_compare(actual, "=", v) for v in expected)
    if expected is None or actual is None:
        # SQL-style null: only `= null` / `!= null` say anything about a missing value.
        if op == "=":
            return actual is None and expected is None
        if op == "!=":
            return (actual is None) != (expected is None)
        return False
    if op in ("like", "contains"):
        text = _text(actual).lower()
        pattern = expected.lower()
        if op == "contains":
            return pattern in text
        regex = "".join(
            ".*" if c in "*%" else re.escape(c) for c in pattern
        )
        return re.fullmatch(regex, text, re.DOTALL) is not None
    left, right = _coerce(actual, expected)
    try:
        if op == "=":
            return left == right
        if op == "!=":
            return left != right
        if op == "<":
            return left < right
        if op == "<=":
            return left <= right
        if op == ">":
            return left > right
        if op == ">=":
            return left >= right
    except TypeError:
        return False
    raise ConditionError(f"unknown operator {op!r}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _coerce(actual: Any, expected: Any) -> tuple[Any, Any]:
    """Bring a record value and a literal to comparable types."""
    if isinstance(expected, datetime):
        if isinstance(actual, str):
            try:
                return parse_datetime(actual), expected
            except ConditionError:
                return actual, None
        return actual, expected
    if isinstance(expected, bool) or isinstance(actual, bool):
        if isinstance(actual, bool) and isinstance(expected, bool):
            return actual, expected
        return _text(actual).lower(), _text(expected).lower()
    if isinstance(expected, (int, float)):
        if isinstance(actual, (int, float)):
            return actual, expected
        try:
            return float(actual), float(expected)
        except (TypeError, ValueError):
            return _text(actual).lower(), _text(expected).lower()
    if isinstance(expected, str):
        if isinstance(actual, (int, float)):
            try:
                return actual, float(expected)
            except ValueError:
                return _text(actual).lower(), expected.lower()
        if isinstance(actual, str):
            return actual.lower(), expected.lower()
    return actual, expected


# ---------------------------------------------------------------- fast paths
#
# `evaluate` walks the tree per record and builds a regex per `like` per record; a list of
# thousands of tickets against dozens of OR-ed clauses made that the sandbox's hottest
# loop. `compile_tree` turns a tree into one closure with the per-clause work done once.
# Each common shape (`=`/`!=` a string or number, `in (...)`, `like`) has a fast branch
# for the value types where its answer is obviously the general one (a string compared
# with a string, a number with a number); any other value goes to `evaluate`, so the
# answers are identical (tests/sandbox/test_fast_conditions.py checks it on random trees).


def compile_tree(node) -> Callable[[Mapping], bool]:
    """A predicate giving the same answer as `evaluate(node, record)`, faster."""
    if isinstance(node, BoolOp):
        preds = tuple(compile_tree(o) for o in node.operands)
        if node.op == "and":
            return lambda r: all(p(r) for p in preds)
        return lambda r: any(p(r) for p in preds)
    if isinstance(node, Not):
        inner = compile_tree(node.operand)
        return lambda r: not inner(r)
    return _compile_compare(node)


def _getter(path: str) -> Callable[[Mapping], Any]:
    parts = tuple(path.split("/"))
    if len(parts) == 1:
        name = parts[0]
        return lambda r: r.get(name)
    return lambda r: lookup(r, path)


def _compile_compare(node: Compare) -> Callable[[Mapping], bool]:
    get = _getter(node.field)
    general = lambda r: evaluate(node, r)  # noqa: E731
    value, negate = node.value, node.negate
    if node.op in ("=", "!=") and isinstance(value, str):
        low, equal = value.lower(), node.op == "="

        def text_eq(r: Mapping) -> bool:
            actual = get(r)
            if type(actual) is str:
                return (actual.lower() == low) is equal
            return general(r)
        return text_eq
    if node.op in ("=", "!=") and _number(value):
        equal = node.op == "="

        def number_eq(r: Mapping) -> bool:
            actual = get(r)
            if _number(actual):
                return (actual == value) is equal
            return general(r)
        return number_eq
    if node.op == "in" and node.index is not None:
        index, strings = node.index, isinstance(next(iter(node.index)), str)

        def member(r: Mapping) -> bool:
            actual = get(r)
            if strings and type(actual) is str:
                return (actual.lower() in index) != negate
            if not strings and _number(actual):
                return (actual in index) != negate
            return general(r)
        return member
    if node.op == "like":
        match = _like_matcher(value.lower())

        def like(r: Mapping) -> bool:
            actual = get(r)
            if type(actual) is str:
                return match(actual.lower()) != negate
            return general(r)
        return like
    return general


def _number(value: Any) -> bool:
    return type(value) in (int, float)


def _like_matcher(pattern: str) -> Callable[[str], bool]:
    """`like` on lower-cased text: startswith/equality where the pattern allows, else one
    compiled regex (the same one `_compare` builds per record)."""
    body = pattern.rstrip("*%")
    if not any(c in "*%" for c in body):
        if body == pattern:
            return lambda text: text == pattern
        return lambda text: text.startswith(body)
    regex = re.compile("".join(".*" if c in "*%" else re.escape(c) for c in pattern), re.DOTALL)
    return lambda text: regex.fullmatch(text) is not None


def like_prefix(pattern: str) -> str:
    """The literal start of a `like` pattern (before its first wildcard), lower-cased."""
    cut = min((i for i in (pattern.find("*"), pattern.find("%")) if i >= 0), default=len(pattern))
    return pattern[:cut].lower()


def fields_of(node) -> list[str]:
    """Every field a tree names, in the order they appear in the text."""
    if isinstance(node, BoolOp):
        return [f for o in node.operands for f in fields_of(o)]
    if isinstance(node, Not):
        return fields_of(node.operand)
    return [node.field]


@functools.lru_cache(maxsize=2048)
def _parse_any(text: str):
    return _Parser(text, None).parse()


def parse_cached(text: str, known: Callable[[str], bool] | None = None):
    """`parse`, with trees of texts seen before reused (runs repeat the same conditions).

    Errors are those of `parse`: any doubt (a syntax error, an unknown field) re-parses
    with `known`, so the message and position are the ones a fresh parse gives."""
    try:
        tree = _parse_any(text)
    except ConditionError:
        return parse(text, known)
    if known is not None and not all(known(f) for f in fields_of(tree)):
        return parse(text, known)
    return tree
