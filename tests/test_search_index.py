"""Tests of the full-text search index (`search/archive/`: analysis, query language,
snippets, the index), on real Whoosh indexes in temporary directories."""

from __future__ import annotations

import calendar
import dataclasses
import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postmortem_kb.search.archive import index as search_index
from postmortem_kb.search.archive.analysis import SearchDocument
from postmortem_kb.search.archive.index import Hit, IndexLockedError, SearchIndex, UpdateStats
from postmortem_kb.search.archive.query import QueryError
from postmortem_kb.search.archive.snippets import SnippetFragment


def doc(doc_id: str, **fields: object) -> SearchDocument:
    """A document dated by its id, with harmless defaults for every other field."""
    values: dict[str, object] = {
        "id": doc_id,
        "path": f"postmortems/{doc_id}.md",
        "title": "Incident",
        "summary": "",
        "body": "Nothing remarkable happened.",
        "services": (),
        "tags": (),
        "severity": "SEV3",
        "status": "published",
        "date": datetime.date.fromisoformat(doc_id[:10]),
        "factors": (),
        "fingerprint": "v1",
    }
    values.update(fields)
    return SearchDocument(**values)  # type: ignore[arg-type]


CORPUS = (
    doc(
        "2024-11-15-payments-pool-exhaustion",
        title="Checkout errors after payments connection pool exhaustion",
        summary="About 7% of checkout attempts failed for 49 minutes.",
        body=(
            "The connection pool of payments-api was exhausted after a config change. "
            "Requests to the database timed out. The root cause of the outage was the pool "
            "size, set per pod and not per database."
        ),
        services=("payments-api", "checkout-web"),
        tags=("connection-pool-exhaustion", "config-change"),
        severity="SEV1",
        factors=("Pool size was set per pod, not per database.",),
    ),
    doc(
        "2023-06-02-payments-db-failover",
        title="Payments database failover",
        summary="Payments were delayed for three minutes.",
        body="The primary database failed over to its replica. A pool of connections was reset.",
        services=("payments",),
        tags=("failover",),
        severity="SEV3",
        status="draft",
    ),
    doc(
        "2024-02-10-dns-resolver-timeouts",
        title="DNS resolution timeouts",
        summary="Internal lookups failed intermittently.",
        body="The resolver timeout was five seconds. Each timeout stalled a request.",
        services=("dns",),
        tags=("timeout",),
        severity="SEV2",
        factors=("Timeouts were not alerted on.",),
    ),
    doc(
        "2022-12-31-certificate-expiry",
        title="Expired certificate on the edge",
        summary="The edge served an expired certificate for an hour.",
        body="Renewal failed silently. Browsers rejected the certificate of the edge.",
        services=("cdn-edge",),
        tags=("certificate-expiry",),
        severity="SEV2",
        status="in-review",
    ),
)


@pytest.fixture
def index(tmp_path: Path) -> Iterator[SearchIndex]:
    with SearchIndex(tmp_path / "index") as ix:
        ix.update(CORPUS)
        yield ix


def ids(hits: list[Hit]) -> list[str]:
    return [h.id for h in hits]


def snippet(hit: Hit) -> str:
    """The hit's fragments joined, matches marked with «», as `pmkb search --json` has them."""
    return " ".join(fragment.marked() for fragment in hit.fragments)


def indexed(ix: SearchIndex) -> int:
    """The number of documents the index holds."""
    return len(ix.fingerprints())


# --------------------------------------------------------------------------- ranking


def test_title_match_ranks_above_body_match(tmp_path: Path) -> None:
    in_body = doc(
        "2024-01-01-body",
        title="Queue backlog",
        summary="Replication stopped.",
        body="Replication lagged, then replication stopped. " * 3,
    )
    in_title = doc("2024-01-02-title", title="Replication lag on the orders database")
    with SearchIndex(tmp_path) as ix:
        ix.update([in_body, in_title])
        assert ids(ix.search("replication")) == [in_title.id, in_body.id]


def test_more_matches_than_the_limit(tmp_path: Path) -> None:
    """Past ``limit`` matches, Whoosh starts simplifying matchers with score bounds."""
    docs = [
        doc(
            f"2024-01-{n:02d}-incident",
            title="Replication lag" if n % 3 == 0 else "Queue backlog",
            body="Replication stopped. " * (n % 4 + 1),
        )
        for n in range(1, 29)
    ]
    with SearchIndex(tmp_path) as ix:
        ix.update(docs)
        hits = ix.search("replication stopped", limit=5)
    assert len(hits) == 5
    assert all(h.title == "Replication lag" for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_words_are_stemmed(index: SearchIndex) -> None:
    assert ids(index.search("timeouts"))[0] == "2024-02-10-dns-resolver-timeouts"
    assert "2024-11-15-payments-pool-exhaustion" in ids(index.search("exhausting"))


def test_every_word_must_match(index: SearchIndex) -> None:
    assert ids(index.search("pool failover")) == ["2023-06-02-payments-db-failover"]


def test_falls_back_to_any_word_when_no_document_has_all(index: SearchIndex) -> None:
    hits = index.search("certificate zebra")
    assert ids(hits) == ["2022-12-31-certificate-expiry"]
    both = index.search("timeout certificate")  # no document has both
    assert set(ids(both)) == {"2024-02-10-dns-resolver-timeouts", "2022-12-31-certificate-expiry"}


def test_stop_words_are_ignored_unless_alone(index: SearchIndex) -> None:
    assert ids(index.search("the certificate")) == ids(index.search("certificate"))
    assert len(index.search("the")) == len(CORPUS)


def test_hyphenated_word_matches_as_a_whole(index: SearchIndex) -> None:
    hits = index.search("payments-api")
    assert ids(hits) == ["2024-11-15-payments-pool-exhaustion"]


def test_limit(index: SearchIndex) -> None:
    assert len(index.search("the", limit=2)) == 2
    with pytest.raises(ValueError):
        index.search("pool", limit=0)


def test_hit_fields(index: SearchIndex) -> None:
    (hit,) = index.search("resolver")
    assert hit.id == "2024-02-10-dns-resolver-timeouts"
    assert hit.path == "postmortems/2024-02-10-dns-resolver-timeouts.md"
    assert hit.title == "DNS resolution timeouts"
    assert hit.severity == "SEV2"
    assert hit.date == datetime.date(2024, 2, 10)
    assert hit.services == ("dns",)
    assert hit.score > 0


def test_markup_left_in_the_body_does_not_hide_words(tmp_path: Path) -> None:
    body = "The **primary** was `db-7.example.net`; see v1.2 notes."
    with SearchIndex(tmp_path) as ix:
        ix.update([doc("2024-01-01-markup", body=body)])
        assert len(ix.search("primary")) == 1
        assert len(ix.search("db-7.example.net")) == 1
        assert len(ix.search("v1.2")) == 1
        (hit,) = ix.search("primary")
    assert "**«primary»**" in snippet(hit)


# --------------------------------------------------------------------------- phrases


def test_phrase_needs_adjacent_words(index: SearchIndex) -> None:
    assert ids(index.search('"connection pool"')) == ["2024-11-15-payments-pool-exhaustion"]
    assert set(ids(index.search("connection pool"))) == {
        "2024-11-15-payments-pool-exhaustion",
        "2023-06-02-payments-db-failover",  # "a pool of connections"
    }


def test_phrase_with_stop_words(index: SearchIndex) -> None:
    assert ids(index.search('"root cause of the outage"')) == [
        "2024-11-15-payments-pool-exhaustion"
    ]
    assert ids(index.search('"cause the outage"')) == []


def test_phrase_and_words_together(index: SearchIndex) -> None:
    assert ids(index.search('"connection pool" database')) == [
        "2024-11-15-payments-pool-exhaustion"
    ]


def test_phrase_far_into_a_field(tmp_path: Path) -> None:
    """A Whoosh positional phrase crashed here: whoosh-ng 5.4 reads positions ending in
    the byte 46 as a legacy pickle. Phrases are now pairs of terms (no positions)."""
    filler = " ".join(f"word{i}" for i in range(46))
    target = doc("2024-01-01-long", factors=(f"{filler} pool size was per pod",))
    with SearchIndex(tmp_path) as ix:
        ix.update([target])
        assert ids(ix.search('factor:"pool size"')) == [target.id]
        assert ids(ix.search('factor:"size pool"')) == []


# --------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("service:payments-api", {"2024-11-15-payments-pool-exhaustion"}),
        ("services:payments-api", {"2024-11-15-payments-pool-exhaustion"}),
        ("service:PAYMENTS-API", {"2024-11-15-payments-pool-exhaustion"}),
        ("service:payments", {"2023-06-02-payments-db-failover"}),  # whole ids only
        (
            "service:payments-api,dns",
            {"2024-11-15-payments-pool-exhaustion", "2024-02-10-dns-resolver-timeouts"},
        ),
        ("service:api", set()),
        ("tag:config-change", {"2024-11-15-payments-pool-exhaustion"}),
        ("tags:timeout", {"2024-02-10-dns-resolver-timeouts"}),
        ("tag:config", set()),
        ("severity:SEV1", {"2024-11-15-payments-pool-exhaustion"}),
        ("severity:sev2", {"2024-02-10-dns-resolver-timeouts", "2022-12-31-certificate-expiry"}),
        ("status:draft", {"2023-06-02-payments-db-failover"}),
        ("status:in-review", {"2022-12-31-certificate-expiry"}),
        (
            "status:Published",
            {"2024-11-15-payments-pool-exhaustion", "2024-02-10-dns-resolver-timeouts"},
        ),
        ("factor:pod", {"2024-11-15-payments-pool-exhaustion"}),
        ("factor:timeouts", {"2024-02-10-dns-resolver-timeouts"}),
        ('factor:"per pod"', {"2024-11-15-payments-pool-exhaustion"}),
        ('factors:"pod per"', set()),
        ("date:2024", {"2024-11-15-payments-pool-exhaustion", "2024-02-10-dns-resolver-timeouts"}),
        ("date:2024-02", {"2024-02-10-dns-resolver-timeouts"}),
        ("date:2024-02-10", {"2024-02-10-dns-resolver-timeouts"}),
        ("date:2024-02-11", set()),
        ("date:2022..2023", {"2022-12-31-certificate-expiry", "2023-06-02-payments-db-failover"}),
        (
            "date:2022-12-31..2023-06",
            {"2022-12-31-certificate-expiry", "2023-06-02-payments-db-failover"},
        ),
        ("date:..2022", {"2022-12-31-certificate-expiry"}),
        ("date:0999..2022-12", {"2022-12-31-certificate-expiry"}),
        ("date:2024-03..", {"2024-11-15-payments-pool-exhaustion"}),
        ("-service:payments-api date:2024", {"2024-02-10-dns-resolver-timeouts"}),
        ("-status:published", {"2023-06-02-payments-db-failover", "2022-12-31-certificate-expiry"}),
        ("service:payments-api severity:SEV2", set()),
    ],
)
def test_filters(index: SearchIndex, query: str, expected: set[str]) -> None:
    assert set(ids(index.search(query, limit=100))) == expected


def test_filters_only_list_newest_first(index: SearchIndex) -> None:
    hits = index.search("-severity:SEV4", limit=100)
    assert [h.date for h in hits] == sorted((d.date for d in CORPUS), reverse=True)
    assert all(h.score == 0.0 for h in hits)


def test_filters_restrict_ranked_words(index: SearchIndex) -> None:
    assert ids(index.search("pool severity:SEV3")) == ["2023-06-02-payments-db-failover"]
    assert ids(index.search("pool -tag:failover")) == ["2024-11-15-payments-pool-exhaustion"]
    assert ids(index.search('timeout -"resolver timeout"')) == []


def test_excluded_words(index: SearchIndex) -> None:
    assert ids(index.search("database -failover")) == ["2024-11-15-payments-pool-exhaustion"]


DAYS = [
    datetime.date(2019, 1, 1) + datetime.timedelta(days=n)
    for n in (0, 30, 31, 58, 59, 364, 365, 400, 424, 425, 730, 789, 1095, 1460, 1520, 1825, 2190)
]


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    with SearchIndex(tmp_path_factory.mktemp("dated")) as ix:
        ix.update(doc(f"{day.isoformat()}-incident") for day in DAYS)
        yield ix


def _bound(draw: st.DrawFn) -> tuple[str, datetime.date, datetime.date]:
    day = draw(st.dates(datetime.date(2018, 6, 1), datetime.date(2025, 6, 30)))
    granularity = draw(st.sampled_from(["year", "month", "day"]))
    if granularity == "year":
        return f"{day:%Y}", day.replace(month=1, day=1), day.replace(month=12, day=31)
    if granularity == "month":
        last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        return f"{day:%Y-%m}", day.replace(day=1), last
    return day.isoformat(), day, day


@st.composite
def date_ranges(draw: st.DrawFn) -> tuple[str, datetime.date, datetime.date]:
    """A ``date:`` value with the first and last day it covers."""
    lo_text, lo, lo_last = _bound(draw)
    hi_text, _, hi = _bound(draw)
    kind = draw(st.sampled_from(["closed", "open start", "open end", "single"]))
    if kind == "open start":
        return f"..{hi_text}", datetime.date.min, hi
    if kind == "open end":
        return f"{lo_text}..", lo, datetime.date.max
    if kind == "single":
        return lo_text, lo, lo_last
    return f"{lo_text}..{hi_text}", lo, hi


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(date_ranges())
def test_date_ranges_match_exactly(
    dated_index: SearchIndex, case: tuple[str, datetime.date, datetime.date]
) -> None:
    text, lo, hi = case
    if lo > hi:
        with pytest.raises(QueryError):
            dated_index.search(f"date:{text}")
        return
    found = {h.date for h in dated_index.search(f"date:{text}", limit=100)}
    assert found == {d for d in DAYS if lo <= d <= hi}


# --------------------------------------------------------------------------- updates


def test_update_counts(tmp_path: Path) -> None:
    with SearchIndex(tmp_path) as ix:
        assert ix.update(CORPUS) == UpdateStats(added=4)
        assert indexed(ix) == 4
        assert ix.update(CORPUS) == UpdateStats(unchanged=4)

        changed = dataclasses.replace(CORPUS[0], title="Renamed incident", fingerprint="v2")
        assert ix.update([changed, *CORPUS[1:]]) == UpdateStats(updated=1, unchanged=3)
        assert ids(ix.search("renamed")) == [changed.id]
        assert ids(ix.search("errors")) == []  # a word of the old title only

        assert ix.update([changed, *CORPUS[2:]]) == UpdateStats(removed=1, unchanged=3)
        assert ix.search("status:draft") == []
        assert indexed(ix) == 3

        new = doc("2025-01-01-new", title="Brand new incident")
        assert ix.update([new, changed, *CORPUS[2:]]) == UpdateStats(added=1, unchanged=3)


def test_update_with_nothing_removes_everything(index: SearchIndex) -> None:
    assert index.update([]) == UpdateStats(removed=len(CORPUS))
    assert indexed(index) == 0
    assert index.search("pool") == []


def test_moved_file_is_reindexed(index: SearchIndex) -> None:
    moved = dataclasses.replace(CORPUS[0], path="elsewhere/x.md")
    assert index.update([moved, *CORPUS[1:]]) == UpdateStats(updated=1, unchanged=3)
    assert index.search("service:payments-api")[0].path == "elsewhere/x.md"


def test_index_persists(tmp_path: Path) -> None:
    with SearchIndex(tmp_path) as ix:
        ix.update(CORPUS)
    with SearchIndex(tmp_path) as ix:
        assert ix.update(CORPUS) == UpdateStats(unchanged=4)
        assert ids(ix.search("resolver")) == ["2024-02-10-dns-resolver-timeouts"]


def test_sees_updates_from_another_instance(tmp_path: Path) -> None:
    with SearchIndex(tmp_path) as first, SearchIndex(tmp_path) as second:
        first.update(CORPUS)
        assert second.update(CORPUS) == UpdateStats(unchanged=4)


def test_duplicate_ids_are_refused_and_nothing_is_written(index: SearchIndex) -> None:
    changed = dataclasses.replace(CORPUS[0], title="Changed", fingerprint="v2")
    with pytest.raises(ValueError, match="duplicate"):
        index.update([changed, *CORPUS])
    assert index.update(CORPUS) == UpdateStats(unchanged=4)


def test_update_waits_for_another_writer_then_fails_clearly(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_index, "LOCK_TIMEOUT", 0.2)
    writer = index._ix.writer()  # another process updating
    try:
        with pytest.raises(IndexLockedError):
            index.update(CORPUS[1:])
    finally:
        writer.cancel()
    assert index.update(CORPUS[1:]) == UpdateStats(removed=1, unchanged=3)


def test_other_schema_version_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "unrelated.txt").write_text("keep me")
    with SearchIndex(tmp_path) as ix:
        ix.update(CORPUS)
    monkeypatch.setattr(search_index, "SCHEMA_VERSION", search_index.SCHEMA_VERSION + 1)
    with SearchIndex(tmp_path) as ix:
        assert indexed(ix) == 0
        assert ix.update(CORPUS) == UpdateStats(added=4)
    names = [p.name for p in tmp_path.iterdir()]
    assert "unrelated.txt" in names
    assert not [n for n in names if f"v{search_index.SCHEMA_VERSION - 1}_" in n]


def test_unreadable_index_is_rebuilt(tmp_path: Path) -> None:
    with SearchIndex(tmp_path) as ix:
        ix.update(CORPUS)
    for toc in tmp_path.glob("*.toc"):
        toc.write_bytes(b"garbage")
    with SearchIndex(tmp_path) as ix:
        assert ix.update(CORPUS) == UpdateStats(added=4)


# --------------------------------------------------------------------------- snippets


def test_snippet_marks_the_matches(index: SearchIndex) -> None:
    (hit,) = index.search("resolver timeouts")
    assert "«resolver timeout»" in snippet(hit)
    assert "«timeout»" in snippet(hit)
    fragment = hit.fragments[0]
    assert "«" not in fragment.text
    assert [fragment.text[a:b] for a, b in fragment.matches] == ["resolver timeout", "timeout"]


def test_snippet_marks_a_phrase_and_a_hyphenated_word(index: SearchIndex) -> None:
    (hit,) = index.search('"connection pool" payments-api')
    assert "«connection pool» of «payments-api»" in snippet(hit)


def test_snippet_is_cut_at_words_with_ellipses(tmp_path: Path) -> None:
    body = " ".join(["filler"] * 100) + " the needle is here " + " ".join(["padding"] * 100)
    with SearchIndex(tmp_path) as ix:
        ix.update([doc("2024-01-01-long", body=body)])
        (hit,) = ix.search("needle")
    (fragment,) = hit.fragments
    assert fragment.leading_cut and fragment.trailing_cut
    assert snippet(hit).startswith("…") and snippet(hit).endswith("…")
    assert "«needle»" in snippet(hit)
    assert len(fragment.text) <= 200
    assert fragment.text.split()[0] in {"filler", "the"}  # whole words only
    assert fragment.text.split()[-1] in {"padding", "here"}


def test_snippet_without_match_in_body_is_the_summary(index: SearchIndex) -> None:
    (hit,) = index.search("service:dns")
    assert snippet(hit) == "Internal lookups failed intermittently."
    assert hit.fragments == (
        SnippetFragment("Internal lookups failed intermittently.", (), False, False),
    )


def test_marked_with_other_markers() -> None:
    fragment = SnippetFragment("a pool here", ((2, 6),), True, False)
    assert fragment.marked("[", "]") == "…a [pool] here"


def test_snippet_is_one_line(tmp_path: Path) -> None:
    with SearchIndex(tmp_path) as ix:
        ix.update([doc("2024-01-01-lines", body="First line\nthe needle\n\tlast line")])
        (hit,) = ix.search("needle")
    assert "\n" not in snippet(hit) and "\t" not in snippet(hit)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ('"connection pool', "unbalanced"),
        ('service:"payments', "unbalanced"),
        ("owner:@dana", "unknown field 'owner'"),
        ("http://example.com", "unknown field 'http'"),
        ("a:b:c", "unknown field 'a'"),
        ("service:", "needs a value"),
        ('tag:""', "needs a value"),
        ("service:,", "has no value"),
        ("status:done", "unknown status"),
        ("date:24", "bad date"),
        ("date:2024-13", "bad date"),
        ("date:2024-02-30", "bad date"),
        ("date:9999", "bad date"),
        ("date:2024..2023", "empty range"),
        ("date:..", "at least one end"),
        ("!!!", "nothing to search"),
        ("-", "nothing to search"),
        ("factor:!!", "no words"),
        ("x" * 1001, "too long"),
        (" ".join(["word"] * 40), "too many"),
        ("pool \ud800", "not valid text"),
    ],
)
def test_query_errors(index: SearchIndex, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        index.search(query)


@pytest.mark.parametrize(
    "query",
    [
        "\x00",
        "日本語の障害",
        "pöol ünïcode",
        "🔥 outage",
        "((( )))",
        "*",
        "a*b",
        "--pool",
        "OR AND NOT",
        "pool" + " pool" * 30,
        "14:02",
        "x" * 1000,
        "'single quotes'",
        "back\\slash",
    ],
)
def test_hostile_queries_give_hits_or_query_error(index: SearchIndex, query: str) -> None:
    assert_hits_or_query_error(index, query)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=200))
def test_any_text_gives_hits_or_query_error(index: SearchIndex, query: str) -> None:
    assert_hits_or_query_error(index, query)


QUERY_PIECES = st.sampled_from(
    ["service:", "tag:", "date:", "severity:", "status:", "factor:", "x:", "..", '"', "-", ",",
     ":", " ", "pool", "the", "2024", "2024-02", "2024-02-30", "SEV1", "published",
     "payments-api", "é", "*", "."]
)  # fmt: skip


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(QUERY_PIECES, max_size=12).map("".join))
def test_query_like_text_gives_hits_or_query_error(index: SearchIndex, query: str) -> None:
    assert_hits_or_query_error(index, query)


def assert_hits_or_query_error(index: SearchIndex, query: str) -> None:
    try:
        hits = index.search(query)
    except QueryError as exc:
        assert str(exc)
    else:
        assert all(isinstance(h, Hit) for h in hits)
