"""Strict YAML loading: every refusal names file:line:col with a clear message."""
# ruff: noqa: E501  (expected messages are quoted whole, one per line, to be greppable)

from __future__ import annotations

import time

import pytest

from reconciler.config import validate
from reconciler.config.yamlio import MAX_FILE_BYTES, parse
from tests.config.conftest import FLEET


def messages(name: str) -> list[str]:
    """Diagnostics for one bad customer file of the fixture fleet."""
    return [str(d) for d in validate(FLEET, [f"bad/{name}"])]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("duplicate-key.yaml", "bad/duplicate-key.yaml:4:3: error: duplicate key 'company' (first at line 3)"),
        ("empty.yaml", "bad/empty.yaml:1:1: error: file is empty; expected a mapping of keys to values"),
        ("list.yaml", "bad/list.yaml:1:1: error: top level must be a mapping of keys to values, not a list"),
        ("tab-indented.yaml", "bad/tab-indented.yaml:3:1: error: tab character in indentation; YAML indents with spaces only"),
        ("syntax.yaml", "bad/syntax.yaml:3:9: error: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 2)"),
        ("two-documents.yaml", "bad/two-documents.yaml:2:1: error: file holds more than one YAML document (---); keep one per file"),
        ("latin1.yaml", "bad/latin1.yaml:1:10: error: not valid UTF-8 (byte 0xe9); save the file as UTF-8"),
        ("boolean-key.yaml", "bad/boolean-key.yaml:2:1: error: key 'yes' is read by YAML as the boolean true, not a string; put it in quotes"),
    ],
)  # fmt: skip
def test_bad_file_is_refused_at_its_line_and_column(name: str, expected: str) -> None:
    assert messages(name) == [expected]


def test_billion_laughs_is_refused_at_once() -> None:
    start = time.perf_counter()
    found = messages("billion-laughs.yaml")
    assert time.perf_counter() - start < 1.0
    assert found == [
        "bad/billion-laughs.yaml:1:4: error: more than 10000 values once aliases are expanded;"
        ' refusing a possible alias bomb ("billion laughs")'
    ]


def parsed(text: bytes) -> tuple[object, list[str]]:
    doc, problems = parse(text, "f.yaml")
    return (doc.data if doc else None), [str(p) for p in problems]


def test_non_utf8_names_the_line_and_column_of_the_bad_byte() -> None:
    assert parsed(b"name: ok\ncompany: Caf\xe9 AB\n") == (
        None,
        ["f.yaml:2:13: error: not valid UTF-8 (byte 0xe9); save the file as UTF-8"],
    )


def test_utf16_is_refused_and_utf8_bom_accepted() -> None:
    assert parsed("a: 1\n".encode("utf-16"))[1] == [
        "f.yaml:1:1: error: file is UTF-16 or UTF-32 encoded; save it as UTF-8"
    ]
    assert parsed(b"\xef\xbb\xbfa: 1\n") == ({"a": 1}, [])


def test_binary_content_is_refused_with_a_hint() -> None:
    assert parsed(b"name: x\nb: \x00\x01\n")[1] == [
        "f.yaml:2:4: error: character U+0000 is not allowed in YAML (is this a binary file?)"
    ]


def test_comment_only_file_counts_as_empty() -> None:
    assert parsed(b"# nothing here\n")[1] == [
        "f.yaml:1:1: error: file is empty; expected a mapping of keys to values"
    ]


def test_scalar_top_level_is_refused(tmp_path) -> None:
    (tmp_path / "words.yaml").write_text("just words\n")
    assert [str(d) for d in validate(FLEET, [str(tmp_path / "words.yaml")])] == [
        f"{tmp_path}/words.yaml:1:1: error: top level must be a mapping of keys to values, "
        "not a single value"
    ]


def test_recursive_alias_and_unknown_tag_are_refused() -> None:
    assert parsed(b"a: &x [1, *x]\n")[1] == [
        "f.yaml:1:4: error: recursive alias: a value that contains itself"
    ]
    assert parsed(b"a: !python/object:os.system ls\n")[1] == [
        "f.yaml:1:4: error: unsupported tag !python/object:os.system"
    ]
    assert parsed(b"a: !!int abc\n")[1] == ["f.yaml:1:4: error: cannot read 'abc' as !!int"]


def test_undefined_alias_is_a_located_error() -> None:
    assert parsed(b"a: 1\nb: *nope\n")[1] == ["f.yaml:2:4: error: invalid YAML: found undefined alias"]


def test_oversized_file_is_refused_before_parsing() -> None:
    assert parsed(b"#" * (MAX_FILE_BYTES + 1))[1] == [
        "f.yaml: error: file is larger than 1024 KiB; refusing to read it"
    ]


def test_aliases_and_merge_keys_still_work_and_locate() -> None:
    doc, problems = parse(
        b"base: &b {every: week, detections: [spam]}\nhes:\n  <<: *b\n  every: day\n", "f.yaml"
    )
    assert problems == []
    assert doc.data["hes"] == {"every": "day", "detections": ["spam"]}
    assert doc.locate(["hes", "every"]) == (4, 10)
    assert doc.locate(["hes", "detections", 0]) == (1, 37)  # where the merged value is written
    assert doc.locate_key(["hes"], "every") == (4, 3)


def test_locate_falls_back_to_the_nearest_existing_node() -> None:
    doc, _ = parse(b"a:\n  b: [x, y]\n", "f.yaml")
    assert doc.locate(["a", "b", 1]) == (2, 10)
    assert doc.locate(["a", "missing", "deeper"]) == (2, 3)


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    assert parsed(b"a: " + b"[" * 70 + b"]" * 70 + b"\n")[1] == [
        "f.yaml:1:68: error: nested more than 64 levels deep"
    ]
    problems = parsed(b"- " * 2000 + b"x\n")[1]
    assert len(problems) == 1 and "exceeded maximum nesting depth" in problems[0]
