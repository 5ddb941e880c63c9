"""A FakeGateway holding what a sandbox seed holds, so the contract suite can compare the
fake with the sandbox on the same world."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.sandbox.seed import load_seed
from tests.fakes.gateway import FakeGateway


def fake_from_seed(seed: Mapping[str, Any] | None = None) -> FakeGateway:
    """The fake with the seed's companies, agreements, additions, tickets and routing
    (`None`: the packaged seed). Reads the seed independently of the sandbox's loader
    rules, except for the two documented defaults it mirrors: a cancelled agreement's
    status is Cancelled, and an addition's unit price comes from its catalog item."""
    data = load_seed(seed)
    fake = FakeGateway()
    prices = {item["identifier"]: item.get("price") for item in data.get("catalog") or []}
    for item in data.get("catalog") or []:
        fake.add_catalog_item(item["id"], item["identifier"],
                              inactive=bool(item.get("inactiveFlag")), price=item.get("price"))
    for kind in data.get("agreement_types") or []:
        fake.add_agreement_type(kind["id"], kind["name"],
                                inactive=bool(kind.get("inactiveFlag")))
    by_identifier = {}
    for c in data.get("companies") or []:
        by_identifier[c["identifier"]] = fake.add_company(
            c["id"], c["identifier"], c["name"], deleted=bool(c.get("deletedFlag")))
    for a in data.get("agreements") or []:
        agreement = fake.add_agreement(a["id"], by_identifier[a["company"]], a["type"],
                                       a["name"], status=a.get("agreementStatus", "Active"),
                                       cancelled=bool(a.get("cancelledFlag")))
        for x in a.get("additions") or []:
            fake.add_addition(x["id"], agreement, x["product"], quantity=x.get("quantity"),
                              unit_price=x.get("unitPrice", prices.get(x["product"])),
                              bill_customer=x.get("billCustomer"),
                              effective_date=x.get("effectiveDate"),
                              cancelled_date=x.get("cancelledDate"))
    closed_names = {}
    board_ids = {b["name"]: b["id"] for b in data.get("boards") or []}
    for b in data.get("boards") or []:
        statuses = [(s["id"], s["name"], bool(s.get("closedStatus"))) for s in b["statuses"]]
        fake.add_board(b["id"], b["name"], statuses,
                       [(t["id"], t["name"]) for t in b.get("types") or []])
        closed_names[b["name"]] = {name for _, name, closed in statuses if closed}
    for p in data.get("priorities") or []:
        fake.add_priority(p["id"], p["name"])
    seeded_at = data.get("seeded_at")
    for t in data.get("tickets") or []:
        notes = [n["text"] for n in t.get("notes") or []]
        fake.add_ticket(t["id"], t.get("externalXRef") or "", t["company"], t["summary"],
                        closed=t.get("status") in closed_names.get(t.get("board"), ()),
                        status=t.get("status") or "", text="\n".join(notes) or None,
                        entered=seeded_at, board_id=board_ids.get(t.get("board")))
    return fake
