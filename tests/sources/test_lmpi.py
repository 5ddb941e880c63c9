"""The LMPI source: signed requests to the documented Customer Summary report and
Customers :: Query, over real HTTP on 127.0.0.1 and in process; customers found by id
without guessing; every plausible shape of a row read the same; retries on 429/5xx/drops;
credentials never shown."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from reconciler.config.model import Product
from reconciler.sandbox import create_app, serve, transport
from reconciler.sources import LmpiUsageSource, SourceError
from reconciler.sources.lmpi import SANDBOX_SECRET, SANDBOX_TOKEN, lmpi_from_settings
from reconciler.sources.model import UnmappedProduct, unmapped_products

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lmpi"
PRODUCTS = {
    "wfbss": Product("wfbss", "Worry-Free Business Security Services", "TM-WFBSS"),
    "hes": Product("hes", "Hosted Email Security", "TM-HES"),
}
ACME = "6f1c2a9e-0d4b-4c61-9a57-1b2f0e8c3a01"
STARK = "2c5f8a1d-6e3b-4d97-b2a8-9f1e4c6d8b06"


def check_report(source) -> None:
    month = source.usage(2026, 11)
    assert month.chargeable(ACME, "wfbss") == 42  # used where reported
    assert month.chargeable(ACME.upper(), "wfbss") == 42  # an id is a GUID: any case
    assert [line.used for line in month.lines_for(STARK, "hes")] == [None]
    assert month.chargeable(STARK, "hes") == 75  # provisioned when used is not reported
    assert month.chargeable(ACME, "hes") is None


def test_signed_report_over_real_http():
    with serve(create_app()) as url:
        assert url.startswith("http://127.0.0.1:")
        source = LmpiUsageSource(url, PRODUCTS, token=SANDBOX_TOKEN, secret=SANDBOX_SECRET)
        check_report(source)
        assert source.request_count == 2  # the month's report and one page of customers
        source.usage(2026, 11).chargeable(STARK, "wfbss")
        source.usage(2026, 10).chargeable(STARK, "wfbss")
        assert source.request_count == 3  # a month and the customer list: read once a run


def test_sandbox_url_goes_through_the_transport_the_runtime_builds_v3_and_v2_alike():
    check_report(lmpi_from_settings("sandbox", PRODUCTS, env={},
                                    transport=transport(create_app())))
    check_report(lmpi_from_settings("sandbox", PRODUCTS, env={}, api_version="v2",
                                    transport=transport(create_app())))
    with pytest.raises(SourceError, match="only reconciler's runtime starts"):
        lmpi_from_settings("sandbox", PRODUCTS, env={})


class Recorder(httpx.BaseTransport):
    """Passes requests on and keeps them."""

    def __init__(self, inner):
        self.inner, self.requests = inner, []

    def handle_request(self, request):
        request.read()
        self.requests.append(request)
        return self.inner.handle_request(request)


def test_request_is_the_documented_one():
    recorder = Recorder(transport(create_app()))
    source = LmpiUsageSource("http://lmpi", PRODUCTS, token=SANDBOX_TOKEN, secret=SANDBOX_SECRET,
                             api_version="v2", transport=recorder)
    check_report(source)
    report, customers = recorder.requests
    assert (report.method, report.url.path) == ("POST", "/LMPI/v2/reports/summary")
    # strings "YYYY" and "MM", as the page requires; the language pins product names
    assert json.loads(report.content) == {"report_cycle_year": "2026",
                                          "report_cycle_month": "11", "language_code": "en-US"}
    assert set(report.headers) >= {"x-access-token", "x-posix-time", "x-signature",
                                   "x-traceid", "content-type"}
    assert (customers.method, customers.url.path) == ("GET", "/LMPI/v2/customers")
    assert customers.url.params["limit"] == "100" and customers.url.params["page"] == "1"
    assert customers.url.params["created_start"] == "2000-01-01T00:00:00Z"
    assert customers.content == b""


def scripted(summary=None, customers=None, *, status=200, pages=None):
    """A fake LMPI answering the given report and customer list (several pages if any)."""
    seen = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/reports/summary"):
            return httpx.Response(status, json=summary)
        if pages is not None:
            return httpx.Response(200, json=pages[int(request.url.params["page"]) - 1])
        return httpx.Response(200, json=customers)
    return httpx.MockTransport(handle), seen


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())["response"]


def test_the_documentations_own_examples_are_read():
    summary = fixture("summary-doc-example.json")
    doc_customers = fixture("customers-doc-example.json")
    # the report's example names its customer "---"; let one of our customers be that name
    customers = {"paging": {"total": 3, "limit": 100, "page": 1},
                 "customers": [*doc_customers["customers"],
                               {"customer_id": ACME, "name": "---"}]}
    wfbs = Product("wfbss", "Worry-Free Business Security Services", "TM-WFBSS",
                   lmpi_name="TM-WFBS-Svc-Display-Name", service_plans=("WFBSS-Full",))
    fake, _ = scripted(summary, customers)
    source = LmpiUsageSource("http://lmpi", {"wfbss": wfbs}, token="t", secret="s",
                             transport=fake)
    month = source.usage(2018, 7)
    # the example stops after `provisioned` (no `used`): provisioned is billed
    assert month.chargeable(ACME, "wfbss") == 10
    [line] = month.lines_for(ACME, "wfbss")
    assert (line.service_plan, line.used) == ("WFBSS-Full", None)
    # Customers :: Query's own example resolves its ids to its names
    assert source.customer_name("XXXdbd77-e116-45a0-8f97-c486021dcXXX") == "Stay Green Greenery"
    assert source.customer_name("xxx4a7fc-4fb0-4e07-88a4-973779a6dxxx") == "Vera Company"


def row(**overrides) -> dict:
    base = {"customer": "Acme Corporation", "city": "Springfield", "state": "IL",
            "owned_by_vendor": "MSP", "created_by_vendor": "MSP",
            "product_name": "Worry-Free Business Security Services",
            "service_plan": "Full", "unit": "Seats", "provisioned": 40, "used": 35}
    return {k: v for k, v in {**base, **overrides}.items() if v is not ...}


CUSTOMERS = {"paging": {"total": 2, "limit": 100, "page": 1},
             "customers": [{"customer_id": ACME, "name": "Acme Corporation"},
                           {"customer_id": STARK, "name": "Stark Logistics"}]}


def usage_of(rows, customers=CUSTOMERS, products=PRODUCTS):
    fake, seen = scripted({"summary": rows}, customers)
    source = LmpiUsageSource("http://lmpi", products, token="t", secret="s", transport=fake)
    return source.usage(2026, 11), seen


@pytest.mark.parametrize("provisioned, used, expected", [
    (40, 35, 35), ("40", "35", 35), (40.0, "35.0", 35),  # numbers or numeric strings
    (40, None, 40), (40, ..., 40), ("40", "", 40),  # used null, absent or empty: provisioned
    (40, 0, 0),  # used reported as zero is zero, not "not reported"
])
def test_numbers_as_numbers_or_strings_and_used_null_or_absent(provisioned, used, expected):
    month, _ = usage_of([row(provisioned=provisioned, used=used)])
    assert month.chargeable(ACME, "wfbss") == expected


def test_a_bad_row_fails_only_its_customers_product():
    month, _ = usage_of([row(provisioned="lots"),
                         row(customer="Stark Logistics", product_name="Hosted Email Security")])
    with pytest.raises(SourceError, match="LMPI 2026-11 row 1: provisioned 'lots' is not a number"):
        month.chargeable(ACME, "wfbss")
    assert month.chargeable(STARK, "hes") == 35


def test_service_plans_are_added_up_and_unmapped_products_ignored_and_listed():
    month, _ = usage_of([row(service_plan="Full", used=30), row(service_plan="Trial", used=5),
                         row(product_name="Deep Security", service_plan="Per hour")])
    assert month.chargeable(ACME, "wfbss") == 35
    # listed per customer, resolved like billing (LMPI names customers in its rows)
    [unmapped] = month.unmapped_for(ACME)
    assert (unmapped.product, unmapped.origin) == ("'Deep Security' plan 'Per hour'",
                                                   "LMPI 2026-11 row 3")
    assert month.unmapped_for(STARK) == ()
    assert unmapped_products(month) == (
        UnmappedProduct("Deep Security", "Per hour", ("Acme Corporation",)),)
    # for doctor: only the fleet's customers, named by their ids; one LMPI cannot resolve
    # is left out
    unknown = "00000000-0000-4000-8000-000000000000"
    assert unmapped_products(month, [ACME, STARK, unknown]) == (
        UnmappedProduct("Deep Security", "Per hour", (ACME,)),)


def test_an_unmapped_plan_of_a_billed_product_fails_its_billing_naming_the_setting():
    products = {**PRODUCTS, "wfbss": Product("wfbss", "Worry-Free Business Security Services",
                                             "TM-WFBSS", service_plans=("Full",))}
    month, _ = usage_of([row(service_plan="Full"), row(service_plan="Advanced")],
                        products=products)
    with pytest.raises(SourceError, match=re.escape(
            "service plan 'Advanced' of 'Worry-Free Business Security Services' is not mapped "
            "to a product: list it in products.wfbss.lmpi.service_plans")):
        month.chargeable(ACME, "wfbss")


def test_two_customers_with_one_name_are_an_error_for_both_never_a_pick():
    twin = "11111111-2222-4333-8444-555555555555"
    customers = {"customers": [*CUSTOMERS["customers"], {"customer_id": twin,
                                                         "name": "Acme Corporation"}]}
    month, _ = usage_of([row()], customers=customers)
    for customer_id in (ACME, twin):
        with pytest.raises(SourceError, match=f"LMPI has 2 customers named 'Acme Corporation' "
                           f"\\({twin}, {ACME}\\)"):
            month.chargeable(customer_id, "wfbss")
    assert month.chargeable(STARK, "wfbss") is None  # the others are unaffected


def test_one_plan_twice_for_a_name_and_mixed_units_are_errors():
    month, _ = usage_of([row(), row(used=3)])
    with pytest.raises(SourceError, match="service plan 'Full' is reported twice for "
                       "'Acme Corporation'"):
        month.chargeable(ACME, "wfbss")
    month, _ = usage_of([row(unit="Seats"), row(service_plan="Trial", unit="Users")])
    with pytest.raises(SourceError, match="count different units"):
        month.chargeable(ACME, "wfbss")


def test_an_id_lmpi_does_not_know_and_a_name_without_rows():
    month, _ = usage_of([row()])
    with pytest.raises(SourceError, match=r"LMPI has no customer with id 0000.*customer_id"):
        month.chargeable("00000000-0000-4000-8000-000000000000", "wfbss")
    assert month.chargeable(STARK, "wfbss") is None  # known, but no row: missing usage


def test_customer_list_is_read_page_by_page():
    people = [{"customer_id": f"00000000-0000-4000-8000-{n:012d}", "name": f"Customer {n}"}
              for n in range(250)]
    pages = [{"paging": {"total": 250, "limit": 100, "page": p + 1},
              "customers": people[p * 100:(p + 1) * 100]} for p in range(3)]
    fake, seen = scripted({"summary": [row(customer="Customer 249")]}, pages=pages)
    source = LmpiUsageSource("http://lmpi", PRODUCTS, token="t", secret="s", transport=fake)
    assert source.usage(2026, 11).chargeable(people[249]["customer_id"], "wfbss") == 35
    assert [r.url.params.get("page") for r in seen[1:]] == ["1", "2", "3"]


@pytest.mark.parametrize("body, message", [
    ({"items": []}, "has no 'summary' list"),
    ([], "has no 'summary' list"),
    ({"summary": "many"}, "has no 'summary' list"),
    ({"summary": [5]}, "row 1: expected an object"),
])
def test_a_report_of_another_shape_is_refused(body, message):
    fake, _ = scripted(body, CUSTOMERS)
    source = LmpiUsageSource("http://lmpi", PRODUCTS, token="t", secret="s", transport=fake)
    with pytest.raises(SourceError, match=message):
        source.usage(2026, 11)


def test_an_empty_month_as_null_or_empty_list_has_no_usage():
    for body in ({"summary": None}, {"summary": []}):
        fake, _ = scripted(body, CUSTOMERS)
        source = LmpiUsageSource("http://lmpi", PRODUCTS, token="t", secret="s", transport=fake)
        assert source.usage(2026, 11).chargeable(ACME, "wfbss") is None


def test_a_refused_request_names_lmpis_message():
    fake, _ = scripted({"error_code": 400002, "message": "report_cycle_year is invalid"},
                       status=400)
    source = LmpiUsageSource("http://lmpi", PRODUCTS, token="t", secret="s", transport=fake)
    with pytest.raises(SourceError, match="LMPI answered 400 for the 2026-11 usage report: "
                       "report_cycle_year is invalid \\(code 400002\\)"):
        source.usage(2026, 11)


def test_wrong_secret_is_refused_without_leaking_it():
    source = LmpiUsageSource("http://lmpi", PRODUCTS, token="tok-XYZ", secret="hush-123",
                             transport=transport(create_app()))
    with pytest.raises(SourceError) as info:
        source.usage(2026, 11)
    assert "refused the credentials" in str(info.value)
    assert "hush-123" not in str(info.value) and "tok-XYZ" not in str(info.value)
    assert "hush-123" not in repr(source) and "tok-XYZ" not in repr(source)
    assert "hush-123" not in repr(source.client)


class Flaky(httpx.BaseTransport):
    """Fails the first requests in a scripted way, then lets them through."""

    def __init__(self, inner, script):
        self.inner, self.script, self.seen, self.signatures = inner, list(script), 0, []

    def handle_request(self, request):
        self.seen += 1
        self.signatures.append(request.headers["x-signature"])
        if self.script:
            step = self.script.pop(0)
            if step == "drop":
                raise httpx.RemoteProtocolError("Server disconnected", request=request)
            return httpx.Response(step, headers={"Retry-After": "2"} if step == 429 else {},
                                  text="busy")
        return self.inner.handle_request(request)


def test_429_5xx_and_drops_are_retried_with_fresh_signatures():
    sleeps, ticks = [], iter(range(1_795_000_000, 1_795_001_000))
    app = create_app(clock=lambda: datetime.fromtimestamp(1_795_000_004, UTC))
    flaky = Flaky(transport(app), [429, 503, "drop"])
    source = LmpiUsageSource("http://lmpi", PRODUCTS, token=SANDBOX_TOKEN,
                             secret=SANDBOX_SECRET, transport=flaky, sleep=sleeps.append,
                             clock=lambda: float(next(ticks)))
    check_report(source)
    assert flaky.seen == 5  # three faults, the report, one page of customers
    assert sleeps[0] == 2.0  # Retry-After honoured
    assert len(set(flaky.signatures[:4])) == 4  # each attempt signed afresh (new time)


class DatedRetryAfter(httpx.BaseTransport):
    """429 once, asking for a wait as an HTTP date 20 s after the server's own Date."""

    def __init__(self, inner):
        self.inner, self.seen = inner, 0

    def handle_request(self, request):
        self.seen += 1
        if self.seen == 1:
            return httpx.Response(429, headers={"Date": "Wed, 25 Nov 2026 12:00:00 GMT",
                                                "Retry-After": "Wed, 25 Nov 2026 12:00:20 GMT"})
        return self.inner.handle_request(request)


def test_retry_after_as_an_http_date_is_honoured_like_connectwise():
    """The shared retry policy (reconciler.net.retry), not a seconds-only copy."""
    sleeps = []
    source = LmpiUsageSource("http://lmpi", PRODUCTS, token=SANDBOX_TOKEN, secret=SANDBOX_SECRET,
                             transport=DatedRetryAfter(transport(create_app())),
                             sleep=sleeps.append)
    check_report(source)
    assert sleeps == [20.0]


def test_gives_up_after_bounded_attempts():
    flaky = Flaky(transport(create_app()), [502] * 10)
    source = LmpiUsageSource("http://lmpi", PRODUCTS, token=SANDBOX_TOKEN,
                             secret=SANDBOX_SECRET, transport=flaky, sleep=lambda s: None)
    with pytest.raises(SourceError, match="LMPI 2026-11 usage report unavailable after 4 "
                       "attempts: 502 Bad Gateway"):
        source.usage(2026, 11)
    with pytest.raises(SourceError):  # the failure is remembered for the run
        source.usage(2026, 11)
    assert flaky.seen == 4


def test_real_lmpi_needs_credentials_from_the_environment_and_https():
    with pytest.raises(SourceError, match="LMPI_ACCESS_TOKEN and LMPI_SECRET_KEY"):
        lmpi_from_settings("https://lmpi.example.com", PRODUCTS, env={})
    env = {"LMPI_ACCESS_TOKEN": "t", "LMPI_SECRET_KEY": "s"}
    with pytest.raises(SourceError, match=r"uses plain http:// to 'lmpi\.example\.com'"):
        lmpi_from_settings("http://lmpi.example.com", PRODUCTS, env=env)
    with pytest.raises(SourceError, match="contains credentials"):
        lmpi_from_settings("https://u:p@lmpi.example.com", PRODUCTS, env=env)
    source = lmpi_from_settings("https://cspi.trendmicro.com/", PRODUCTS, env=env)
    assert source.url == "https://cspi.trendmicro.com"
