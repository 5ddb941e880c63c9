"""Partial loading: one bad customer file is left out with its errors, the rest loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.config import FleetInvalid, load_fleet, validate
from tests.config.conftest import replace_line


def test_a_bad_file_is_rejected_with_its_errors_and_the_others_load(fleet_copy: Path) -> None:
    replace_line(fleet_copy / "customers/acme.yaml", "    day: 31", "    day: 32")

    fleet = load_fleet(fleet_copy, partial=True)

    assert [c.slug for c in fleet.customers] == ["globex"]
    [rejected] = fleet.rejected
    assert (rejected.slug, rejected.path, rejected.company) == (
        "acme",
        "customers/acme.yaml",
        "ACME",
    )
    assert rejected.messages() == (
        "customers/acme.yaml:15:10: custom.billing.day is 32; the maximum is 31",
    )


def test_strict_loading_and_validate_are_unchanged(fleet_copy: Path) -> None:
    replace_line(fleet_copy / "customers/acme.yaml", "    day: 31", "    day: 32")

    with pytest.raises(FleetInvalid, match=r"customers/acme.yaml:15:10"):
        load_fleet(fleet_copy)
    assert [str(d) for d in validate(fleet_copy)] == [
        "customers/acme.yaml:15:10: error: custom.billing.day is 32; the maximum is 31"
    ]


def test_a_valid_fleet_has_nothing_rejected(fleet_copy: Path) -> None:
    assert load_fleet(fleet_copy, partial=True).rejected == ()
    assert load_fleet(fleet_copy).rejected == ()


def test_an_unparsable_file_is_rejected_without_a_company(fleet_copy: Path) -> None:
    (fleet_copy / "customers/acme.yaml").write_text("name: [unclosed\n", encoding="utf-8")

    fleet = load_fleet(fleet_copy, partial=True)

    assert [c.slug for c in fleet.customers] == ["globex"]
    [rejected] = fleet.rejected
    assert rejected.company is None
    assert rejected.messages()[0].startswith("customers/acme.yaml:")


def test_an_error_in_reconciler_yaml_still_stops_everything(fleet_copy: Path) -> None:
    replace_line(fleet_copy / "reconciler.yaml", "timezone: Europe/London",
                 "timezone: Europe/Londn")

    with pytest.raises(FleetInvalid, match=r"reconciler.yaml:\d+:\d+: error: .*Europe/Londn"):
        load_fleet(fleet_copy, partial=True)


def test_two_files_for_one_company_are_both_rejected(fleet_copy: Path) -> None:
    shutil.copy(fleet_copy / "customers/acme.yaml", fleet_copy / "customers/acme-2.yaml")

    fleet = load_fleet(fleet_copy, partial=True)

    assert [c.slug for c in fleet.customers] == ["globex"]
    assert [(r.slug, r.company) for r in fleet.rejected] == [
        ("acme-2", "ACME"),
        ("acme", "ACME"),
    ]
    by_slug = {r.slug: r.messages() for r in fleet.rejected}
    assert (
        "customers/acme.yaml:3:12: ConnectWise company 'ACME' is also used by "
        "customers/acme-2.yaml:3; one file per customer"
    ) in by_slug["acme"]
    assert (
        "customers/acme-2.yaml:3:12: ConnectWise company 'ACME' is also used by "
        "customers/acme.yaml:3; one file per customer"
    ) in by_slug["acme-2"]


def test_two_files_with_one_slug_are_both_rejected(fleet_copy: Path) -> None:
    (fleet_copy / "customers/eu").mkdir()
    text = (fleet_copy / "customers/globex.yaml").read_text(encoding="utf-8")
    (fleet_copy / "customers/eu/acme.yaml").write_text(
        text.replace("GLOBEX", "GLOBEXEU").replace("0b7d5e3c", "1b7d5e3c")
        .replace("globex.example", "globex-eu.example"), encoding="utf-8"
    )

    fleet = load_fleet(fleet_copy, partial=True)

    assert [c.slug for c in fleet.customers] == ["globex"]
    assert sorted(r.path for r in fleet.rejected) == ["customers/acme.yaml",
                                                      "customers/eu/acme.yaml"]


def test_warnings_stay_warnings_and_a_rejected_files_warnings_stay_with_it(
    fleet_copy: Path,
) -> None:
    # quantity_exceptions names a slug with no file: a warning on reconciler.yaml
    replace_line(fleet_copy / "reconciler.yaml", "  quantity_exceptions: [acme]",
                 "  quantity_exceptions: [acme, nobody]")
    replace_line(fleet_copy / "customers/acme.yaml", "    day: 31", "    day: 0")

    fleet = load_fleet(fleet_copy, partial=True)

    assert [d.path for d in fleet.warnings] == ["reconciler.yaml"]
    assert [c.slug for c in fleet.customers] == ["globex"]
    assert all(d.path == "customers/acme.yaml" for d in fleet.rejected[0].diagnostics)
