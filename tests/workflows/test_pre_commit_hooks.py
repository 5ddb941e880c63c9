""".pre-commit-hooks.yaml: teams run `reconciler validate` from pre-commit."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.processes import RUN_TIMEOUT

PROJECT = Path(__file__).resolve().parents[2]
HOOKS = {h["id"]: h for h in yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())}


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    shutil.copy(PROJECT / "reconciler.yaml", tmp_path)
    shutil.copytree(PROJECT / "customers", tmp_path / "customers")
    shutil.copytree(PROJECT / "schemas", tmp_path / "schemas")
    return tmp_path


def run_hook(hook: dict, root: Path, changed: list[str]) -> subprocess.CompletedProcess:
    """What pre-commit does: filter the changed files by `files`, run `entry` in the repo."""
    matching = [f for f in changed if re.search(hook["files"], f)]
    argv = shlex.split(hook["entry"])
    argv[0] = str(Path(sys.prefix) / "bin" / argv[0])  # the console script pre-commit installs
    if hook["pass_filenames"]:
        argv += matching
    return subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False,
                          timeout=RUN_TIMEOUT)


def test_hooks_run_validate_on_fleet_files_only():
    for hook in HOOKS.values():
        assert hook["entry"] == "reconciler validate" and hook["language"] == "python"
        pattern = re.compile(hook["files"])
        for path in ("customers/acme.yaml", "customers/new.yml", "reconciler.yaml"):
            assert pattern.search(path), path
        for path in ("schemas/customer.schema.json", "docs/customers/a.yaml", "reconciler.yaml~"):
            assert not pattern.search(path), path
    # The default hook checks the whole fleet: a reconciler.yaml edit can break any customer.
    assert HOOKS["reconciler-validate"]["pass_filenames"] is False


@pytest.mark.parametrize("hook_id", sorted(HOOKS))
def test_hook_passes_a_valid_fleet_and_fails_a_broken_one(fleet, hook_id):
    hook = HOOKS[hook_id]
    assert run_hook(hook, fleet, ["customers/acme.yaml"]).returncode == 0
    acme = fleet / "customers" / "acme.yaml"
    acme.write_text(acme.read_text().replace("day: 31", "day: 32"))
    done = run_hook(hook, fleet, ["customers/acme.yaml"])
    assert done.returncode == 1
    assert re.search(r"customers/acme\.yaml:\d+:\d+: error: ", done.stdout)


def test_whole_fleet_hook_catches_a_customer_broken_by_a_settings_edit(fleet):
    # Removing a product from reconciler.yaml invalidates customers billing it.
    settings = fleet / "reconciler.yaml"
    settings.write_text(
        settings.read_text().replace(
            "  cas:\n    name: Cloud App Security\n    catalog_item: TM-CAS\n", ""
        )
    )
    done = run_hook(HOOKS["reconciler-validate"], fleet, ["reconciler.yaml"])
    assert done.returncode == 1 and "customers/" in done.stdout
