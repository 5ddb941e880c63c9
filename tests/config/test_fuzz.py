"""Property: validate never raises, whatever bytes a file holds, and always locates."""
# ruff: noqa: E501

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.config import Diagnostic, validate
from tests.config.conftest import FLEET

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
YAML_ALPHABET = st.sampled_from([*list("ab01:-[]{}&*!|>'\"#\n\t ,?%@`.~<\\\x00é"), "name", "settings", "custom", "<<", "---", "&a", "*a", "!!int", "\ufeff"])  # fmt: skip
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
STRUCTURES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(SCALARS.filter(lambda k: k == k), inner, max_size=4),
    max_leaves=12,
)
EXAMPLE = (FLEET / "customers" / "acme.yaml").read_text()


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _check(diagnostics: list[Diagnostic]) -> None:
    for d in diagnostics:
        assert isinstance(d, Diagnostic) and d.message
        assert d.severity in ("error", "warning")
        if d.line == 0:
            assert d.col == 0  # whole-file problems only
        assert "Traceback" not in d.message


def _validate_customer(work: Path, raw: bytes) -> None:
    path = work / "fuzzed.yaml"
    path.write_bytes(raw)
    _check(validate(FLEET, [str(path)]))


@FUZZ
@given(raw=st.binary(max_size=300))
def test_arbitrary_bytes(work: Path, raw: bytes) -> None:
    _validate_customer(work, raw)


@FUZZ
@given(text=st.lists(YAML_ALPHABET, max_size=60).map("".join))
def test_yaml_looking_text(work: Path, text: str) -> None:
    _validate_customer(work, text.encode("utf-8"))


@FUZZ
@given(data=STRUCTURES)
def test_any_yaml_structure(work: Path, data) -> None:
    _validate_customer(work, yaml.safe_dump(data, allow_unicode=True).encode("utf-8"))


@FUZZ
@given(cut=st.integers(0, len(EXAMPLE)), insert=st.lists(YAML_ALPHABET, max_size=4).map("".join))
def test_damaged_customer_file(work: Path, cut: int, insert: str) -> None:
    _validate_customer(work, (EXAMPLE[:cut] + insert + EXAMPLE[cut + 1 :]).encode("utf-8"))


@FUZZ
@given(data=STRUCTURES | st.dictionaries(st.sampled_from(["connectwise", "products", "detections", "notifications", "safety", "sources", "timezone"]), STRUCTURES, max_size=5))  # fmt: skip
def test_any_settings_file(work: Path, data) -> None:
    root = work / "root"
    if not root.exists():
        shutil.copytree(FLEET / "customers", root / "customers")
    (root / "reconciler.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    _check(validate(root))
