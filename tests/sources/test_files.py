"""The file source: CSV/JSON usage and detections, chargeable units, clear errors."""

import json
import re
from datetime import date
from pathlib import Path

import pytest

from reconciler.config.model import Product
from reconciler.sources import FileDetectionSource, FileUsageSource, SourceError
from reconciler.sources.model import MissingDays, UnmappedProduct, unmapped_products

PRODUCTS = {"wfbss": Product("wfbss", "Worry-Free Business Security Services", "TM-WFBSS"),
            "cas": Product("cas", "Cloud App Security", "TM-CAS")}
HEADER = "customer_id,product,service_plan,unit,provisioned,used\n"


def usage(tmp_path: Path, body: str, name: str = "2026-11.csv") -> FileUsageSource:
    (tmp_path / "usage").mkdir(exist_ok=True)
    (tmp_path / "usage" / name).write_text(body)
    return FileUsageSource(tmp_path / "usage", PRODUCTS, root=tmp_path)


def test_chargeable_is_used_where_reported_else_provisioned_summed_over_plans(tmp_path):
    source = usage(tmp_path, HEADER
                   + "c1,wfbss,Advanced,seats,50,42\n"
                   + "c1,Worry-Free Business Security Services,Trial,seats,5,3\n"
                   + "c1,Cloud App Security,Monthly,users,30,\n"
                   + "c1,Deep Security,Server,hosts,9,9\n")  # not billed here: ignored
    month = source.usage(2026, 11)
    assert month.chargeable("c1", "wfbss") == 45
    assert month.chargeable("c1", "cas") == 30
    assert month.chargeable("c1", "hes") is None  # missing, never zero
    assert month.chargeable("c2", "wfbss") is None
    assert [line.origin for line in month.lines_for("c1", "wfbss")] == [
        "usage/2026-11.csv:2", "usage/2026-11.csv:3"]


def test_rows_no_product_maps_are_listed_per_customer_and_per_product(tmp_path):
    source = usage(tmp_path, HEADER
                   + "c1,wfbss,Advanced,seats,50,42\n"
                   + "c1,Deep Security,Server,hosts,9,9\n"
                   + "c2,Deep Security,Server,hosts,2,2\n"
                   + "c2,Deep Security,Desktop,hosts,4,4\n"
                   + "c2,Vision One,,endpoints,7,7\n")
    month = source.usage(2026, 11)
    assert [(r.product, r.origin) for r in month.unmapped_for("c1")] == [
        ("'Deep Security' plan 'Server'", "usage/2026-11.csv:3")]
    assert [r.product for r in month.unmapped_for("c2")] == [
        "'Deep Security' plan 'Server'", "'Deep Security' plan 'Desktop'", "'Vision One'"]
    assert month.unmapped_for("c3") == ()
    assert unmapped_products(month) == (
        UnmappedProduct("Deep Security", "Desktop", ("c2",)),
        UnmappedProduct("Deep Security", "Server", ("c1", "c2")),
        UnmappedProduct("Vision One", "", ("c2",)))


def test_json_usage_with_null_used(tmp_path):
    items = [{"customer_id": "c1", "product": "cas", "service_plan": "M", "unit": "u",
              "provisioned": 12, "used": None},
             {"customer_id": "c1", "product": "wfbss", "service_plan": "M", "unit": "u",
              "provisioned": 12, "used": 7}]
    source = usage(tmp_path, json.dumps(items), "2026-11.json")
    month = source.usage(2026, 11)
    assert (month.chargeable("c1", "cas"), month.chargeable("c1", "wfbss")) == (12, 7)


def test_rows_of_a_billed_product_are_mapped_like_lmpi_rows(tmp_path):
    products = {"wfbss": Product("wfbss", "Worry-Free Business Security Services", "TM-WFBSS",
                                 lmpi_name="TM-WFBS-Svc", service_plans=("Full",))}
    (tmp_path / "usage").mkdir()
    (tmp_path / "usage" / "2026-11.csv").write_text(
        HEADER + "c1,TM-WFBS-Svc,Full,seats,10,9\nc2,tm-wfbs-svc,Trial,seats,3,3\n"
        + "c3,wfbss,Anything,seats,4,4\n")  # a product key takes any plan
    month = FileUsageSource(tmp_path / "usage", products, root=tmp_path).usage(2026, 11)
    assert month.chargeable("c1", "wfbss") == 9 and month.chargeable("c3", "wfbss") == 4
    with pytest.raises(SourceError, match=r"usage/2026-11.csv:3: service plan 'Trial' of "
                       r"'tm-wfbs-svc' is not mapped"):
        month.chargeable("c2", "wfbss")


def test_missing_month_is_an_error_not_zero(tmp_path):
    source = usage(tmp_path, HEADER)
    with pytest.raises(SourceError, match=r"no usage file for 2026-10 \(usage/2026-10\.csv"):
        source.usage(2026, 10)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("c1,wfbss,A,seats,-4,3", r"usage/2026-11.csv:2: provisioned '-4' is negative"),
        ("c1,wfbss,A,seats,ten,3", r"usage/2026-11.csv:2: provisioned 'ten' is not a number"),
        ("c1,wfbss,A,seats,4", r"usage/2026-11.csv:2: expected 6 fields, found 5"),
        (",wfbss,A,seats,4,4", r"usage/2026-11.csv:2: customer_id is empty"),
        ("c1,wfbss,A,seats,4,nan", r"usage/2026-11.csv:2: used 'nan' is not a finite number"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path, row, message):
    source = usage(tmp_path, HEADER + row + "\n" + "c2,wfbss,A,seats,8,6\n")
    with pytest.raises(SourceError, match=message):
        source.usage(2026, 11).chargeable("c1", "wfbss")


def test_a_bad_row_fails_its_customer_only(tmp_path):
    """A bad number fails that customer's billing; the others bill (issue 11: bad data
    fails the customer it concerns, never the run)."""
    source = usage(tmp_path, HEADER + "c1,wfbss,A,seats,4,1e308\nc2,wfbss,A,seats,8,6\n")
    month = source.usage(2026, 11)
    with pytest.raises(SourceError, match=r"usage/2026-11.csv:2: used '1e308' is not a number"):
        month.chargeable("c1", "wfbss")
    assert month.chargeable("c2", "wfbss") == 6


def test_a_duplicated_row_names_both_lines_and_is_never_summed(tmp_path):
    source = usage(tmp_path, HEADER + "c1,wfbss,A,seats,44,42\nc2,wfbss,A,seats,8,6\n"
                   + "c1,wfbss,A,seats,44,42\n")
    month = source.usage(2026, 11)
    with pytest.raises(SourceError, match=r"reported twice .*\(usage/2026-11.csv:2 and "
                                          r"usage/2026-11.csv:4\)"):
        month.chargeable("c1", "wfbss")  # never 84
    assert month.chargeable("c2", "wfbss") == 6


def test_an_oversized_field_or_bad_bytes_fail_that_row_never_the_file(tmp_path):
    big = "x" * (128 * 1024 + 1)  # past csv's own limit, which used to abort the run
    body = (HEADER + f"c1,wfbss,{big},seats,4,4\n").encode() + b"c3,wfbss,\xff\xfe,seats,1,1\n"
    (tmp_path / "usage").mkdir()
    (tmp_path / "usage" / "2026-11.csv").write_bytes(body + b"c2,wfbss,A,seats,8,6\n")
    month = FileUsageSource(tmp_path / "usage", PRODUCTS, root=tmp_path).usage(2026, 11)
    with pytest.raises(SourceError, match=r"usage/2026-11.csv:2: service_plan is 131,073 "
                                          r"characters long"):
        month.chargeable("c1", "wfbss")
    with pytest.raises(SourceError, match=r"usage/2026-11.csv:3: service_plan is not UTF-8"):
        month.chargeable("c3", "wfbss")
    assert month.chargeable("c2", "wfbss") == 6


def test_a_row_whose_customer_cannot_be_read_fails_the_month_for_all(tmp_path):
    source = usage(tmp_path, HEADER + "x" * 2000 + ",wfbss,A,seats,4,4\n")
    with pytest.raises(SourceError, match="customer_id is unreadable"):
        source.usage(2026, 11)


def test_bad_header_and_bad_json(tmp_path):
    with pytest.raises(SourceError, match=r"2026-11.csv:1: header lacks column\(s\) used"):
        usage(tmp_path, "customer_id,product,service_plan,unit,provisioned\n").usage(2026, 11)
    (tmp_path / "j").mkdir()
    bad = usage(tmp_path / "j", "[{", "2026-11.json")
    with pytest.raises(SourceError, match=r"2026-11.json:1:3: invalid JSON"):
        bad.usage(2026, 11)


def detections(tmp_path: Path, kind: str, stem: str, body: str) -> FileDetectionSource:
    folder = tmp_path / "detections" / kind
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.csv").write_text("customer_id,date,detection,count\n" + body)
    return FileDetectionSource(tmp_path / "detections", root=tmp_path)


def test_detections_sum_days_across_a_month_boundary(tmp_path):
    detections(tmp_path, "hosted_email_security", "2026-11",
               "c1,2026-11-30,spam,5\nc1,2026-11-29,spam,1\nc2,2026-11-30,spam,100\n")
    quiet_days = "".join(f"c1,2026-12-0{day},spam,0\n" for day in range(2, 7))
    source = detections(tmp_path, "hosted_email_security", "2026-12",
                        "c1,2026-12-01,spam,2\nc1,2026-12-01,virus,3\nc1,2026-12-07,spam,50\n"
                        + quiet_days)
    # ISO week 2026-W49 is Nov 30 .. Dec 6; Dec 2..6 were exported with no detections
    counts = source.counts("hosted_email_security", "c1", date(2026, 11, 30), date(2026, 12, 6))
    assert counts == {"spam": 7, "virus": 3}


def test_a_day_without_rows_is_missing_never_zero(tmp_path):
    source = detections(tmp_path, "hosted_email_security", "2026-12",
                        "c1,2026-12-01,spam,2\nc1,2026-12-04,spam,0\nc1,2026-12-07,spam,1\n")
    with pytest.raises(MissingDays, match=r"no hosted_email_security detection rows for "
                       r"customer c1 on 2026-12-02\.\.03, 2026-12-05\.\.06; export each day, a "
                       r"day with no detections as one row with count 0") as info:
        source.counts("hosted_email_security", "c1", date(2026, 12, 1), date(2026, 12, 7))
    assert info.value.missing == (date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 5),
                                  date(2026, 12, 6))
    with pytest.raises(MissingDays, match="customer c3 on 2026-12-01; export"):  # no rows at all
        source.counts("hosted_email_security", "c3", date(2026, 12, 1), date(2026, 12, 1))


def test_detection_errors(tmp_path):
    source = detections(tmp_path, "email_security", "2026-11", "c1,2026-11-02,spam,-1\n")
    with pytest.raises(SourceError, match=r"email_security/2026-11.csv:2: count '-1' is negative"):
        source.counts("email_security", "c1", date(2026, 11, 1), date(2026, 11, 30))
    source = detections(tmp_path, "email_security", "2026-10", "c1,2026-11-02,spam,1\n")
    with pytest.raises(SourceError, match=r"2026-10.csv:2: date 2026-11-02 is outside 2026-10"):
        source.counts("email_security", "c1", date(2026, 10, 1), date(2026, 10, 31))
    with pytest.raises(SourceError, match=r"no email_security detection file for 2026-09"):
        source.counts("email_security", "c1", date(2026, 9, 30), date(2026, 10, 1))


def test_a_bad_or_repeated_detection_row_fails_its_customer_only(tmp_path):
    body = ("c1,2026-11-02,spam,3\nc2,2026-11-02,spam,4\nc1,2026-11-02,Spam,3\n"
            "c3,2026-11-02,spam,1_000\n")
    source = detections(tmp_path, "email_security", "2026-11", body)
    day = date(2026, 11, 2)
    with pytest.raises(SourceError, match=r"2026-11.csv:4: Spam of 2026-11-02 is exported "
                                          r"twice \(also at .*email_security/2026-11.csv:2\)"):
        source.counts("email_security", "c1", day, day)  # never 6
    with pytest.raises(SourceError, match=r"2026-11.csv:5: count '1_000' is not a number"):
        source.counts("email_security", "c3", day, day)
    assert source.counts("email_security", "c2", day, day) == {"spam": 4}


def test_example_fleet_data_loads():
    """The shipped data files cover the example fleet from 2026-09 to 2026-12."""
    from reconciler.config import load_fleet
    from reconciler.sources import detection_source, usage_source

    root = Path(__file__).resolve().parents[2]
    fleet = load_fleet(root)
    usage_src, detection_src = usage_source(fleet), detection_source(fleet)
    for month in (9, 10, 11, 12):
        data = usage_src.usage(2026, month)
        for customer in fleet.customers:
            if customer.enabled:
                for product in customer.billed_products:
                    assert data.chargeable(customer.trend_micro_id, product), (customer.slug,
                                                                               product, month)
    for customer in fleet.customers:
        for kind in ("hosted_email_security", "email_security"):
            if customer.enabled and customer.policy.summary(kind):
                counts = detection_src.counts(kind, customer.trend_micro_id, date(2026, 9, 1),
                                              date(2026, 12, 31))
                assert sum(counts.values()) > 0


@pytest.mark.parametrize(("value", "says"), [
    ("1e308", "'1e308' is not a number"),
    ("1_7", "'1_7' is not a number"),
    ("١٧", "is not a number"),  # Arabic-Indic digits: int() would read 17
    ("2.5", "'2.5' is not a number"),
    ("+4", "'+4' is not a number"),
    ("99999999", "is more than 10,000,000"),
    ("9" * 400, "'99999999999999999999...' is not a number"),
])
def test_units_are_ascii_digits_within_a_sane_bound(tmp_path, value, says):
    source = usage(tmp_path, HEADER + f"c1,wfbss,A,seats,4,{value}\n")
    with pytest.raises(SourceError, match=re.escape(says)):
        source.usage(2026, 11).chargeable("c1", "wfbss")


def test_json_units_are_whole_numbers_within_the_bound(tmp_path):
    from reconciler.sources.model import as_number

    assert as_number(42, "used", "x") == 42 and as_number(42.0, "used", "x") == 42
    for bad, says in ((1e308, "more than"), (2.5, "not a whole number"),
                      (float("nan"), "not a finite number"), (True, "not a number"),
                      (-1, "negative")):
        with pytest.raises(SourceError, match=says):
            as_number(bad, "used", "x")
