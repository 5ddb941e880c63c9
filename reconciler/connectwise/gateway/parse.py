"""ConnectWise JSON -> typed records, strictly: a field of the wrong type is an error.

Types follow ConnectWise's OpenAPI document (reference/connectwise-schemas.json): ids are
int32; `identifier`, `name`, `summary`, `externalXRef`, `billCustomer` strings; flags and
numbers nullable; references objects. A field left out (trimmed by `fields=`, or null)
takes its empty value, except `id`, which every record must carry. Anything else raises
`BadField` naming the field and the kind of value found, never the value itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.connectwise.gateway.duplicates import marked_winner
from reconciler.connectwise.records import (
    Addition,
    Agreement,
    CatalogItem,
    Company,
    Ref,
    Ticket,
    day_of,
    instant_of,
)


class BadField(ValueError):
    """A record whose field has the wrong type; `what` names the record ("addition 12")."""

    def __init__(self, what: str, problem: str) -> None:
        self.what, self.problem = what, problem
        super().__init__(f"{what}: {problem}")


def kind_of(value: Any) -> str:
    """The JSON kind of a value, for messages that must not echo it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _dotted(path: str) -> str:
    """`product/identifier` as messages write it: `product.identifier`."""
    return path.replace("/", ".")


class _Fields:
    """Typed access to one record's fields; every failure names the record."""

    def __init__(self, raw: Any, noun: str) -> None:
        if not isinstance(raw, Mapping):
            raise BadField(noun, f"the record is {kind_of(raw)}, expected an object")
        self.raw = raw
        rid = raw.get("id")
        if not _is_whole(rid):
            raise BadField(noun, f"id is {kind_of(rid)}, expected a whole number")
        self.id = rid
        self.what = f"{noun} {rid}"

    def _get(self, path: str) -> Any:
        value: Any = self.raw
        for part in path.split("/"):
            if value is None:
                return None
            if not isinstance(value, Mapping):
                raise BadField(self.what, f"{_dotted(path)} sits in {kind_of(value)}, "
                                          "expected an object")
            value = value.get(part)
        return value

    def _fail(self, path: str, value: Any, expected: str) -> BadField:
        return BadField(self.what, f"{_dotted(path)} is {kind_of(value)}, expected {expected}")

    def _typed(self, path: str, accepts: Callable[[Any], bool], expected: str,
               empty: Any) -> Any:
        """The field if `accepts` it, `empty` when absent or null, else BadField."""
        value = self._get(path)
        if value is None:
            return empty
        if not accepts(value):
            raise self._fail(path, value, expected)
        return value

    def text(self, path: str) -> str:
        return self._typed(path, lambda v: isinstance(v, str), "text", "")

    def optional_text(self, path: str) -> str | None:
        """Text, or None when absent, null or empty."""
        return self.text(path) or None

    def datetime_text(self, path: str) -> str | None:
        """A ConnectWise datetime as written (None when absent), checked to be one."""
        value = self.optional_text(path)
        try:
            day_of(value)
        except ValueError:
            raise BadField(self.what, f"{_dotted(path)} is text that is not a date") from None
        return value

    def instant_text(self, path: str) -> str | None:
        """A ConnectWise date and time as written (None when absent), checked to be one."""
        value = self.optional_text(path)
        try:
            instant_of(value)
        except ValueError:
            raise BadField(self.what, f"{_dotted(path)} is text that is not a date and "
                                      "time") from None
        return value

    def flag(self, path: str) -> bool:
        return self._typed(path, lambda v: isinstance(v, bool), "true or false", False)

    def number(self, path: str) -> float | None:
        return self._typed(path, _is_number, "a number", None)

    def whole(self, path: str) -> int | None:
        return self._typed(path, _is_whole, "a whole number", None)

    def required_whole(self, path: str) -> int:
        value = self.whole(path)
        if value is None:
            raise self._fail(path, value, "a whole number")
        return value


def company(raw: Any) -> Company:
    f = _Fields(raw, "company")
    return Company(f.id, f.text("identifier"), f.text("name"), f.flag("deletedFlag"),
                   f.instant_text("_info/lastUpdated"))


def agreement(raw: Any) -> Agreement:
    f = _Fields(raw, "agreement")
    return Agreement(
        id=f.id,
        name=f.text("name"),
        type_name=f.text("type/name"),
        company_id=f.required_whole("company/id"),
        company_identifier=f.text("company/identifier"),
        company_name=f.text("company/name"),
        status=f.text("agreementStatus"),
        cancelled=f.flag("cancelledFlag"),
        last_updated=f.instant_text("_info/lastUpdated"),
    )


def addition(raw: Any, agreement_id: int) -> Addition:
    """An addition read from (or written to) agreement `agreement_id`'s list."""
    f = _Fields(raw, "addition")
    stated = f.whole("agreementId")
    if stated is not None and stated != agreement_id:
        raise BadField(f.what, f"agreementId is {stated}, but it was read from agreement "
                               f"{agreement_id}")
    return Addition(
        id=f.id,
        agreement_id=agreement_id,
        product=f.text("product/identifier"),
        quantity=f.number("quantity"),
        unit_price=f.number("unitPrice"),
        bill_customer=f.optional_text("billCustomer"),
        effective_date=f.datetime_text("effectiveDate"),
        cancelled_date=f.datetime_text("cancelledDate"),
        last_updated=f.instant_text("_info/lastUpdated"),
    )


def ticket(raw: Any) -> Ticket:
    f = _Fields(raw, "ticket")
    # When a ticket was entered: `_info.dateEntered` as the sandbox writes it; that real
    # sites fill it on list reads is unverified, so the last update stands in when absent.
    entered = f.instant_text("_info/dateEntered") or f.instant_text("_info/lastUpdated")
    summary = f.text("summary")
    # Contract 4: settled by this tool (the summary's mark) or merged by hand in
    # ConnectWise (mergedParentTicket); a mark naming the ticket itself is no settlement.
    winner = marked_winner(summary) or f.whole("mergedParentTicket/id")
    return Ticket(f.id, f.text("externalXRef"), summary, f.text("company/identifier"),
                  f.flag("closedFlag"), f.text("status/name"), entered,
                  board_id=f.whole("board/id"),
                  duplicate_of=winner if winner != f.id else None)


def note_text(raw: Any) -> str:
    return _Fields(raw, "note").text("text")


def ref(raw: Any, noun: str) -> Ref:
    f = _Fields(raw, noun)
    return Ref(f.id, f.text("name"))


def agreement_type(raw: Any) -> Ref:
    f = _Fields(raw, "agreement type")
    return Ref(f.id, f.text("name"), inactive=f.flag("inactiveFlag"))


def catalog_item(raw: Any) -> CatalogItem:
    f = _Fields(raw, "catalog item")
    return CatalogItem(f.id, f.text("identifier"), inactive=f.flag("inactiveFlag"),
                       price=f.number("price"))


def board_status(raw: Any) -> Ref:
    """A board's status with ConnectWise's `closedStatus` and `inactive` flags."""
    f = _Fields(raw, "status")
    return Ref(f.id, f.text("name"), closed=f.flag("closedStatus"),
               inactive=f.flag("inactive"))
