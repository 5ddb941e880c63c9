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
    lookup,
    parse,
    parse_cached,
)
from reconciler.sandbox.index import FieldIndex, candidates, select

FIELDS = ("externalXRef", "identifier", "company/id", "company/identifier", "quantity")
# Values like the product's (keys, identifiers) plus odd ones: numbers in text, letters
# whose lower case changes length or depends on context (İ, Σ), wildcards inside values.
POOL = ("tmrm:hes:ACME:2026-11-01", "TMRM:hes:acme:2026-11-02", "tmrm:billing:ACME:2026-10",
        "ΑΣ:x", "İx", "1", "2.5", "", "a%b", "true")
NUMBER = st.one_of(st.integers(-3, 3), st.sampled_from([1.0, 2.5, -0.0]))


def _variant(text: str, cut: int, wildcard: str, swap: bool) -> str:
    return (text.swapcase() if swap else text)[:cut] + wildcard


TEXT = st.one_of(
    st.text(alphabet="aAbB:%*-1İΣς ", max_size=6),
    st.builds(_variant, st.sampled_from(POOL), st.integers(0, 30),
              st.sampled_from(["", "%", "*", "%%", "%1", "*:"]), st.booleans()))
VALUE = st.one_of(st.sampled_from(POOL), TEXT, NUMBER, st.booleans(), st.none())


def records() -> st.SearchStrategy:
    """Records with mixed value types, or (as in real collections) strings only."""
    def of(value: st.SearchStrategy) -> st.SearchStrategy:
        company = st.one_of(st.none(), value, st.fixed_dictionaries(
            {"id": value, "identifier": value}))
        record = st.fixed_dictionaries({
            "externalXRef": value, "identifier": value, "quantity": value, "company": company})
        return st.lists(record, max_size=12).map(
            lambda rs: [{**r, "id": i + 1} for i, r in enumerate(rs)])
    strings = st.one_of(st.sampled_from(POOL), st.builds(
        _variant, st.sampled_from(POOL), st.integers(0, 30), st.just(""), st.booleans()))
    return st.one_of(of(VALUE), of(st.one_of(strings, st.none())))


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


def indexable(seen: list) -> st.SearchStrategy:
    """The shapes the indexes answer: `=`, `in`, `like` with text or number literals,
    often built from values the records hold (so that they match)."""
    field = st.sampled_from(FIELDS)
    texts = [str(v) for v in seen] or ["x"]
    near = st.builds(_variant, st.sampled_from(texts), st.integers(0, 30),
                     st.sampled_from(["", "%", "*", "%%", "*1"]), st.booleans())
    literal = st.one_of(TEXT, NUMBER, near, st.sampled_from(seen or [1]))
    return st.one_of(
        st.builds(Compare, field, st.just("="), literal),
        st.builds(lambda f, vs: Compare(f, "in", tuple(vs), False, _index(tuple(vs))),
                  field, st.lists(literal, min_size=1, max_size=3)),
        st.builds(lambda f, p: Compare(f, "like", p), field, st.one_of(TEXT, near)))


def index_trees(recs: list[dict]) -> st.SearchStrategy:
    seen = [v for r in recs for f in FIELDS if (v := lookup(r, f)) is not None
            and not isinstance(v, (bool, dict))]
    return st.recursive(
        st.one_of(indexable(seen), indexable(seen), compares()),
        lambda inner: st.builds(lambda op, xs: BoolOp(op, tuple(xs)),
                                st.sampled_from(["and", "or"]),
                                st.lists(inner, min_size=2, max_size=3)), max_leaves=5)


trees = st.recursive(compares(), lambda inner: st.one_of(
    st.builds(Not, inner),
    st.builds(lambda op, xs: BoolOp(op, tuple(xs)), st.sampled_from(["and", "or"]),
              st.lists(inner, min_size=2, max_size=3))), max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(trees, records())
def test_compiled_conditions_answer_as_the_evaluator(tree, recs):
    fast = compile_tree(tree)
    for rec in recs:
        assert fast(rec) == evaluate(tree, rec), (tree, rec)


@settings(max_examples=300, deadline=None)
@given(records(), st.data())
def test_index_selection_holds_every_match(recs, data):
    """Candidates hold every match; when called exact, they are exactly the matches.
    Indexes go through inserts, removals and re-inserts first, as writes do."""
    tree = data.draw(st.one_of(index_trees(recs), trees))
    pool = list(recs)
    indexes: dict[str, FieldIndex] = {}

    def index_for(path: str) -> FieldIndex:
        if path not in indexes:
            indexes[path] = FieldIndex(path)
            for rec in pool:
                indexes[path].add(rec)
        return indexes[path]

    for path in data.draw(st.lists(st.sampled_from(FIELDS), max_size=3)):
        index_for(path)
    removed = data.draw(st.sets(st.sampled_from([r["id"] for r in recs]) if recs else st.nothing()))
    pool = [r for r in recs if r["id"] not in removed]
    for rec in recs:
        for index in indexes.values():
            index.remove(rec)
            if rec["id"] not in removed:
                index.add(rec)
    found = select(tree, index_for)
    matches = {r["id"] for r in pool if evaluate(tree, r)}
    if found is not None:
        ids, exact = found
        assert matches <= ids
        if exact:
            assert ids == matches


def test_the_common_shapes_use_indexes():
    index = FieldIndex("externalXRef")
    for i, key in enumerate(["tmrm:hes:ACME:2026-11-01", "tmrm:hes:ACME:2026-11-02",
                             "tmrm:hes:GLOBEX:2026-11-01", "tmrm:billing:ACME:2026-10"], 1):
        index.add({"id": i, "externalXRef": key})
    tree = parse('externalXRef like "TMRM:hes:acme:%" or externalXRef = "tmrm:billing:ACME:2026-10"'
                 ' or externalXRef in ("x", "tmrm:hes:GLOBEX:2026-11-01")')
    assert candidates(tree, lambda path: index) == {1, 2, 3, 4}
    assert candidates(parse('externalXRef like "tmrm:hes:a%"'), lambda path: index) == {1, 2}
    assert select(parse('externalXRef like "tmrm:hes:a%"'), lambda path: index) == ({1, 2}, True)
    assert select(parse('externalXRef like "tmrm:%:ACME:%"'), lambda path: index)[1] is False
    assert select(parse('externalXRef in ("x", "tmrm:billing:ACME:2026-10")'),
                  lambda path: index) == ({4}, True)
    # a number may equal a string literal ("1" = 1) and a boolean may be like "t%": never
    # left out, and the answer is then no longer exact
    mixed = FieldIndex("quantity")
    for i, value in enumerate([1, "1", True, "2"], 1):
        mixed.add({"id": i, "quantity": value})
    for text, ids in (('quantity = "1"', {1, 2, 3}), ("quantity = 1", {1, 2, 3, 4}),
                      ('quantity like "1%"', {1, 2, 3}), ("quantity in (1, 3)", {1, 2, 3, 4})):
        assert select(parse(text), lambda path: mixed) == (ids, False), text
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
