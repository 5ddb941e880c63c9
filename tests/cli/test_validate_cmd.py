"""`reconciler validate`: every error as path:line:col, text or JSON, exit 0/1, no traceback."""
# ruff: noqa: E501

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli

REPO = Path(__file__).resolve().parents[2]
FLEET = REPO / "tests" / "fixtures" / "config" / "fleet"


def run(root: Path, *args: str):
    result = CliRunner().invoke(cli, ["--root", str(root), "validate", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def test_example_fleet_is_valid() -> None:
    result = run(REPO)
    assert result.exit_code == 0
    files = len(list((REPO / "customers").glob("*.yaml"))) + 1
    assert result.output == f"{files} files valid\n"


def test_errors_are_listed_with_a_summary_and_exit_1() -> None:
    result = run(FLEET, "bad/unknown-product.yaml", "bad/list.yaml")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "bad/list.yaml:1:1: error: top level must be a mapping of keys to values, not a list",
        "bad/unknown-product.yaml:8:3: error: unknown product 'wfbs' in agreements (did you mean 'wfbss'?)",
        "bad/unknown-product.yaml:13:16: error: unknown product 'apexone' (did you mean 'apex-one'?)",
        "3 errors in 2 of 3 files",
    ]  # fmt: skip


def test_json_format() -> None:
    result = run(FLEET, "--format", "json", "bad/custom-missing.yaml")
    assert result.exit_code == 1
    assert json.loads(result.output) == {
        "format_version": 1,
        "valid": False,
        "files": 2,
        "errors": [
            {
                "path": "bad/custom-missing.yaml",
                "line": 7,
                "col": 11,
                "severity": "error",
                "message": "`settings: custom` needs a `custom` block",
            }
        ],
    }


def test_json_format_when_valid() -> None:
    result = run(FLEET, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.output) == {"format_version": 1, "valid": True, "files": 3, "errors": []}


def test_warnings_keep_exit_0(tmp_path: Path) -> None:
    (tmp_path / "customers").mkdir()
    (tmp_path / "customers" / "globex.yaml").write_bytes((FLEET / "customers" / "globex.yaml").read_bytes())
    (tmp_path / "reconciler.yaml").write_bytes((FLEET / "reconciler.yaml").read_bytes())
    result = run(tmp_path)  # quantity_exceptions names acme, which is not here
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == "2 files valid, 1 warning"
    assert result.output.startswith("reconciler.yaml:27:25: warning: quantity_exceptions names 'acme'")


def test_paths_relative_to_the_current_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FLEET / "bad")
    result = run(FLEET, "custom-missing.yaml")
    assert result.output.splitlines()[0].startswith("bad/custom-missing.yaml:7:11: error:")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "missing.yaml", "missing.yaml: error: no such file"),
        (lambda d: (d / "folder").mkdir() or d / "folder", "folder: warning: no customer files in this folder"),
        (lambda d: (d / "nul.yaml").write_bytes(b"a: \x00") and d / "nul.yaml", "nul.yaml:1:4: error: character U+0000 is not allowed in YAML (is this a binary file?)"),
        (lambda d: (d / "bin.yaml").write_bytes(bytes(range(256))) and d / "bin.yaml", "bin.yaml:2:118: error: not valid UTF-8 (byte 0x80); save the file as UTF-8"),
    ],
)  # fmt: skip
def test_odd_paths_are_reported_not_raised(tmp_path: Path, make, expected: str) -> None:
    target = make(tmp_path)
    result = run(FLEET, str(target))
    assert f"{tmp_path}/{expected}" in result.output.splitlines()


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_device_file_is_refused() -> None:
    result = run(FLEET, "/dev/null")
    assert result.exit_code == 1
    assert "/dev/null: error: not a regular file" in result.output


def test_missing_root_says_what_is_missing(tmp_path: Path) -> None:
    result = run(tmp_path / "nowhere")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"reconciler.yaml: error: no such file in {tmp_path / 'nowhere'}: is it the fleet folder"
        " (reconciler.yaml + customers/)?"
    )
