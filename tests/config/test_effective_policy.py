"""The typed, immutable Fleet: every field filled, the effective policy resolved."""
# ruff: noqa: E501  (expected values are quoted whole)

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from reconciler.config import FleetInvalid, load_fleet, validate
from reconciler.config.model import (
    DEFAULT_AGREEMENT,
    AgreementRef,
    BillingPolicy,
    EventMatch,
    Policy,
    SummaryPolicy,
)
from reconciler.errors import ConfigError
from tests.config.conftest import FLEET, REPO, replace_line


def test_example_fleet_validates_with_zero_diagnostics() -> None:
    assert validate(REPO) == []


def test_example_fleet_global_customer_uses_the_global_notifications() -> None:
    fleet = load_fleet(REPO)
    globex = next(c for c in fleet.customers if c.slug == "globex")
    assert globex.settings == "global"
    assert globex.policy == fleet.settings.notifications
    assert globex.billed_products == ("wfbss", "hes")


def test_example_fleet_is_sorted_and_paths_are_root_relative() -> None:
    fleet = load_fleet(REPO)
    slugs = [c.slug for c in fleet.customers]
    assert slugs == sorted(slugs) and len(slugs) >= 8
    assert all(c.path == f"customers/{c.slug}.yaml" for c in fleet.customers)


def test_custom_customer_policy_is_its_custom_block() -> None:
    acme = load_fleet(FLEET).customers[0]
    assert acme.slug == "acme" and acme.settings == "custom"
    assert acme.policy == Policy(
        billing=BillingPolicy(day=31, products=("wfbss", "apex-one")),
        hosted_email_security=None,  # left out: that send is off
        email_security=SummaryPolicy(
            every="month", detections=("spam", "malware_ml"), edition="advanced"
        ),
    )
    assert acme.agreement_for("wfbss") is DEFAULT_AGREEMENT
    assert acme.agreement_for("apex-one") == AgreementRef("Managed Service", "ACME Endpoint Protection")
    assert acme.agreement_for("hes") is DEFAULT_AGREEMENT  # not listed: default agreement


def test_every_customer_field_is_filled() -> None:
    globex = load_fleet(FLEET).customers[1]
    # (dataclasses.asdict cannot copy the read-only mappings, so compare field by field)
    fields = {f.name: getattr(globex, f.name) for f in dataclasses.fields(globex)}
    fields["agreements"] = dict(fields["agreements"])
    fields["policy"] = dataclasses.asdict(fields["policy"])
    assert fields == {
        "slug": "globex",
        "path": "customers/globex.yaml",
        "name": "Globex Industries",
        "company": "GLOBEX",
        "trend_micro_id": "0b7d5e3c-8f2a-4e19-b6c4-2d9a7f1e5b02",
        "enabled": False,
        "settings": "global",
        "agreements": {},
        "policy": {
            "billing": {"day": 1, "products": ("wfbss",)},
            "hosted_email_security": {"every": "week", "detections": ("spam", "phishing"), "edition": None},
            "email_security": None,
        },
        "email_domains": ("globex.example", "mail.globex.example"),
    }  # fmt: skip


def test_settings_fields_and_defaults() -> None:
    settings = load_fleet(FLEET).settings
    assert settings.path == "reconciler.yaml"
    assert (settings.connectwise.url, settings.connectwise.rate_limit_per_minute) == ("sandbox", 900)
    assert (settings.connectwise.concurrency, settings.connectwise.page_size) == (8, 1000)
    assert settings.connectwise.api_version == "2025.1"
    assert (settings.timezone, settings.send_at) == ("Europe/London", "07:30")
    assert settings.products["apex-one"].catalog_item == "TM-APEXONE"
    assert settings.catalog_items() == {"TM-WFBSS", "TM-APEXONE", "TM-HES"}
    assert settings.default_agreement_types == ("TMRM Management Solution", "Managed Service")
    assert settings.hes_detections == ("spam", "phishing", "virus", "malware")
    assert settings.ems_detections["advanced"][-1] == "malware_ml"
    assert (settings.tickets.board, settings.tickets.type) == ("Billing", None)
    assert (settings.usage_source.kind, settings.usage_source.path) == ("file", "data/usage")
    assert settings.detection_source.path == "data/detections"
    assert settings.safety.max_cancel_percent == 30.0
    assert settings.safety.quantity_exceptions == ("acme",)
    assert settings.lookback_days == 62


def test_explicit_settings_override_defaults(fleet_copy: Path) -> None:
    replace_line(fleet_copy / "reconciler.yaml", "  url: sandbox",
                 '  url: https://cw.example.com\n  page_size: 250\n  api_version: "2024.3"')
    with (fleet_copy / "reconciler.yaml").open("a") as f:
        f.write("  max_cancel_percent: 10\nlookback_days: 7\nsources:\n  usage: {kind: lmpi, url: sandbox}\n")
    settings = load_fleet(fleet_copy).settings
    assert (settings.connectwise.url, settings.connectwise.page_size) == ("https://cw.example.com", 250)
    assert settings.connectwise.api_version == "2024.3"
    assert settings.safety.max_cancel_percent == 10.0 and settings.lookback_days == 7
    assert (settings.usage_source.kind, settings.usage_source.url) == ("lmpi", "sandbox")
    assert settings.detection_source.kind == "file"  # the other source keeps its default


def test_lmpi_product_mapping_api_version_and_collection(fleet_copy: Path) -> None:
    text = (fleet_copy / "reconciler.yaml").read_text()
    old = "catalog_item: TM-APEXONE}"
    assert old in text
    text = text.replace(old, "catalog_item: TM-APEXONE,\n"
                        "             lmpi: {product_name: TM-ApexOne-SaaS, service_plans: [Full, Trial]}}")
    text += ("sources:\n  usage: {kind: lmpi, url: sandbox, api_version: v2}\n"
             "  detections:\n    kind: file\n    path: data/detections\n"
             "    email_security:\n      url: https://api.tmes.trendmicro.eu\n"
             "      events:\n        spam: {event: spam, types: [Spam]}\n")
    (fleet_copy / "reconciler.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"acme.yaml:5:3: error: .* trend_micro.email_domains"):
        load_fleet(fleet_copy)  # acme gets Email Security summaries: collected by domain
    acme = fleet_copy / "customers" / "acme.yaml"
    acme.write_text(acme.read_text().replace("trend_micro:\n", "trend_micro:\n"
                                             "  email_domains: [acme.example]\n"))
    settings = load_fleet(fleet_copy).settings
    apex, hes = settings.products["apex-one"], settings.products["hes"]
    assert (apex.lmpi_product_name, apex.service_plans) == ("TM-ApexOne-SaaS", ("Full", "Trial"))
    assert (hes.lmpi_product_name, hes.service_plans) == (hes.name, None)  # defaults
    assert settings.usage_source.api_version == "v2"
    collection = settings.collection
    assert collection is not None and collection.url == "https://api.tmes.trendmicro.eu"
    assert collection.path == "data/collected/email_security"  # the default
    assert dict(collection.events) == {"spam": EventMatch("spam", ("Spam",), ())}
    assert load_fleet(FLEET).settings.collection is None  # off unless configured


def test_fleet_is_immutable() -> None:
    fleet = load_fleet(FLEET)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fleet.customers[0].company = "OTHER"  # type: ignore[misc]
    with pytest.raises(TypeError):
        fleet.settings.products["new"] = fleet.settings.products["hes"]  # type: ignore[index]
    with pytest.raises(TypeError):
        fleet.customers[0].agreements["hes"] = DEFAULT_AGREEMENT  # type: ignore[index]
    assert isinstance(fleet.customers, tuple)


def test_paths_limit_the_customers_loaded() -> None:
    fleet = load_fleet(FLEET, paths=["customers/globex.yaml"])
    assert [c.slug for c in fleet.customers] == ["globex"]


def test_warnings_do_not_stop_loading_and_are_kept(fleet_copy: Path) -> None:
    replace_line(fleet_copy / "reconciler.yaml", "  quantity_exceptions: [acme]", "  quantity_exceptions: [nobody]")
    fleet = load_fleet(fleet_copy)
    assert [d.severity for d in fleet.warnings] == ["warning"]


def test_invalid_fleet_raises_with_every_diagnostic() -> None:
    with pytest.raises(FleetInvalid) as caught:
        load_fleet(FLEET, paths=["bad/unknown-product.yaml", "bad/list.yaml"])
    error = caught.value
    assert isinstance(error, ConfigError)
    assert len(error.diagnostics) == 3 and len(error.errors) == 3
    lines = str(error).splitlines()
    assert lines[0] == "3 errors in the configuration:"
    assert lines[1] == "bad/list.yaml:1:1: error: top level must be a mapping of keys to values, not a list"
    assert lines[2].startswith("bad/unknown-product.yaml:8:3: error: unknown product 'wfbs'")
    assert lines[3].startswith("bad/unknown-product.yaml:13:16: error: unknown product 'apexone'")
