"""An in-memory stand-in for ConnectWiseClient, for the hour-by-hour simulated year
(8,760 runs through HTTP would take minutes). It keeps only what sends touch: tickets,
agreements and their additions, boards, statuses, types and priorities, and understands
the condition forms the client builds (`=`, `in`, `like`, `and`, `or`, parentheses).
Ids grow monotonically under a lock, like a database sequence, so two threads racing
behave as two processes would against ConnectWise.
"""

from __future__ import annotations

import bisect
import copy
import functools
import re
import threading
from fnmatch import fnmatchcase

from reconciler.connectwise import NotFound

TOKEN = re.compile(r'\s*(\(|\)|,|"[^"]*"|[A-Za-z_/]+|=|-?\d+)')


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot parse condition at {text[pos:]!r}")
        out.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos] == " ":
            pos += 1
    return out


def _value(token: str):
    return token[1:-1] if token.startswith('"') else int(token)


def _get(record: dict, field: str):
    value = record
    for part in field.split("/"):
        value = (value or {}).get(part) if isinstance(value, dict) else None
    return value


@functools.lru_cache(maxsize=4096)
def _parse(text: str):
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str) -> None:
        self.t = _tokens(text)
        self.i = 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self):
        self.i += 1
        return self.t[self.i - 1]

    def parse(self):
        node = self.expr()
        assert self.peek() is None, self.t[self.i:]
        return node

    def expr(self):
        left = self.term()
        while self.peek() and self.peek().lower() == "or":
            self.take()
            right = self.term()
            left = ("or", left, right)
        return left

    def term(self):
        left = self.atom()
        while self.peek() and self.peek().lower() == "and":
            self.take()
            right = self.atom()
            left = ("and", left, right)
        return left

    def atom(self):
        if self.peek() == "(":
            self.take()
            node = self.expr()
            assert self.take() == ")"
            return node
        field, op = self.take(), self.take().lower()
        if op == "in":
            assert self.take() == "("
            values = [_value(self.take())]
            while self.peek() == ",":
                self.take()
                values.append(_value(self.take()))
            assert self.take() == ")"
            return ("in", field, {v.casefold() if isinstance(v, str) else v for v in values})
        return (op, field, _value(self.take()))


def _match(node, record) -> bool:
    op = node[0]
    if op == "or":
        return _match(node[1], record) or _match(node[2], record)
    if op == "and":
        return _match(node[1], record) and _match(node[2], record)
    value = _get(record, node[1])
    def fold(v):
        return (v.casefold() if isinstance(v, str) else v)
    if op == "in":
        return fold(value) in node[2]
    if op == "=":
        return fold(value) == fold(node[2])
    if op == "like":
        return isinstance(value, str) and fnmatchcase(value.casefold(),
                                                      node[2].casefold().replace("%", "*"))
    raise ValueError(f"unsupported operator {op}")


class FakeConnectWise:
    """Tickets, agreements, additions and routing records in memory."""

    def __init__(self, agreements: list[dict], additions: dict[int, list[dict]]) -> None:
        self.lock = threading.RLock()
        self.next_id = 5000
        self.tickets: dict[int, dict] = {}
        self.by_key: dict[str, dict[int, dict]] = {}  # folded externalXRef -> id -> ticket
        self.sorted_keys: list[str] = []  # every folded key, for prefix (like) lookups
        self.agreements = agreements
        self.additions = additions
        self.boards = [{"id": 2, "name": "Trend Micro Billing"}]
        self.statuses = [{"id": 5, "name": "New"}]
        self.types = [{"id": 3, "name": "Trend Micro"}]
        self.priorities = [{"id": 4, "name": "Priority 4 - Low"}]
        self.request_count = 0
        self.posts = 0
        self.deletes = 0

    # the client interface sends use ----------------------------------------------------
    def _records(self, path: str) -> list[dict]:
        if path == "/service/tickets":
            return list(self.tickets.values())
        if path == "/finance/agreements":
            return self.agreements
        if m := re.fullmatch(r"/finance/agreements/(\d+)/additions", path):
            return self.additions.get(int(m[1]), [])
        return {"/service/boards": self.boards, "/service/priorities": self.priorities,
                "/service/boards/2/statuses": self.statuses,
                "/service/boards/2/types": self.types}[path]

    def list(self, path, *, conditions=None, fields=None, order_by=None, page_size=None):
        with self.lock:
            self.request_count += 1
            node = _parse(conditions) if conditions else None
            records = self._records(path)
            if path == "/service/tickets" and node:
                indexed = self._by_index(node)
                if indexed is not None:  # like a database index: the year stays fast
                    records = indexed
            found = [dict(r) for r in records if node is None or _match(node, r)]
            return sorted(found, key=lambda r: r["id"])

    def _by_index(self, node) -> list[dict] | None:
        """Tickets an OR of externalXRef =/in/like "prefix%" can match, or None."""
        op = node[0]
        if op == "or":
            left, right = self._by_index(node[1]), self._by_index(node[2])
            return None if left is None or right is None else left + right
        if node[1] != "externalXRef":
            return None
        if op in ("=", "in"):
            keys = [node[2]] if op == "=" else node[2]
            return [t for k in keys for t in self.by_key.get(k.casefold(), {}).values()]
        if op == "like" and node[2].endswith("%") and "%" not in node[2][:-1]:
            prefix = node[2][:-1].casefold()
            start = bisect.bisect_left(self.sorted_keys, prefix)
            found = []
            for key in self.sorted_keys[start:]:
                if not key.startswith(prefix):
                    break
                found.extend(self.by_key[key].values())
            return found
        return None

    def map_concurrent(self, fn, items):
        return [fn(item) for item in items]

    def iter_list(self, path, **kwargs):
        kwargs.pop("page_size", None)
        return iter(self.list(path, **kwargs))

    def list_in(self, path, field, values, *, conditions=None, fields=None, order_by=None):
        values = list(dict.fromkeys(values))
        if not values:
            return []
        quoted = ", ".join(f'"{v}"' for v in values)
        condition = f"{field} in ({quoted})"
        if conditions:
            condition = f"({conditions}) and {condition}"
        return self.list(path, conditions=condition, fields=fields)

    def post(self, path, body):
        assert path == "/service/tickets", path
        with self.lock:
            self.request_count += 1
            self.posts += 1
            self.next_id += 1
            ticket = {**copy.deepcopy(body), "id": self.next_id}
            self.tickets[self.next_id] = ticket
            key = ticket["externalXRef"].casefold()
            if key not in self.by_key:
                bisect.insort(self.sorted_keys, key)
            self.by_key.setdefault(key, {})[self.next_id] = ticket
            return copy.deepcopy(ticket)

    def patch(self, path, ops):
        m = re.fullmatch(r"/finance/agreements/(\d+)/additions/(\d+)", path)
        assert m, path
        with self.lock:
            self.request_count += 1
            for addition in self.additions[int(m[1])]:
                if addition["id"] == int(m[2]):
                    for op in ops:
                        addition[op["path"]] = op["value"]
                    return copy.deepcopy(addition)
        raise NotFound(404, "NotFound", "no such addition", (), "PATCH", path)

    def delete(self, path):
        m = re.fullmatch(r"/service/tickets/(\d+)", path)
        assert m, path
        with self.lock:
            self.request_count += 1
            self.deletes += 1
            ticket = self.tickets.pop(int(m[1]), None)
            if ticket is not None:
                self.by_key[ticket["externalXRef"].casefold()].pop(ticket["id"])
            if ticket is None:
                raise NotFound(404, "NotFound", "no such ticket", (), "DELETE", path)
