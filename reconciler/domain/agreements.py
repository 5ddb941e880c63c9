"""Agreements: which ConnectWise agreement a product is billed on, and how one is named in
messages.

- explicit `{type, name}`: exactly one active, not cancelled agreement of the company with
  that type and name;
- default: the first type in `default_agreement_types` of which the company has any active
  agreement; exactly one active agreement of that type is required.
Zero or several matches are errors that list the candidates (name, type, status, id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.config.model import AgreementRef
from reconciler.connectwise.records import Agreement
from reconciler.domain.fold import fold


def describe_agreement(agreement: Agreement) -> str:
    """`Managed Service / ACME Endpoint Protection (Active, id 12)` for error messages."""
    status = agreement.status or "?"
    if agreement.cancelled:
        status += ", cancelled"
    return f"{agreement.type_name} / {agreement.name} ({status}, id {agreement.id})"


@dataclass(frozen=True)
class ResolutionError(Exception):
    """No single agreement matches; `candidates` describe what the company has."""

    message: str
    candidates: tuple[str, ...]

    def __str__(self) -> str:
        return self.message


def _candidates(agreements: Sequence[Agreement]) -> tuple[str, ...]:
    ordered = sorted(agreements, key=lambda a: (a.type_name, a.name, a.id))
    return tuple(describe_agreement(a) for a in ordered)


def resolve_agreement(
    ref: AgreementRef, agreements: Sequence[Agreement], default_types: Sequence[str]
) -> Agreement:
    """The one agreement `ref` designates among a company's agreements, or ResolutionError."""
    active = [a for a in agreements if a.active]
    if not ref.is_default:
        matches = [
            a
            for a in active
            if fold(a.type_name) == fold(ref.type) and fold(a.name) == fold(ref.name)
        ]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            # List every agreement with that name or type, active or not: the likely typo.
            near = [
                a
                for a in agreements
                if fold(a.name) == fold(ref.name) or fold(a.type_name) == fold(ref.type)
            ]
            return _fail(f"no active agreement '{ref.type} / {ref.name}'", near or agreements)
        return _fail(f"{len(matches)} active agreements match '{ref.type} / {ref.name}'", matches)

    for wanted in default_types:
        of_type = [a for a in active if fold(a.type_name) == fold(wanted)]
        if len(of_type) == 1:
            return of_type[0]
        if of_type:
            return _fail(
                f"{len(of_type)} active '{wanted}' agreements, so no single default agreement",
                of_type,
            )
    types = ", ".join(f"'{t}'" for t in default_types)
    return _fail(f"no active agreement of a default type ({types})", agreements)


def _fail(message: str, candidates: Sequence[Agreement]) -> Agreement:
    raise ResolutionError(message, _candidates(candidates))


def default_agreement(agreements: Sequence[Agreement], default_types: Sequence[str]
                      ) -> Agreement | None:
    """The company's default agreement, or None when there is no single one."""
    try:
        return resolve_agreement(AgreementRef(), agreements, default_types)
    except ResolutionError:
        return None
