"""Billing guardrails: first billing never held; a fall to zero or a change beyond
`safety.max_quantity_change_percent` is held (nothing PATCHed or sent) until approved."""

from datetime import datetime

from reconciler.schedule import zone
from reconciler.sends import run_due, send_now
from reconciler.sends.billing import guardrail
from reconciler.sends.content import BillingLine
from tests.sends import world

NY = zone("America/New_York")
# stark bills on day 31, the month before (contract 2)
OCT_RUN = datetime(2026, 10, 31, 12, tzinfo=NY)  # bills September
NOV_RUN = datetime(2026, 11, 30, 12, tzinfo=NY)  # ... clamped to Nov 30: bills October
DEC_RUN = datetime(2026, 12, 31, 12, tzinfo=NY)  # bills November
KEY = "tmrm:billing:STARK:2026-10"


def run(fleet, gateway, when, **kwargs):
    usage, detections = world.sources(fleet)
    report = run_due(fleet, gateway, when, usage=usage, detections=detections,
                     customers=[c for c in fleet.customers if c.slug == "stark"], **kwargs)
    return report, {r.key: r for r in report.results}


def line(previous, units):
    return BillingLine("wfbss", "WFBSS", "A / B", 1, 2, units, previous, "used")


def test_guardrail_rules():
    assert guardrail([line(100, 151)], True, 50) == ["wfbss 100 -> 151 (+51%, limit 50%)"]
    assert guardrail([line(100, 150)], True, 50) == []  # exactly at the limit
    assert guardrail([line(100, 49)], True, 50) == ["wfbss 100 -> 49 (-51%, limit 50%)"]
    assert guardrail([line(100, 0)], True, 50) == ["wfbss 100 -> 0 (would fall to zero)"]
    assert guardrail([line(100, 1000)], False, 50) == []  # first billing: never held
    assert guardrail([line(0, 1000)], True, 50) == []  # never billed a positive quantity
    assert guardrail([line(None, 1000)], True, 50) == []


def test_first_billing_is_never_held_even_far_from_the_current_quantity(data, app, gateway):
    fleet = world.fleet(data)
    # the seed's STARK wfbss addition holds 70; the source says ~250
    _report, by_key = run(fleet, gateway, OCT_RUN)
    assert by_key["tmrm:billing:STARK:2026-09"].outcome == "sent"
    assert world.addition_quantity(app, 111, "TM-WFBSS") == world.units("stark", "wfbss",
                                                                        2026, 9)


def held_scenario(data, app, gateway, new_units, fleet=None):
    fleet = fleet or world.fleet(data)
    run(fleet, gateway, OCT_RUN)
    before = world.addition_quantity(app, 111, "TM-WFBSS")
    world.write_usage(data, 2026, 10, override={("stark", "wfbss"): new_units})
    report, by_key = run(fleet, gateway, NOV_RUN)
    return fleet, before, report, by_key


def test_big_change_is_held_until_approved(data, app, gateway):
    fleet, before, report, by_key = held_scenario(data, app, gateway, 3 * 250)
    held = by_key[KEY]
    assert held.outcome == "held" and not report.ok
    assert f"wfbss {before} -> 750" in held.detail
    assert "--approve-quantities stark" in held.detail
    # nothing sent for that customer's billing: no PATCH (hes untouched too), no ticket
    assert world.addition_quantity(app, 111, "TM-WFBSS") == before
    assert world.addition_quantity(app, 111, "TM-HES") == world.units("stark", "hes", 2026, 9)
    assert KEY not in {t["externalXRef"] for t in world.tickets(app)}
    _again, by_key = run(fleet, gateway, NOV_RUN)
    assert by_key[KEY].outcome == "held"  # still held on the next run
    _approved, by_key = run(fleet, gateway, NOV_RUN, approve=["STARK"])  # company works too
    assert by_key[KEY].outcome == "sent" and "approved past the guardrail" in by_key[KEY].detail
    assert world.addition_quantity(app, 111, "TM-WFBSS") == 750


def test_fall_to_zero_is_held(data, app, gateway):
    _, before, _report, by_key = held_scenario(data, app, gateway, 0)
    assert by_key[KEY].outcome == "held"
    assert f"wfbss {before} -> 0 (would fall to zero)" in by_key[KEY].detail


def test_configured_exception_lets_it_through(data, app, gateway):
    fleet = world.fleet(data, quantity_exceptions=("stark",))
    _, _, report, by_key = held_scenario(data, app, gateway, 750, fleet)
    assert by_key[KEY].outcome == "sent" and report.ok


def test_threshold_comes_from_settings(data, app, gateway):
    fleet = world.fleet(data, max_quantity_change_percent=400)
    _, _, _report, by_key = held_scenario(data, app, gateway, 750, fleet)
    assert by_key[KEY].outcome == "sent"


def test_send_now_uses_the_minute_key_and_sends_once(data, app, gateway):
    fleet = world.fleet(data)
    usage, _ = world.sources(fleet)
    stark = fleet.customers[2]
    when = datetime(2026, 11, 25, 13, 7, 42, tzinfo=NY)
    result = send_now(fleet, gateway, stark, when, usage=usage)
    # the latest complete month (contract 2)
    assert (result.key, result.outcome, result.period) == (
        "tmrm:billing-now:STARK:2026-11-25T18:07Z", "sent", "2026-10")
    assert world.addition_quantity(app, 111, "TM-HES") == world.units("stark", "hes", 2026, 10)
    again = send_now(fleet, gateway, stark, when.replace(second=59), usage=usage)
    assert again.outcome == "already_sent"
    # an earlier billing exists now, so the guardrail applies to send-now too
    world.write_usage(data, 2026, 10, override={("stark", "hes"): 1})
    usage, _ = world.sources(fleet)  # a source reads a month once: a new one sees the file
    held = send_now(fleet, gateway, stark, when.replace(minute=8), usage=usage)
    assert held.outcome == "held"
    ok = send_now(fleet, gateway, stark, when.replace(minute=9), usage=usage, approve=["stark"])
    assert ok.outcome == "sent"
    summary = [t["summary"] for t in world.tickets(app)
               if t["externalXRef"] == "tmrm:billing-now:STARK:2026-11-25T18:09Z"]
    [text] = summary
    assert text.startswith("Trend Micro billing (sent now) 2026-10: Stark Logistics [r:")


def test_a_late_gap_month_never_rolls_quantities_back(data, app, gateway):
    fleet = world.fleet(data)
    run(fleet, gateway, OCT_RUN)  # September billed
    world.write_usage(data, 2026, 10, skip={("stark", "wfbss")})
    _, by_key = run(fleet, gateway, NOV_RUN)
    assert by_key["tmrm:billing:STARK:2026-10"].outcome == "failed"
    _, by_key = run(fleet, gateway, DEC_RUN)
    assert by_key["tmrm:billing:STARK:2026-10"].outcome == "failed"  # still no usage
    assert by_key["tmrm:billing:STARK:2026-11"].outcome == "sent"
    november = world.addition_quantity(app, 111, "TM-WFBSS")
    assert november == world.units("stark", "wfbss", 2026, 11)
    world.write_usage(data, 2026, 10)  # October's usage finally arrives
    _, by_key = run(fleet, gateway, datetime(2027, 1, 1, 12, tzinfo=NY))
    late = by_key["tmrm:billing:STARK:2026-10"]
    assert late.outcome == "sent" and "ticket only: 2026-11 is already billed" in late.detail
    assert world.addition_quantity(app, 111, "TM-WFBSS") == november  # not rolled back


def test_unknown_approval_is_an_error(data, app, gateway):
    import pytest

    from reconciler.errors import ReconcilerError

    with pytest.raises(ReconcilerError, match="--approve-quantities names no customer: 'strak'"):
        run(world.fleet(data), gateway, NOV_RUN, approve=["strak"])


def test_usage_a_source_will_not_guess_fails_that_billing_and_patches_nothing(data, app,
                                                                               gateway):
    from reconciler.sources import MonthUsage, SourceError

    class Refusing:
        """LMPI whose customer list names two customers alike."""

        description = "LMPI https://lmpi.example.com"

        def usage(self, year, month):
            return MonthUsage(year, month, (), source=self.description, resolve=self.resolve)

        def resolve(self, customer_id):
            raise SourceError("LMPI has 2 customers named 'Stark Logistics' (id-1, id-2)")

    fleet = world.fleet(data)
    before = world.addition_quantity(app, 111, "TM-WFBSS")
    _usage, detections = world.sources(fleet)
    report = run_due(fleet, gateway, OCT_RUN, usage=Refusing(), detections=detections,
                     customers=[c for c in fleet.customers if c.slug == "stark"])
    row = {r.key: r for r in report.results}["tmrm:billing:STARK:2026-09"]
    assert row.outcome == "failed" and not report.ok
    assert "wfbss: LMPI has 2 customers named 'Stark Logistics' (id-1, id-2)" in row.detail
    assert world.addition_quantity(app, 111, "TM-WFBSS") == before


def test_products_nobody_maps_are_named_on_the_customers_billing_row(data, app, gateway):
    """A product the customer uses that no product of reconciler.yaml maps is not billed:
    the billing row says so (dry run, sent and failed alike), the others' rows do not."""
    fleet = world.fleet(data)
    stark = next(c for c in fleet.customers if c.slug == "stark")
    usage_file = data / "usage" / "2026-09.csv"  # what OCT_RUN bills
    with usage_file.open("a") as out:
        out.write(f"{stark.trend_micro_id},Deep Security,Per hour,hosts,9,9\n")
    note = ("; not billed (no product in reconciler.yaml maps it; see products.<key>.lmpi): "
            "'Deep Security' plan 'Per hour'")
    report = run_due(fleet, gateway, OCT_RUN, usage=world.sources(fleet)[0],
                     detections=world.sources(fleet)[1], dry_run=True)
    billing_rows = {r.customer: r for r in report.results if r.kind == "billing"}
    assert billing_rows["stark"].detail.endswith(note)
    others = [r for name, r in billing_rows.items() if name != "stark"]
    assert others and all("not billed" not in r.detail for r in others)
    _report, by_key = run(fleet, gateway, OCT_RUN)
    sent = by_key["tmrm:billing:STARK:2026-09"]
    assert sent.outcome == "sent" and sent.detail.endswith(note)
    assert "#" in sent.detail.removesuffix(note)  # the ticket number comes first
    world.write_usage(data, 2026, 10, skip={("stark", "wfbss")})
    with (data / "usage" / "2026-10.csv").open("a") as out:
        out.write(f"{stark.trend_micro_id},Deep Security,Per hour,hosts,9,9\n")
    _report, by_key = run(fleet, gateway, NOV_RUN)
    failed = by_key[KEY]
    assert failed.outcome == "failed" and "no usage reported for wfbss" in failed.detail
    assert failed.detail.endswith(note)
