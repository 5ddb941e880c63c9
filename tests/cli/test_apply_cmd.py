import pytest

from tests.cli.plan_cli_support import example_fleet, run


@pytest.fixture
def root(tmp_path):
    return example_fleet(tmp_path)


def test_apply_needs_a_plan_or_yes(root):
    result = run(root, "apply")
    assert result.exit_code == 2 and "--yes" in result.output


def test_a_saved_plan_cannot_be_combined_with_selection(root):
    (root / "p.json").write_text("{}")
    result = run(root, "apply", str(root / "p.json"), "--customer", "acme")
    assert result.exit_code == 2


@pytest.mark.parametrize("text, message", [
    ("{}", "not a reconciler plan file"),
    ("nope", "invalid JSON"),
    ('{"format_version": 7}', "format_version 7 is not supported"),
])
def test_bad_plan_files_are_clear_errors(root, text, message):
    (root / "p.json").write_text(text)
    result = run(root, "apply", str(root / "p.json"))
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output


def test_missing_plan_file(root):
    result = run(root, "apply", str(root / "missing.json"))
    assert result.exit_code == 1 and "cannot read plan file" in result.output


def test_nothing_to_apply_after_convergence(root):
    assert run(root, "apply", "--yes").exit_code == 0
    again = run(root, "apply", "--yes")
    assert again.exit_code == 0 and "No changes. Nothing to apply." in again.output
