from pathlib import Path

import pytest

from reconciler.config.model import Fleet
from reconciler.domain.selection import SelectionError, by_slugs, select
from tests.plan.plan_factories import customer, settings

FLEET = Fleet(
    Path("."),
    settings(),
    (
        customer("acme", "ACME"),
        customer("globex", "GLOBEX"),
        customer("soylent", "SOYLENT", enabled=False),
    ),
)


def slugs(customers):
    return [c.slug for c in customers]


def test_no_filter_is_the_whole_fleet_split_by_enabled():
    sel = select(FLEET)
    assert slugs(sel.enabled) == ["acme", "globex"] and slugs(sel.disabled) == ["soylent"]
    assert sel.whole_fleet


def test_globs_match_slug_or_company_identifier_in_any_case():
    assert slugs(select(FLEET, ["glo*"]).enabled) == ["globex"]
    assert slugs(select(FLEET, ["AC?E"]).enabled) == ["acme"]
    assert slugs(select(FLEET, ["acme", "soy*"]).disabled) == ["soylent"]
    assert not select(FLEET, ["acme"]).whole_fleet


def test_a_glob_matching_nothing_is_an_error():
    with pytest.raises(SelectionError, match="'acmee'"):
        select(FLEET, ["acmee"])


def test_changed_since_picks_changed_customer_files_and_all_for_settings():
    assert slugs(select(FLEET, changed_paths={"customers/globex.yaml", "README.md"}).enabled) == [
        "globex"]
    assert select(FLEET, changed_paths=set()).enabled == ()
    assert slugs(select(FLEET, changed_paths={"reconciler.yaml"}).enabled) == ["acme", "globex"]


def test_by_slugs_refuses_missing_files():
    assert slugs(by_slugs(FLEET, ["globex"]).enabled) == ["globex"]
    with pytest.raises(SelectionError, match="stale"):
        by_slugs(FLEET, ["gone"])
