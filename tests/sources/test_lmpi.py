"""The LMPI source: signed requests to the sandbox's summary report, over real HTTP on
127.0.0.1 and in process; retries on 429/5xx/drops; credentials never shown."""

import httpx
import pytest

from reconciler.config.model import Product
from reconciler.sandbox import create_app, serve, transport
from reconciler.sources import LmpiUsageSource, SourceError
from reconciler.sources.lmpi import SANDBOX_SECRET, SANDBOX_TOKEN, lmpi_from_settings

PRODUCTS = {
    "wfbss": Product("wfbss", "Worry-Free Business Security Services", "TM-WFBSS"),
    "hes": Product("hes", "Hosted Email Security", "TM-HES"),
}
ACME = "6f1c2a9e-0d4b-4c61-9a57-1b2f0e8c3a01"
STARK = "2c5f8a1d-6e3b-4d97-b2a8-9f1e4c6d8b06"


def check_report(source) -> None:
    month = source.usage(2026, 11)
    assert month.chargeable(ACME, "wfbss") == 42  # used where reported
    assert [line.used for line in month.lines_for(STARK, "hes")] == [None]
    assert month.chargeable(STARK, "hes") == 75  # provisioned when used is not reported
    assert month.chargeable(ACME, "hes") is None


def test_signed_report_over_real_http():
    with serve(create_app()) as url:
        assert url.startswith("http://127.0.0.1:")
        source = LmpiUsageSource(url, PRODUCTS, token=SANDBOX_TOKEN, secret=SANDBOX_SECRET)
        check_report(source)
        source.usage(2026, 11)
        assert source.request_count == 1  # a month is read once per run


def test_sandbox_url_goes_through_the_transport_the_runtime_builds():
    check_report(lmpi_from_settings("sandbox", PRODUCTS, env={},
                                    transport=transport(create_app())))
    with pytest.raises(SourceError, match="only reconciler's runtime starts"):
        lmpi_from_settings("sandbox", PRODUCTS, env={})


def test_wrong_secret_is_refused_without_leaking_it():
    source = LmpiUsageSource("http://lmpi", PRODUCTS, token="tok-XYZ", secret="hush-123",
                             transport=transport(create_app()))
    with pytest.raises(SourceError) as info:
        source.usage(2026, 11)
    assert "refused the credentials" in str(info.value)
    assert "hush-123" not in str(info.value) and "tok-XYZ" not in str(info.value)
    assert "hush-123" not in repr(source) and "tok-XYZ" not in repr(source)


class Flaky(httpx.BaseTransport):
    """Fails the first requests in a scripted way, then lets them through."""

    def __init__(self, inner, script):
        self.inner, self.script, self.seen = inner, list(script), 0

    def handle_request(self, request):
        self.seen += 1
        if self.script:
            step = self.script.pop(0)
            if step == "drop":
                raise httpx.RemoteProtocolError("Server disconnected", request=request)
            return httpx.Response(step, headers={"Retry-After": "2"} if step == 429 else {},
                                  text="busy")
        return self.inner.handle_request(request)


def test_429_5xx_and_drops_are_retried_with_fresh_signatures():
    sleeps = []
    flaky = Flaky(transport(create_app()), [429, 503, "drop"])
    source = LmpiUsageSource("http://lmpi", PRODUCTS, token=SANDBOX_TOKEN,
                             secret=SANDBOX_SECRET, transport=flaky, sleep=sleeps.append)
    check_report(source)
    assert flaky.seen == 4
    assert sleeps[0] == 2.0  # Retry-After honoured


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
    with pytest.raises(SourceError, match="unavailable after 4 attempts: 502 from LMPI"):
        source.usage(2026, 11)
    with pytest.raises(SourceError):  # the failure is remembered for the run
        source.usage(2026, 11)
    assert flaky.seen == 4


def test_real_lmpi_needs_credentials_from_the_environment():
    with pytest.raises(SourceError, match="LMPI_ACCESS_TOKEN and LMPI_SECRET_KEY"):
        lmpi_from_settings("https://lmpi.example.com", PRODUCTS, env={})
    with pytest.raises(SourceError, match=r"uses plain http:// to 'lmpi\.example\.com'"):
        lmpi_from_settings("http://lmpi.example.com", PRODUCTS,
                           env={"LMPI_ACCESS_TOKEN": "t", "LMPI_SECRET_KEY": "s"})
