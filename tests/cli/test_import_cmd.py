from reconciler.config import load_fleet
from tests.cli.plan_cli_support import example_fleet, run


def test_import_needs_company_or_all(tmp_path):
    root = example_fleet(tmp_path)
    assert run(root, "import").exit_code == 2
    assert run(root, "import", "--all", "--company", "X").exit_code == 2
    assert run(root, "import", "--company", "A", "--company", "B",
               "--trend-micro-id", "x").exit_code == 2


def test_import_all_writes_disabled_placeholders_that_validate(tmp_path):
    root = example_fleet(tmp_path)
    result = run(root, "import", "--all")
    assert result.exit_code == 0, result.output
    assert "wrote customers/dunder.yaml" in result.output
    text = (root / "customers" / "dunder.yaml").read_text()
    assert "integration: disabled" in text and "TODO" in text
    slugs = {c.slug for c in load_fleet(root).customers}
    assert "dunder" in slugs and "acme" in slugs
