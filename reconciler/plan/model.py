"""The Plan: immutable changes, warnings and per-customer errors, plus fingerprints.

A Plan is plain data: renderers print it, `apply` executes it, and `to_json`/`from_json`
round-trip it through the saved plan file (which never holds credentials: only company
identifiers, agreement names and addition ids).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from reconciler.errors import ReconcilerError

FORMAT_VERSION = 1

ChangeKind = Literal["cancel", "create", "update"]
# Plan order (DESIGN.md): cancels, creates, updates; then by customer, product, addition id.
KIND_ORDER: Mapping[str, int] = {"cancel": 0, "create": 1, "update": 2}


class PlanFileInvalid(ReconcilerError):
    """A saved plan file that cannot be read back."""


_REQUIRED = object()


def _typed(data: Mapping[str, Any], name: str, kind: type | tuple[type, ...],
           default: Any = _REQUIRED) -> Any:
    """`data[name]` if it has the type a plan file gives it; otherwise ValueError naming
    the field (a hand-edited file must be refused, not crash the apply half-way)."""
    value = data[name] if default is _REQUIRED else data.get(name, default)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise ValueError(repr(name))
    return value


@dataclass(frozen=True)
class AgreementInfo:
    """The agreement a change happens on, as ConnectWise named it when planned."""

    id: int
    name: str
    type: str

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "type": self.type}

    def __str__(self) -> str:
        return f"{self.type} / {self.name} (#{self.id})"


@dataclass(frozen=True)
class Change:
    """One write to ConnectWise: create, update or cancel a managed addition."""

    kind: ChangeKind
    customer: str  # customer slug
    company: str  # ConnectWise company identifier
    agreement: AgreementInfo
    product: str  # product key, e.g. "wfbss"
    catalog_item: str  # e.g. "TM-WFBSS"
    addition_id: int | None  # None for a create
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    reason: str  # one short sentence: why this change is needed
    # where a written quantity comes from ("billed on ticket #5003 (tmrm:billing:...)")
    quantity_source: str = ""
    # a cancel of a duplicate: the addition it duplicates (it never lowers what is billed,
    # so the cancel threshold does not count it)
    duplicate_of: int | None = None

    def sort_key(self) -> tuple:
        return (
            KIND_ORDER[self.kind],
            self.customer,
            self.product,
            self.agreement.id,
            self.addition_id or 0,
        )

    def to_json(self) -> dict:
        return {
            "action": f"{self.kind}_addition",
            "kind": self.kind,
            "customer": self.customer,
            "company": self.company,
            "agreement": self.agreement.to_json(),
            "product": self.product,
            "catalog_item": self.catalog_item,
            "addition_id": self.addition_id,
            "before": dict(self.before) if self.before is not None else None,
            "after": dict(self.after) if self.after is not None else None,
            "reason": self.reason,
            "quantity_source": self.quantity_source,
            "duplicate_of": self.duplicate_of,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        ag = _typed(data, "agreement", dict)
        kind = _typed(data, "kind", str)
        if kind not in KIND_ORDER:
            raise ValueError("'kind'")
        return cls(
            kind=kind,
            customer=_typed(data, "customer", str),
            company=_typed(data, "company", str),
            agreement=AgreementInfo(_typed(ag, "id", int), _typed(ag, "name", str),
                                    _typed(ag, "type", str)),
            product=_typed(data, "product", str),
            catalog_item=_typed(data, "catalog_item", str),
            addition_id=_typed(data, "addition_id", (int, type(None)), None),
            before=_typed(data, "before", (dict, type(None)), None),
            after=_typed(data, "after", (dict, type(None)), None),
            reason=_typed(data, "reason", str, ""),
            quantity_source=_typed(data, "quantity_source", str, ""),
            duplicate_of=_typed(data, "duplicate_of", (int, type(None)), None),
        )


@dataclass(frozen=True)
class PlanWarning:
    """Something worth a look that changes nothing (name drift, disabled, unmanaged)."""

    code: str  # "name_drift" | "disabled" | "unmanaged_company"
    message: str
    customer: str | None = None
    company: str | None = None

    def sort_key(self) -> tuple:
        return (self.code, self.customer or "", self.company or "", self.message)

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "customer": self.customer,
            "company": self.company,
            "message": self.message,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlanWarning:
        return cls(data["code"], data["message"], data.get("customer"), data.get("company"))


@dataclass(frozen=True)
class CustomerError:
    """A customer that cannot be planned; its changes are left out, others' are not."""

    customer: str
    company: str
    message: str  # one clear sentence naming the customer's ConnectWise object
    candidates: tuple[str, ...] = ()  # e.g. matching agreements or close identifiers

    def sort_key(self) -> tuple:
        return (self.customer, self.message)

    def to_json(self) -> dict:
        return {
            "customer": self.customer,
            "company": self.company,
            "message": self.message,
            "candidates": list(self.candidates),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CustomerError:
        return cls(
            data["customer"], data["company"], data["message"], tuple(data.get("candidates", ()))
        )


@dataclass(frozen=True)
class CustomerStatus:
    """A targeted customer and how planning went for it."""

    slug: str
    company: str
    status: Literal["ok", "error"]
    managed_additions: int = 0  # live managed additions read for it

    def to_json(self) -> dict:
        return {
            "slug": self.slug,
            "company": self.company,
            "status": self.status,
            "managed_additions": self.managed_additions,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CustomerStatus:
        return cls(_typed(data, "slug", str), _typed(data, "company", str), data["status"],
                   _typed(data, "managed_additions", int, 0))


@dataclass(frozen=True)
class Fingerprint:
    """What a plan was computed from: config file bytes and the live objects read."""

    config: str
    live: str

    def to_json(self) -> dict:
        return {"config": self.config, "live": self.live}


class ReviewSection(Protocol):
    """What a pull request changes in policy, shown beside its plan (`plan --changed-since`):
    rendered with the plan, never applied and never saved in the plan file. Its headline
    (the fleet's billing impact) opens every format."""

    def headline(self) -> str | None: ...

    def headline_json(self) -> dict | None: ...

    def text(self) -> str: ...

    def markdown(self, max_chars: int) -> str: ...

    def to_json(self) -> dict: ...


@dataclass(frozen=True)
class Plan:
    """Everything `plan` found; changes are kept in plan order."""

    changes: tuple[Change, ...]
    warnings: tuple[PlanWarning, ...] = ()
    errors: tuple[CustomerError, ...] = ()
    customers: tuple[CustomerStatus, ...] = ()
    fingerprint: Fingerprint = field(default_factory=lambda: Fingerprint("", ""))
    requests: int = 0
    generated_at: str = ""
    policy_review: ReviewSection | None = field(default=None, compare=False)

    @classmethod
    def build(
        cls,
        changes: Iterable[Change],
        warnings: Iterable[PlanWarning] = (),
        errors: Iterable[CustomerError] = (),
        **kwargs: Any,
    ) -> Plan:
        """A Plan with changes, warnings and errors put in their stable order."""
        return cls(
            changes=tuple(sorted(changes, key=Change.sort_key)),
            warnings=tuple(sorted(set(warnings), key=PlanWarning.sort_key)),
            errors=tuple(sorted(errors, key=CustomerError.sort_key)),
            **kwargs,
        )

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def managed_additions(self) -> int:
        return sum(c.managed_additions for c in self.customers)

    def counts(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "cancel": 0}
        for c in self.changes:
            out[c.kind] += 1
        return out

    def changes_by_customer(self) -> dict[str, list[Change]]:
        """Changes grouped by customer slug, customers sorted, plan order kept inside."""
        grouped: dict[str, list[Change]] = {}
        for c in sorted(self.changes, key=lambda c: c.customer):
            grouped.setdefault(c.customer, []).append(c)
        for items in grouped.values():
            items.sort(key=Change.sort_key)
        return grouped

    def to_json(self) -> dict:
        """The plan file's content (the policy review is shown, never saved)."""
        return {
            "format_version": FORMAT_VERSION,
            "generated_at": self.generated_at,
            "fingerprint": self.fingerprint.to_json(),
            "summary": {**self.counts(), "errors": len(self.errors),
                        "warnings": len(self.warnings)},
            "requests": self.requests,
            "customers": [c.to_json() for c in self.customers],
            "changes": [c.to_json() for c in self.changes],
            "warnings": [w.to_json() for w in self.warnings],
            "errors": [e.to_json() for e in self.errors],
        }

    @classmethod
    def from_json(cls, data: Any) -> Plan:
        """Read a saved plan back; a wrong or damaged file is a PlanFileInvalid."""
        if not isinstance(data, dict) or "format_version" not in data:
            raise PlanFileInvalid("not a reconciler plan file (no format_version)")
        if data["format_version"] != FORMAT_VERSION:
            raise PlanFileInvalid(
                f"plan file format_version {data['format_version']!r} is not supported "
                f"(expected {FORMAT_VERSION}); run plan again"
            )
        try:
            fp = data["fingerprint"]
            return cls(
                changes=tuple(Change.from_json(c) for c in data["changes"]),
                warnings=tuple(PlanWarning.from_json(w) for w in data.get("warnings", ())),
                errors=tuple(CustomerError.from_json(e) for e in data.get("errors", ())),
                customers=tuple(CustomerStatus.from_json(c) for c in data["customers"]),
                fingerprint=Fingerprint(fp["config"], fp["live"]),
                requests=int(data.get("requests", 0)),
                generated_at=data.get("generated_at", ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PlanFileInvalid(f"damaged plan file: missing or bad field {exc}") from None


def canonical_hash(data: Any) -> str:
    """sha256 of the canonical JSON of `data` (sorted keys, no whitespace)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
