"""Send now's narrow question: does this one customer have unapplied changes or errors?"""

from datetime import UTC, datetime

import pytest

from reconciler.config.model import AgreementRef
from reconciler.sends.now import SendNowRefused, refuse_unapplied, unapplied_changes
from tests.fakes.gateway import FakeGateway
from tests.plan.plan_factories import customer, settings

AT = datetime(2026, 11, 25, 18, tzinfo=UTC)


class Fleet:
    settings = settings()


def world(*products: str) -> FakeGateway:
    fake = FakeGateway()
    acme = fake.add_company(9, "ACME", "Acme Corp")
    tmrm = fake.add_agreement(10, acme, "TMRM Management Solution", "ACME TMRM")
    for i, product in enumerate(products):
        fake.add_addition(100 + i, tmrm, product)
    return fake


def test_an_applied_customer_has_nothing_unapplied_and_only_it_is_read():
    fake = world("TM-WFBSS")
    fake.add_company(20, "ZED", "Zed Corp")
    assert unapplied_changes(fake, Fleet, customer(), AT) == []
    assert fake.request_count == 3  # company, agreements, additions: no fleet-wide scan
    refuse_unapplied(fake, Fleet, customer(), AT)


def test_changes_and_errors_refuse_send_now_in_plan_order():
    fake = world("TM-HES")
    moved = customer(products=("wfbss", "apex-one"),
                     agreements={"apex-one": AgreementRef("TMRM Management Solution",
                                                          "ACME TMRM")})
    assert unapplied_changes(fake, Fleet, moved, AT) == [
        "cancel hes addition on TMRM Management Solution / ACME TMRM (#10)",
        "create apex-one addition on TMRM Management Solution / ACME TMRM (#10)",
        "create wfbss addition on TMRM Management Solution / ACME TMRM (#10)",
    ]
    with pytest.raises(SendNowRefused, match="acme has unapplied changes or errors"):
        refuse_unapplied(fake, Fleet, moved, AT)


def test_unreadable_records_refuse_send_now():
    fake = world("TM-WFBSS")
    fake.answer_malformed("additions", "addition 100", owner=10)
    [problem] = unapplied_changes(fake, Fleet, customer(), AT)
    assert problem.startswith("acme: company ACME: ConnectWise answered")
