import io
import json

import pytest

from reconciler.cli.plan_cmd import use_color
from tests.cli.plan_cli_support import example_fleet, git, run


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    return example_fleet(tmp_path)


def test_detailed_exitcode_is_2_with_changes_and_plain_is_0(root):
    assert run(root, "plan").exit_code == 0
    result = run(root, "plan", "--detailed-exitcode")
    assert result.exit_code == 2
    assert "requests to ConnectWise" in result.output and "\x1b[" not in result.output


def test_out_saves_json_and_formats_render(root):
    out = root / "p.json"
    result = run(root, "plan", "--format", "markdown", "--out", str(out))
    assert result.exit_code == 0 and result.stdout.startswith("## reconciler plan")
    saved = json.loads(out.read_text())
    assert saved["format_version"] == 1 and len(saved["changes"]) == 8
    assert "sandbox-private" not in out.read_text()


def test_customer_glob_limits_the_plan_and_a_typo_is_an_error(root):
    data = json.loads(run(root, "plan", "--format", "json", "--customer", "WAY*").stdout)
    assert {c["customer"] for c in data["changes"]} == {"wayne"}
    assert [c["slug"] for c in data["customers"]] == ["wayne"]
    assert not any(w["code"] == "unmanaged_company" for w in data["warnings"])  # no scan
    bad = run(root, "plan", "--customer", "wayn")
    assert bad.exit_code == 1 and "no customer matches --customer 'wayn'" in bad.output


def test_changed_since_plans_only_changed_customers_and_adds_the_policy_review(root):
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-qm", "fleet")
    wayne = root / "customers" / "wayne.yaml"
    wayne.write_text(wayne.read_text() + "\n")
    data = json.loads(run(root, "plan", "--format", "json", "--changed-since", "HEAD").stdout)
    assert [c["slug"] for c in data["customers"]] == ["wayne"]
    # discovery, companies, agreements, 2 agreements in play, the billing tickets
    assert data["requests"] <= 6
    assert "policy_review" in data
    nothing = run(root, "plan", "--changed-since", "HEAD", "--customer", "acme")
    assert nothing.exit_code == 0 and "0 customers planned, 0 requests" in nothing.output


def test_colour_only_on_a_tty_without_no_color(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert use_color(Tty()) and not use_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(Tty())


def test_invalid_fleet_is_one_clear_error(root):
    (root / "customers" / "acme.yaml").write_text("name: [\n")
    result = run(root, "plan")
    assert result.exit_code == 1 and "customers/acme.yaml" in result.output
    assert "Traceback" not in result.output
