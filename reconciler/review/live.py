"""Reading what ConnectWise bills for the customers a change set touches (the billing
impact's facts), in bulk: their agreements (chunked by identifier), the additions of the
active ones (one listing each: ConnectWise lists additions per agreement) and the catalog
items' prices (one chunked read). A malformed record makes its company's impact unknown,
never zero.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.config.model import Settings
from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import MalformedRecord
from reconciler.domain.fold import fold
from reconciler.review.impact import LiveBilling


def read_live_billing(gateway: Gateway, companies: Iterable[str], settings: Iterable[Settings]
                      ) -> dict[str, LiveBilling]:
    """LiveBilling by folded company identifier for `companies`, with the catalog prices
    of every product the given settings define."""
    wanted = sorted({fold(c): c for c in companies}.values(), key=fold)
    if not wanted:
        return {}
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
    return {
        company: LiveBilling(tuple(by_company[company]), tuple(on.get(company, ())), prices,
                             problem=problems.get(company))
        for company in by_company
    }
