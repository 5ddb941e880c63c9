"""Reading what ConnectWise bills for the customers a change set touches (the billing
impact's facts), in bulk: their agreements (chunked by identifier), the additions of the
active ones (one listing each: ConnectWise lists additions per agreement), the catalog
items' prices (one chunked read), and what each company was last billed (its billing
tickets in one chunked read, a note only where the latest one's digest does not match the
live additions: `plan.quantities`, as plan reads desired quantities). A malformed record
makes its company's impact unknown, never zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from reconciler.config.model import Settings
from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import Company, MalformedRecord
from reconciler.domain.fold import fold
from reconciler.plan.quantities import BilledQuantities, read_quantities
from reconciler.review.impact import LiveBilling


def read_live_billing(gateway: Gateway, companies: Iterable[str], head: Settings,
                      base: Settings | None, today: date) -> dict[str, LiveBilling]:
    """LiveBilling by folded company identifier for `companies`, with the catalog prices
    of every product either configuration defines, and the units each company was last
    billed (by the head configuration's products)."""
    wanted = sorted({fold(c): c for c in companies}.values(), key=fold)
    if not wanted:
        return {}
    settings = [head, *([base] if base else [])]
    items = sorted({p.catalog_item for s in settings for p in s.products.values()}, key=fold)
    agreements = gateway.agreements_of_identifiers(wanted)
    by_company: dict[str, list] = {fold(c): [] for c in wanted}
    for agreement in agreements.records:
        by_company.setdefault(fold(agreement.company_identifier), []).append(agreement)
    active = {a.id: fold(a.company_identifier) for a in agreements.records if a.active}
    additions = gateway.additions(sorted(active))
    on: dict[str, list] = {c: [] for c in by_company}
    for addition in additions.records:
        on.setdefault(active[addition.agreement_id], []).append(addition)
    problems: dict[str, str] = {}
    for company in by_company:
        problem = agreements.problem(company, fold=lambda o: fold(str(o)))
        if problem is not None:
            problems[company] = str(problem)
    for problem in additions.malformed:
        owners = [active[problem.owner]] if problem.owner in active else list(by_company)
        for company in owners:
            problems.setdefault(company, str(problem))
    try:
        prices: dict | None = {fold(i.identifier): i.price
                               for i in gateway.catalog_items(items)}
    except MalformedRecord:
        prices = None  # unread: a new addition's price is then unknown, said so
    billed = _billed(gateway, head, agreements.records, additions.records, today)
    out = {}
    for company in by_company:
        quantities = billed.get(company)
        out[company] = LiveBilling(
            tuple(by_company[company]), tuple(on.get(company, ())), prices,
            billed=quantities.units if quantities else None,
            billed_from=_described(quantities),
            never_billed=quantities is not None and quantities.billing is None,
            problem=problems.get(company))
    return out


def _described(quantities: BilledQuantities | None) -> str:
    if quantities is None:
        return ""
    if quantities.billing is None:
        return "never billed"
    return f"billed on {quantities.billing.describe()}"


def _billed(gateway: Gateway, settings: Settings, agreements, additions, today: date
            ) -> dict[str, BilledQuantities]:
    """What each company was last billed (a company whose billing cannot be read has
    none: its units then come from the live additions, said so)."""
    companies = {a.company_id: Company(a.company_id, a.company_identifier, a.company_name)
                 for a in agreements}
    by_company: dict[int, list] = {}
    for agreement in agreements:
        by_company.setdefault(agreement.company_id, []).append(agreement)
    by_agreement: dict[int, list] = {}
    for addition in additions:
        by_agreement.setdefault(addition.agreement_id, []).append(addition)
    found, _ = read_quantities(gateway, settings, companies.values(), by_company,
                               by_agreement, today)
    return found
