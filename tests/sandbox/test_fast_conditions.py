"""The fast paths answer exactly as the general evaluator: compiled conditions, field
indexes (candidates are a superset of the matches), on random trees and records."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.sandbox.conditions import (
    BoolOp,
    Compare,
    Not,
    _index,
    compile_tree,
    evaluate,
    parse,
    parse_cached,
)
from reconciler.sandbox.index import FieldIndex, candidates

FIELDS = ("externalXRef", "identifier", "company/id", "company/identifier", "quantity")
TEXT = st.text(alphabet="aAbB:%*-1İΣς ", max_size=6)
NUMBER = st.one_of(st.integers(-3, 3), st.sampled_from([1.0, 2.5, -0.0]))
VALUE = st.one_of(TEXT, NUMBER, st.booleans(), st.none())


def records() -> st.SearchStrategy:
    company = st.one_of(st.none(), VALUE, st.fixed_dictionaries(
        {}, optional={"id": VALUE, "identifier": VALUE}))
    record = st.fixed_dictionaries({}, optional={
        "externalXRef": VALUE, "identifier": VALUE, "quantity": VALUE, "company": company})
    return st.lists(record, max_size=12).map(
        lambda rs: [{**r, "id": i + 1} for i, r in enumerate(rs)])


def compares() -> st.SearchStrategy:
    field = st.sampled_from(FIELDS)
    literal = st.one_of(TEXT, NUMBER, st.booleans(), st.none())
    plain = st.builds(Compare, field, st.sampled_from(["=", "!=", "<", ">="]), literal)
    listed = st.builds(lambda f, vs, neg: Compare(f, "in", tuple(vs), neg, _index(tuple(vs))),
                       field, st.lists(st.one_of(TEXT, NUMBER), min_size=1, max_size=3),
                       st.booleans())
    pattern = st.builds(lambda f, p, neg, op: Compare(f, op, p, neg), field, TEXT,
                        st.booleans(), st.sampled_from(["like", "like", "contains"]))
    return st.one_of(plain, listed, pattern)


trees = st.recursive(compares(), lambda inner: st.one_of(
    st.builds(Not, inner),
    st.builds(lambda op, xs: BoolOp(op, tuple(xs)), st.sampled_from(["and", "or"]),
              st.lists(inner, min_size=2, max_size=3))), max_leaves=6)


@settings(max_examples=400, deadline=None)
@given(trees, records())
def test_compiled_conditions_answer_as_the_evaluator(tree, recs):
    fast = compile_tree(tree)
    for rec in recs:
        assert fast(rec) == evaluate(tree, rec), (tree, rec)


@settings(max_examples=400, deadline=None)
@given(trees, records(), st.data())
def test_index_candidates_hold_every_match(tree, recs, data):
    # Build indexes on a shuffled history of inserts and removals, as writes do.
    indexes: dict[str, FieldIndex] = {}

    def index_for(path: str) -> FieldIndex:
        if path not in indexes:
            indexes[path] = FieldIndex(path)
            for rec in recs:
                indexes[path].add(rec)
        return indexes[path]

    for path in data.draw(st.lists(st.sampled_from(FIELDS), max_size=3)):
        index_for(path)
    removed = data.draw(st.sets(st.sampled_from([r["id"] for r in recs]) if recs else st.nothing()))
    for rec in recs:
        if rec["id"] in removed:
            for index in indexes.values():
                index.remove(rec)
    live = [r for r in recs if r["id"] not in removed]
    for rec in live:  # removed and added again: the index must not lose it
        if rec["id"] % 2:
            for index in indexes.values():
                index.remove(rec)
                index.add(rec)
    # candidates() builds missing indexes from `recs`; removed records may then remain
    # candidates, which is allowed (a superset), but every live match must be there.
    found = candidates(tree, index_for)
    matches = {r["id"] for r in live if evaluate(tree, r)}
    if found is not None:
        assert matches <= found


def test_the_common_shapes_use_indexes():
    index = FieldIndex("externalXRef")
    for i, key in enumerate(["tmrm:hes:ACME:2026-11-01", "tmrm:hes:ACME:2026-11-02",
                             "tmrm:hes:GLOBEX:2026-11-01", "tmrm:billing:ACME:2026-10"], 1):
        index.add({"id": i, "externalXRef": key})
    tree = parse('externalXRef like "TMRM:hes:acme:%" or externalXRef = "tmrm:billing:ACME:2026-10"'
                 ' or externalXRef in ("x", "tmrm:hes:GLOBEX:2026-11-01")')
    assert candidates(tree, lambda path: index) == {1, 2, 3, 4}
    assert candidates(parse('externalXRef like "tmrm:hes:a%"'), lambda path: index) == {1, 2}
    # shapes left to the scan
    assert candidates(parse('externalXRef like "%ACME%"'), lambda path: index) is None
    assert candidates(parse('not externalXRef = "x"'), lambda path: index) is None
    assert candidates(parse('externalXRef = "x" or summary contains "y"'),
                      lambda path: index) is None
    assert candidates(parse('externalXRef = "x" and summary contains "y"'),
                      lambda path: index) == set()


def test_cached_parses_keep_the_errors_of_a_fresh_parse():
    known = lambda field: field != "nope"  # noqa: E731
    assert parse_cached('id = 1 and name like "a*"', known) == parse('id = 1 and name like "a*"')
    for text in ('nope = 1 and id = ', 'id = 1 and nope = 2', 'id = '):
        try:
            parse(text, known)
        except ValueError as exc:
            expected = str(exc)
        try:
            parse_cached(text, known)
        except ValueError as exc:
            assert str(exc) == expected
        else:
            raise AssertionError(f"{text!r} parsed")


def test_the_app_answers_the_same_with_and_without_fast_paths(app, client):
    """Listings through indexes stay right after POST, PATCH and DELETE."""
    conditions = ['externalXRef like "tmrm:hes:%"', 'externalXRef = "TMRM:HES:HOOLI:2026-11-02"',
                  'externalXRef in ("tmrm:hes:HOOLI:2026-11-01", "nope") or id = 1',
                  'company/identifier = "hooli" and externalXRef like "tmrm:%"',
                  'identifier in ("HOOLI", "STARK")']

    def answers() -> list:
        out = []
        for fast in (True, False):
            app.fast_paths = fast
            out.append([client.get(path, params={"conditions": c, "fields": "id,externalXRef"})
                        .json() for c in conditions
                        for path in ("service/tickets", "company/companies")])
        assert out[0] == out[1]
        return out[0]

    answers()  # builds the indexes
    made = []
    for day in (1, 2, 3):
        made.append(client.post("service/tickets", json={
            "summary": "x", "company": {"identifier": "HOOLI"},
            "board": {"name": "Trend Micro Billing"},
            "externalXRef": f"tmrm:hes:HOOLI:2026-11-0{day}"}).json()["id"])
    assert len(answers()[0]) == 3
    client.patch(f"service/tickets/{made[0]}", json=[
        {"op": "replace", "path": "externalXRef", "value": "tmrm:other:HOOLI:1"}])
    client.delete(f"service/tickets/{made[1]}")
    assert [t["id"] for t in answers()[0]] == [made[2]]
