"""Which customers a plan targets: `--customer GLOB` and `--changed-since REF`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from reconciler.config.model import Customer, Fleet, RejectedCustomer
from reconciler.errors import ReconcilerError


class SelectionError(ReconcilerError):
    """A selection that matches nothing it should (a typo in --customer)."""


@dataclass(frozen=True)
class Selection:
    """The customers picked: enabled ones are planned, disabled ones only warn."""

    enabled: tuple[Customer, ...]
    disabled: tuple[Customer, ...]
    whole_fleet: bool  # no filter given: the full-fleet checks (unmanaged scan) make sense
    # Picked customer files that did not load (Fleet.rejected): errors, nothing planned.
    rejected: tuple[RejectedCustomer, ...] = ()


def matches(customer: Customer | RejectedCustomer, pattern: str) -> bool:
    """A GLOB matches the slug (as written) or the company identifier (any case)."""
    return fnmatchcase(customer.slug, pattern) or fnmatchcase(
        (customer.company or "").casefold(), pattern.casefold()
    )


def select(
    fleet: Fleet,
    patterns: Sequence[str] = (),
    changed_paths: Collection[str] | None = None,
) -> Selection:
    """Customers matching every filter given; a change to reconciler.yaml selects all."""
    picked = list(fleet.customers)
    rejected = list(fleet.rejected)
    if patterns:
        unmatched = [p for p in patterns
                     if not any(matches(c, p) for c in [*picked, *rejected])]
        if unmatched:
            raise SelectionError(
                "no customer matches --customer "
                + ", ".join(repr(p) for p in unmatched)
                + " (patterns match a file's slug or its company identifier)"
            )
        picked = [c for c in picked if any(matches(c, p) for p in patterns)]
        rejected = [r for r in rejected if any(matches(r, p) for p in patterns)]
    if changed_paths is not None and fleet.settings.path not in changed_paths:
        picked = [c for c in picked if c.path in changed_paths]
        rejected = [r for r in rejected if r.path in changed_paths]
    return Selection(
        enabled=tuple(c for c in picked if c.enabled),
        disabled=tuple(c for c in picked if not c.enabled),
        whole_fleet=not patterns and changed_paths is None,
        rejected=tuple(rejected),
    )


def by_slugs(fleet: Fleet, slugs: Sequence[str]) -> Selection:
    """The customers a saved plan was made for (a missing file is a clear error)."""
    known = {c.slug: c for c in fleet.customers}
    rejected = {r.slug: r for r in fleet.rejected}
    missing = [s for s in slugs if s not in known and s not in rejected]
    if missing:
        raise SelectionError(
            "the plan is stale: customer files no longer exist: " + ", ".join(missing)
        )
    chosen = [known[s] for s in slugs if s in known]
    return Selection(
        enabled=tuple(c for c in chosen if c.enabled),
        disabled=tuple(c for c in chosen if not c.enabled),
        whole_fleet=False,
        rejected=tuple(rejected[s] for s in slugs if s in rejected),
    )
