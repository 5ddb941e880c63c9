"""reconciler.review.policy: semantic policy changes computed with deepdiff."""

from __future__ import annotations

from dataclasses import replace

from reconciler.config.model import (
    AgreementRef,
    BillingPolicy,
    Fleet,
    Policy,
    SummaryPolicy,
    frozen_map,
)
from reconciler.review.policy import policy_changes
from tests.review.review_factories import GLOBAL, customer, fleet


def texts(base: Fleet | None, head: Fleet) -> dict[str, list[str]]:
    return {c.slug: list(c.sentences) for c in policy_changes(base, head)}


def test_unchanged_fleet_has_no_changes():
    assert policy_changes(fleet(customer()), fleet(customer())) == []


def test_billing_day():
    head = customer(policy=Policy(billing=BillingPolicy(day=31, products=("wfbss",))))
    assert texts(fleet(customer()), fleet(head)) == {"acme": ["billing day 5 -> 31"]}


def test_products_added_and_removed_ignore_order():
    base = customer(policy=Policy(billing=BillingPolicy(5, ("wfbss", "hes"))))
    head = customer(policy=Policy(billing=BillingPolicy(5, ("cas", "wfbss"))))
    assert texts(fleet(base), fleet(head))["acme"] == [
        "billing products added: cas",
        "billing products removed: hes",
    ]
    reordered = customer(policy=Policy(billing=BillingPolicy(5, ("hes", "wfbss"))))
    assert policy_changes(fleet(base), fleet(reordered)) == []


def test_frequency_and_detections():
    base = customer(policy=Policy(hosted_email_security=SummaryPolicy("week", ("spam",))))
    head = customer(policy=Policy(hosted_email_security=SummaryPolicy("day", ("spam", "virus"))))
    assert texts(fleet(base), fleet(head))["acme"] == [
        "hosted email security detections added: virus",
        "hosted email security every week -> day",
    ]


def test_switched_to_custom_settings_shows_the_policy_change_too():
    base = customer(settings="global", policy=GLOBAL)
    head = customer(settings="custom", policy=Policy(billing=BillingPolicy(1, ("wfbss", "hes"))))
    assert texts(fleet(base), fleet(head))["acme"] == [
        "switched to custom settings",
        "hosted email security turned off (was every week, detections phishing, spam)",
    ]


def test_global_settings_change_reaches_global_customers_only():
    glob = customer("globex", settings="global", policy=GLOBAL)
    new_global = Policy(billing=BillingPolicy(2, ("wfbss", "hes")), hosted_email_security=None)
    head_glob = replace(glob, policy=new_global)
    got = texts(fleet(glob, customer()), fleet(head_glob, customer(), notifications=new_global))
    assert list(got) == ["globex"]
    assert got["globex"] == [
        "billing day 1 -> 2",
        "hosted email security turned off (was every week, detections phishing, spam)",
    ]


def test_send_time_and_timezone_move_every_customer():
    got = texts(fleet(customer()), fleet(customer(), send_at="07:30", timezone="Europe/Paris"))
    assert got == {
        "acme": ["timezone America/New_York -> Europe/Paris", "send time 06:00 -> 07:30"]
    }


def test_integration_agreements_and_identity():
    base = customer(agreements=frozen_map({"wfbss": AgreementRef("Managed Service", "Old")}))
    head = customer(
        enabled=False,
        company="ACME2",
        agreements=frozen_map({}),
        policy=Policy(billing=BillingPolicy(5, ("wfbss", "cas"))),
    )
    got = texts(fleet(base), fleet(head))["acme"]
    assert got == [
        "ConnectWise company ACME -> ACME2",
        "integration disabled",
        "agreement for wfbss: Managed Service / Old -> default agreement",
        "billing products added: cas",
    ]


def test_billing_turned_on_and_email_security_edition():
    base = customer(policy=Policy(email_security=SummaryPolicy("month", ("spam",), "standard")))
    head = customer(
        policy=Policy(
            billing=BillingPolicy(15, ("hes",)),
            email_security=SummaryPolicy("month", ("spam",), "advanced"),
        )
    )
    got = texts(fleet(base), fleet(head))["acme"]
    assert "billing turned on: day 15, products hes" in got
    assert "email security edition standard -> advanced" in got
    assert not any(t.startswith("agreement") for t in got)  # implied by the billing line


def test_customers_added_and_removed():
    got = policy_changes(fleet(customer("old")), fleet(customer("new")))
    assert [(c.slug, c.kind) for c in got] == [("new", "added"), ("old", "removed")]
    assert got[0].sentences[0] == "customer added"
    assert "billing: day 5, products wfbss" in got[0].sentences
    assert got[1].sentences == ("customer removed",)


def test_no_base_fleet_means_every_customer_is_added():
    assert [c.kind for c in policy_changes(None, fleet(customer("a"), customer("b")))] == [
        "added",
        "added",
    ]


def test_slugs_limit_the_comparison():
    base = fleet(customer("a"), customer("b"))
    head = fleet(customer("a", name="A2"), customer("b", name="B2"))
    assert [c.slug for c in policy_changes(base, head, slugs=["b"])] == ["b"]


def test_json_carries_old_and_new_values():
    head = customer(policy=Policy(billing=BillingPolicy(day=31, products=("wfbss",))))
    (change,) = policy_changes(fleet(customer()), fleet(head))
    assert change.to_json()["changes"] == [
        {"path": "billing.day", "old": 5, "new": 31, "text": "billing day 5 -> 31"}
    ]
