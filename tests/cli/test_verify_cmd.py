import json

from tests.cli.plan_cli_support import example_fleet, run


def test_verify_lists_agreements_and_default_and_fails_on_a_missing_company(tmp_path):
    root = example_fleet(tmp_path)
    result = run(root, "verify", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    hooli = next(c for c in data["customers"] if c["customer"] == "hooli")
    assert not any(a["default"] for a in hooli["agreements"])  # two TMRM: no single default
    assert "soylent" not in [c["customer"] for c in data["customers"]]
    acme = root / "customers" / "acme.yaml"
    acme.write_text(acme.read_text().replace("company: ACME", "company: ACMEE"))
    failed = run(root, "verify", "--customer", "acme")
    assert failed.exit_code == 1
    assert "closest identifiers: ACME" in failed.output
