"""Checks across files and against reconciler.yaml, each at the offending node."""
# ruff: noqa: E501  (expected messages are quoted whole, one per line, to be greppable)

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.config import validate
from tests.config.conftest import FLEET, replace_line

SETTINGS = "reconciler.yaml"


def messages(*paths: str) -> list[str]:
    return [str(d) for d in validate(FLEET, list(paths))]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "unknown-product.yaml",
            [
                "bad/unknown-product.yaml:8:3: error: unknown product 'wfbs' in agreements (did you mean 'wfbss'?)",
                "bad/unknown-product.yaml:13:16: error: unknown product 'apexone' (did you mean 'apex-one'?)",
            ],
        ),
        (
            "unknown-detection.yaml",
            [
                "bad/unknown-detection.yaml:11:24: error: unknown Hosted Email Security detection 'phising' (did you mean 'phishing'?)",
                "bad/unknown-detection.yaml:15:24: error: detection 'malware_ml' exists only in the advanced edition of Email Security; this customer's edition is standard",
            ],
        ),
        ("custom-beside-global.yaml", ["bad/custom-beside-global.yaml:8:1: error: a custom block beside `settings: global` would be ignored; remove it or set `settings: custom`"]),
        ("custom-missing.yaml", ["bad/custom-missing.yaml:7:11: error: `settings: custom` needs a `custom` block"]),
        ("unsafe-agreement-name.yaml", ["""bad/unsafe-agreement-name.yaml:10:11: error: agreements.wfbss.name 'Initech – Endpoint' contains '–', which cannot be put safely into a ConnectWise condition (allowed: letters, digits, space and ASCII punctuation except " and \\)"""]),
    ],
)  # fmt: skip
def test_semantic_error_is_located(name: str, expected: list[str]) -> None:
    assert messages(f"bad/{name}") == expected


def test_two_files_for_one_company_name_both_files() -> None:
    # identifiers compare case-insensitively, like ConnectWise does
    assert messages("customers", "bad/acme-again.yaml") == [
        "bad/acme-again.yaml:3:12: error: ConnectWise company 'acme' is also used by customers/acme.yaml:3; one file per customer"
    ]


def test_two_files_for_one_trend_micro_customer(tmp_path: Path) -> None:
    twin = tmp_path / "acme-twin.yaml"
    text = (FLEET / "customers" / "acme.yaml").read_text().replace("company: ACME", "company: ACME2")
    twin.write_text(text)
    assert [d.message for d in validate(FLEET, ["customers", str(twin)])] == [
        "Trend Micro customer ID '6f1c2a9e-0d4b-4c61-9a57-1b2f0e8c3a01' is also used by customers/acme.yaml:5; one file per customer"
    ]


def test_same_slug_in_two_folders(tmp_path: Path) -> None:
    other = tmp_path / "acme.yaml"
    other.write_text((FLEET / "customers" / "globex.yaml").read_text().replace("GLOBEX", "GLOBEX2").replace("0b7d5e3c", "0b7d5e3d").replace("globex.example", "globex2.example"))
    assert [d.message for d in validate(FLEET, ["customers", str(other)])] == [
        "customer slug 'acme' is also the name of customers/acme.yaml; file names must be unique"
    ]


def test_one_mail_domain_in_two_files(tmp_path: Path) -> None:
    # a domain's logs would count for both customers: refused, any case
    twin = tmp_path / "globex-twin.yaml"
    text = (FLEET / "customers" / "globex.yaml").read_text()
    twin.write_text(text.replace("GLOBEX", "GLOBEX2").replace("0b7d5e3c", "0b7d5e3d")
                    .replace("[globex.example, mail.globex.example]", "[other.example, mail.globex.example]"))
    assert [str(d) for d in validate(FLEET, ["customers", str(twin)])] == [
        f"{twin}:6:34: error: mail domain 'mail.globex.example' is also listed by customers/globex.yaml:6; a domain's detections belong to one customer"
    ]


def test_lmpi_rows_belong_to_one_product(tmp_path: Path) -> None:
    root = tmp_path / "fleet"
    shutil.copytree(FLEET, root)
    settings = root / "reconciler.yaml"
    text = settings.read_text()
    text = text.replace("  hes: {name: Hosted Email Security, catalog_item: TM-HES}\n",
                        "  hes: {name: Hosted Email Security, catalog_item: TM-HES}\n"
                        "  hes-trial: {name: Hosted Email Security, catalog_item: TM-HES-T}\n"
                        "  apex-two: {name: Apex Two, catalog_item: TM-APEX2,\n"
                        "             lmpi: {product_name: apex one as a service, service_plans: [Full]}}\n"
                        "  apex-three: {name: Apex Three, catalog_item: TM-APEX3,\n"
                        "               lmpi: {product_name: Apex One as a Service, service_plans: [Trial, FULL]}}\n")
    settings.write_text(text)
    assert [str(d) for d in validate(root, ["reconciler.yaml"])] == [
        "reconciler.yaml:10:3: error: products 'hes' and 'hes-trial' both take every service plan of LMPI product 'Hosted Email Security'; give one of them lmpi.service_plans",
        "reconciler.yaml:14:83: error: service plan 'FULL' of LMPI product 'Apex One as a Service' is also listed by product 'apex-two'; a usage row must belong to one product",
    ]


def test_collection_event_names_are_email_security_detections(tmp_path: Path) -> None:
    root = tmp_path / "fleet"
    shutil.copytree(FLEET, root)
    with (root / "reconciler.yaml").open("a") as handle:
        handle.write("sources:\n  detections:\n    kind: file\n    path: data/detections\n"
                     "    email_security:\n      url: http://tmems.example.com\n"
                     "      events:\n        malwre: {event: threat}\n"
                     "      path: ../elsewhere\n")
    (root / "customers" / "acme.yaml").write_text(
        (root / "customers" / "acme.yaml").read_text().replace(
            "trend_micro:\n", "trend_micro:\n  email_domains: [acme.example]\n"))
    assert [str(d) for d in validate(root)] == [
        "reconciler.yaml:33:12: error: sources.detections.email_security.url uses plain http:// to 'tmems.example.com'; use https:// (http:// only to loopback: 127.0.0.0/8, ::1 or localhost)",
        "reconciler.yaml:35:9: error: unknown Email Security detection 'malwre' (did you mean 'malware'?)",
        "reconciler.yaml:36:13: error: sources.detections.email_security.path '../elsewhere' must be a folder inside the fleet root (relative, without '..')",
    ]


# -- reconciler.yaml ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "replacement", "expected"),
    [
        ("  url: sandbox", "  url: http://cw.example.com", "reconciler.yaml:3:8: error: connectwise.url uses plain http:// to 'cw.example.com'; use https:// (http:// only to loopback: 127.0.0.0/8, ::1 or localhost)"),
        ("  url: sandbox", "  url: ftp://cw.example.com", "reconciler.yaml:3:8: error: connectwise.url must be 'sandbox' or https://<site> (http:// only to loopback)"),
        ("  url: sandbox", "  url: https://[::1", "reconciler.yaml:3:8: error: connectwise.url has an unclosed [IPv6] host"),
        ("  url: sandbox", "  url: http://localhost.evil.example", "reconciler.yaml:3:8: error: connectwise.url uses plain http:// to 'localhost.evil.example'; use https:// (http:// only to loopback: 127.0.0.0/8, ::1 or localhost)"),
        ("  url: sandbox", "  url: Sandbox", "reconciler.yaml:3:8: error: connectwise.url is not a URL; expected 'sandbox' or https://<site>"),
        ("timezone: Europe/London", "timezone: Europe/Londn", "reconciler.yaml:4:11: error: timezone 'Europe/Londn' is not an IANA time zone (did you mean 'Europe/London'?)"),
        ("timezone: Europe/London", "timezone: ../../etc/passwd", "reconciler.yaml:4:11: error: timezone '../../etc/passwd' is not an IANA time zone (e.g. 'America/New_York')"),
        ("  hes: {name: Hosted Email Security, catalog_item: TM-HES}", "  hes: {name: Hosted Email Security, catalog_item: TM-WFBSS}", "reconciler.yaml:9:52: error: catalog item 'TM-WFBSS' is also used by product 'wfbss'; each product needs its own"),
        ("    products: [wfbss]", "    products: [wfbss, tmems]", "reconciler.yaml:18:23: error: unknown product 'tmems' (known: wfbss, apex-one, hes)"),
        ("  status: New", "  status: Nouveau ☺", "reconciler.yaml:24:11: error: tickets.status 'Nouveau ☺' contains '☺', which cannot be put safely into a ConnectWise condition (allowed: letters, digits, space and ASCII punctuation except \" and \\)"),
    ],
)  # fmt: skip
def test_settings_error_is_located(fleet_copy: Path, line: str, replacement: str, expected: str) -> None:
    replace_line(fleet_copy / SETTINGS, line, replacement)
    assert [str(d) for d in validate(fleet_copy)] == [expected]


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://127.0.0.2:9", "http://localhost", "http://[::1]:9000", "https://na.myconnectwise.net"])
def test_acceptable_urls(fleet_copy: Path, url: str) -> None:
    replace_line(fleet_copy / SETTINGS, "  url: sandbox", f"  url: {url}")
    assert validate(fleet_copy) == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://admin:S3cr3t-pw@cw.example.com", "reconciler.yaml:3:8: error: connectwise.url contains credentials (user:password@host); remove them: credentials come only from the environment"),
        ("http://S3cr3t-pw@127.0.0.1", "reconciler.yaml:3:8: error: connectwise.url contains credentials (user:password@host); remove them: credentials come only from the environment"),
        # a private key pasted into the port position
        ("https://na.myconnectwise.net:S3cr3t-pw/", "reconciler.yaml:3:8: error: connectwise.url has a port that is not a number from 1 to 65535 (the value is not shown)"),
    ],
)  # fmt: skip
def test_url_with_credentials_is_refused_without_echoing_them(fleet_copy: Path, url: str, expected: str) -> None:
    replace_line(fleet_copy / SETTINGS, "  url: sandbox", f"  url: {url}")
    found = [str(d) for d in validate(fleet_copy)]
    assert found == [expected]
    assert "S3cr3t" not in "".join(found)


def test_credentials_never_echoed_by_schema_messages(fleet_copy: Path) -> None:
    # a wrong-typed sibling makes the schema report on the mapping holding the secret URL
    replace_line(fleet_copy / SETTINGS, "  url: sandbox", "  url: https://me:S3cr3t-pw@cw.example.com\n  concurrency: [many]")
    found = "\n".join(str(d) for d in validate(fleet_copy))
    assert "connectwise.concurrency must be a whole number, not a list" in found
    assert "S3cr3t" not in found


def test_lmpi_source_url_is_checked_too(fleet_copy: Path) -> None:
    with (fleet_copy / SETTINGS).open("a") as f:
        f.write("sources:\n  detections:\n    kind: lmpi\n    url: http://lmpi.example.com\n")
    assert [str(d) for d in validate(fleet_copy)] == [
        "reconciler.yaml:31:10: error: sources.detections.url uses plain http:// to 'lmpi.example.com'; use https:// (http:// only to loopback: 127.0.0.0/8, ::1 or localhost)"
    ]


def test_unknown_quantity_exception_is_a_warning_only(fleet_copy: Path) -> None:
    replace_line(fleet_copy / SETTINGS, "  quantity_exceptions: [acme]", "  quantity_exceptions: [acme, globx]")
    found = validate(fleet_copy)
    assert [str(d) for d in found] == [
        "reconciler.yaml:27:31: warning: quantity_exceptions names 'globx', which is not a customer file (did you mean 'globex'?)"
    ]


def test_quantity_exception_slug_counts_all_customer_files_even_when_paths_limit() -> None:
    # only globex is loaded, but acme (named in quantity_exceptions) still exists
    assert messages("customers/globex.yaml") == []


def test_product_and_detection_checks_skip_when_settings_unreadable(fleet_copy: Path) -> None:
    (fleet_copy / SETTINGS).write_text("connectwise: [\n")
    found = [str(d) for d in validate(fleet_copy)]
    assert found == ["reconciler.yaml:2:1: error: invalid YAML: did not find expected node content (while parsing a flow node)"]
