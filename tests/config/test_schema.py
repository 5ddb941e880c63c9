"""JSON Schema validation: the schemas themselves, and errors placed at file:line:col."""
# ruff: noqa: E501  (expected messages are quoted whole, one per line, to be greppable)

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from reconciler.config import validate
from reconciler.config.identifiers import COMPANY_IDENTIFIER_PATTERN, CONDITION_TEXT_PATTERN
from tests.config.conftest import FLEET, REPO, replace_line

SCHEMAS = {name: json.loads((REPO / "schemas" / f"{name}.schema.json").read_text()) for name in ("customer", "settings")}  # fmt: skip


def messages(name: str) -> list[str]:
    return [str(d) for d in validate(FLEET, [f"bad/{name}"])]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("unknown-key.yaml", ["bad/unknown-key.yaml:4:3: error: unknown key 'compnay_name' in connectwise (did you mean 'company'?)"]),
        ("missing-required.yaml", ["bad/missing-required.yaml:1:1: error: missing required key 'trend_micro'"]),
        ("bad-enum.yaml", ["bad/bad-enum.yaml:6:14: error: integration is 'enabeld'; expected one of 'enabled', 'disabled' (did you mean 'enabled'?)"]),
        ("wrong-type.yaml", ['bad/wrong-type.yaml:1:7: error: name must be a string, not the number 1234; put it in quotes: "1234"']),
        ("day-out-of-range.yaml", ["bad/day-out-of-range.yaml:10:10: error: custom.billing.day is 32; the maximum is 31"]),
        (
            "agreement-typo.yaml",
            [
                "bad/agreement-typo.yaml:8:10: error: agreements.wfbss is the string 'defualt'; expected 'default' or a mapping (did you mean 'default'?)",
                "bad/agreement-typo.yaml:10:5: error: missing required key 'name' in agreements.hes",
            ],
        ),
        (
            "duplicate-items.yaml",
            [
                "bad/duplicate-items.yaml:11:28: error: 'wfbss' appears twice in custom.billing.products (first at 11:16)",
                "bad/duplicate-items.yaml:17:9: error: 'spam' appears twice in custom.hosted_email_security.detections (first at 15:9)",
            ],
        ),
        ("unsafe-company.yaml", ["""bad/unsafe-company.yaml:3:12: error: company identifier 'INITECH "US"' contains '"', which cannot be put safely into a ConnectWise condition; use letters, digits, space, '.', '_', '&' or '-'"""]),
        ("long-company.yaml", ["bad/long-company.yaml:3:12: error: company identifier is 33 characters long; ConnectWise allows at most 30"]),
    ],
)  # fmt: skip
def test_schema_error_is_located(name: str, expected: list[str]) -> None:
    assert messages(name) == expected


def test_unquoted_time_gets_a_quoting_hint(fleet_copy: Path) -> None:
    # YAML 1.1 reads an unquoted 17:30 as the base-60 number 1050 (07:30 stays a string)
    replace_line(fleet_copy / "reconciler.yaml", 'send_at: "07:30"', "send_at: 17:30")
    assert [str(d) for d in validate(fleet_copy)] == [
        'reconciler.yaml:5:10: error: send_at must be a string, not the number 1050; put it in quotes: "17:30"'
    ]  # fmt: skip


@pytest.mark.parametrize(("line", "message"), [
    # YAML reads an unquoted 2025.10 as the number 2025.1: only a quoted version is taken
    ("  api_version: 2025.10",
     'reconciler.yaml:4:16: error: connectwise.api_version must be a string, not the number '
     '2025.1; put it in quotes: "2025.10"'),
    ('  api_version: "v2025.1"',
     "reconciler.yaml:4:16: error: connectwise.api_version is 'v2025.1', which is not a "
     'ConnectWise release such as "2025.1"'),
])
def test_the_api_version_is_a_quoted_release(fleet_copy: Path, line: str, message: str) -> None:
    replace_line(fleet_copy / "reconciler.yaml", "  url: sandbox", f"  url: sandbox\n{line}")
    assert [str(d) for d in validate(fleet_copy)] == [message]


def test_missing_source_url_for_lmpi(fleet_copy: Path) -> None:
    with (fleet_copy / "reconciler.yaml").open("a") as f:
        f.write("sources:\n  usage:\n    kind: lmpi\n")
    assert [str(d) for d in validate(fleet_copy)] == [
        "reconciler.yaml:30:5: error: missing required key 'url' in sources.usage"
    ]


def test_bad_product_key_points_at_the_key(fleet_copy: Path) -> None:
    replace_line(
        fleet_copy / "reconciler.yaml",
        "  hes: {name: Hosted Email Security, catalog_item: TM-HES}",
        "  Hosted Email: {name: Hosted Email Security, catalog_item: TM-HES}",
    )
    assert [str(d) for d in validate(fleet_copy)] == [
        "reconciler.yaml:9:3: error: key 'Hosted Email' is not a product key (lowercase letters, digits, '-' or '_')"
    ]  # fmt: skip


def test_every_error_of_a_file_is_reported_not_the_first(tmp_path: Path) -> None:
    bad = tmp_path / "many.yaml"
    bad.write_text(
        "name: ''\nconnectwise: {company: OK}\ntrend_micro: {customer_id: x1}\n"
        "integration: on\nsettings: both\nextra: 1\n"
    )
    found = [f"{d.line}:{d.col} {d.message}" for d in validate(FLEET, [str(bad)])]
    assert found == [
        "1:7 name must not be empty",
        "4:14 integration is the boolean true; expected one of 'enabled', 'disabled'",
        "5:11 settings is 'both'; expected one of 'global', 'custom'",
        "6:1 unknown key 'extra' (expected one of name, connectwise, trend_micro, integration, agreements, settings, custom)",
    ]  # fmt: skip


# -- the schema files themselves --------------------------------------------------------


@pytest.mark.parametrize("name", ["customer", "settings"])
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = SCHEMAS[name]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def _objects(node, path="#"):
    """Every sub-schema that has `properties`, with its JSON pointer."""
    if isinstance(node, dict):
        if "properties" in node:
            yield path, node
        for key, value in node.items():
            yield from _objects(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _objects(value, f"{path}/{index}")


@pytest.mark.parametrize("name", ["customer", "settings"])
def test_every_object_is_closed_and_every_property_described(name: str) -> None:
    objects = list(_objects(SCHEMAS[name]))
    assert len(objects) > 5
    for path, node in objects:
        if path.endswith("/if"):  # `if` sub-schemas test a value, they do not define one
            continue
        assert node.get("additionalProperties") is False, path
        for key, prop in node["properties"].items():
            assert prop.get("description"), f"{path}/properties/{key} has no description"


def test_identifier_patterns_are_defined_once() -> None:
    customer, settings = SCHEMAS["customer"], SCHEMAS["settings"]
    company = customer["properties"]["connectwise"]["properties"]["company"]
    assert company["pattern"] == COMPANY_IDENTIFIER_PATTERN
    agreement = customer["$defs"]["agreement"]["oneOf"][1]["properties"]
    assert agreement["type"]["pattern"] == agreement["name"]["pattern"] == CONDITION_TEXT_PATTERN
    assert settings["properties"]["tickets"]["properties"]["board"]["pattern"] == CONDITION_TEXT_PATTERN


def test_notification_policy_shape_is_the_same_in_both_schemas() -> None:
    for key in ("policy", "productKey", "detection"):
        assert SCHEMAS["customer"]["$defs"][key] == SCHEMAS["settings"]["$defs"][key]


def test_example_fleet_matches_the_schemas_with_plain_jsonschema() -> None:
    import yaml

    customer = Draft202012Validator(SCHEMAS["customer"])
    for path in sorted((REPO / "customers").glob("*.yaml")):
        assert list(customer.iter_errors(yaml.safe_load(path.read_text()))) == [], path
    settings = Draft202012Validator(SCHEMAS["settings"])
    assert list(settings.iter_errors(yaml.safe_load((REPO / "reconciler.yaml").read_text()))) == []
