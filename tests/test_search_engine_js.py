"""The site search's browser engine (`search/site/assets/engine.js`) in Node, on an index
that `index_writer.write_index` wrote: the two sides agree on terms, postings and facets,
and the engine ranks, matches prefixes, plurals and phrases, and filters as specified.

The engine runs through `tests/js/query_index.js` (requests in, answers out, as JSON). The
pure engine tests are in `tests/js/` (`node --test tests/js/`, run by `make lint`).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import struct
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from postmortem_kb.search.site import index_writer
from postmortem_kb.search.site.index_writer import (
    OUTPUT_SUBDIR,
    SearchDoc,
    SearchMarkup,
    facet_files,
    impacts,
    ordered,
    tokens,
)

from .shards import read_shard

REPO = Path(__file__).resolve().parent.parent
QUERY_INDEX = REPO / "tests" / "js" / "query_index.js"


def incident(slug: str, date: str, severity: str, title: str, body: str) -> SearchDoc:
    markup = SearchMarkup(
        kind="incident",
        facets=(("severity", severity), ("year", date[:4])),
        shown={"s": severity, "d": date},
        date=date,
    )
    return SearchDoc(f"postmortems/{date}-{slug}/", title, body, markup)


# Ids, as `ordered` gives them: incidents newest first, then the handbook page.
POOL, POOLING, CERTS, UNICODE, RUNBOOK = range(5)
DOCS = (
    incident(
        "certs",
        "2022-08-05",
        "SEV1",
        "Certificates expired",
        "The mTLS certificate expired at midnight. Renewal timeouts hid it.",
    ),
    SearchDoc(
        "runbooks/database-failover/",
        "Database failover",
        "Promote the replica. Check the pool size after failover: a small pool queues.",
    ),
    incident(
        "pool",
        "2024-05-01",
        "SEV1",
        "Connection pool exhausted",
        "The payments connection pool ran out. Requests queued behind the pool.",
    ),
    incident("unicode", "2021-02-02", "SEV3", "Café ｚeta", "𝐚lpha status redis classes straße"),
    incident(
        "pooling",
        "2023-01-10",
        "SEV2",
        "Slow checkout",
        "Connection pooling was disabled by a config change.",
    ),
)
URLS = [doc.url for doc in ordered(DOCS)]


def node() -> str:
    found = shutil.which("node")
    if found is None:
        reason = "Node.js not found: the site search's engine runs in Node (Node 20)"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{reason}; CI must run it", pytrace=False)
        pytest.skip(reason)
    return found


Ask = Callable[[Sequence[Mapping[str, Any]]], list[Any]]


@pytest.fixture(params=[index_writer.SHARD_BYTES, 64], ids=["one-shard", "small-shards"])
def index_dir(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The index of DOCS, in one term shard, or (cut at 64 bytes) in many."""
    monkeypatch.setattr(index_writer, "SHARD_BYTES", request.param)
    index_writer.write_index(tmp_path, DOCS)
    return tmp_path / OUTPUT_SUBDIR


def run_engine(index_dir: Path, requests: Sequence[Mapping[str, Any]]) -> list[Any]:
    """The engine's answers to `requests` (see tests/js/query_index.js) over `index_dir`."""
    result = subprocess.run(
        [node(), str(QUERY_INDEX), str(index_dir)],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers: list[Any] = json.loads(result.stdout)
    return answers


@pytest.fixture
def ask(index_dir: Path) -> Ask:
    """Send requests to the engine over the index of DOCS."""
    return functools.partial(run_engine, index_dir)


def search(ask: Ask, typed: str, **filters: str) -> dict[str, Any]:
    answer: dict[str, Any] = ask([{"search": typed, "filters": filters}])[0]
    return answer


def f32(value: float) -> float:
    """`value` as the engine's Float32Array holds it."""
    result: float = struct.unpack("f", struct.pack("f", value))[0]
    return result


def expected_ranking(words: Sequence[str], *, prefix: bool) -> list[int]:
    """The ranking the engine is specified to give, from Python's own impacts: per word,
    each document's best impact over the terms it matches (a longer term it starts: 0.7
    of it); documents with every word, by the sum, best first, ties to the lower id."""
    postings = impacts(ordered(DOCS))
    totals: dict[int, float] = {}
    found: dict[int, int] = {}
    for word in words:
        scores: dict[int, float] = {}
        for term, term_postings in postings.items():
            if term == word or (prefix and term.startswith(word)):
                weight = 1.0 if term == word else 0.7
                for doc_id, impact in term_postings:
                    scores[doc_id] = max(scores.get(doc_id, 0.0), f32(impact * weight))
        for doc_id, score in scores.items():
            totals[doc_id] = f32(totals.get(doc_id, 0.0) + score)
            found[doc_id] = found.get(doc_id, 0) + 1
    matching = [doc_id for doc_id in totals if found[doc_id] == len(words)]
    return sorted(matching, key=lambda doc_id: (-totals[doc_id], doc_id))


def test_the_engine_reads_the_postings_python_wrote(ask: Ask, index_dir: Path) -> None:
    (postings,) = ask([{"postings": True}])
    expected = impacts(ordered(DOCS))
    assert {term: [tuple(p) for p in ps] for term, ps in postings.items()} == expected
    on_disk: dict[str, list[tuple[int, int]]] = {}
    for shard in (index_dir / "terms").iterdir():
        on_disk.update(read_shard(shard.read_bytes()))
    assert on_disk == expected


def test_postings_of_many_documents_read_as_written(tmp_path: Path) -> None:
    """300 documents: ids and deltas past 127 take two-byte varints."""
    docs = [
        SearchDoc(f"pages/{i:03}/", f"Page {i}", "common" if i % 3 else "rare words")
        for i in range(300)
    ]
    index_writer.write_index(tmp_path, docs)
    postings, common = run_engine(
        tmp_path / OUTPUT_SUBDIR, [{"postings": True}, {"search": "common"}]
    )
    expected = impacts(ordered(docs))
    assert {term: [tuple(p) for p in ps] for term, ps in postings.items()} == expected
    assert len(common["ids"]) == 200 and max(common["ids"]) == 299


def test_the_engine_makes_the_terms_tokens_makes(ask: Ask) -> None:
    texts = [doc.title + " " + doc.body for doc in DOCS]
    texts.append("PgBouncer's 503s x_y ÉCOLE İstanbul 𝐚lpha " + "a" * 41 + " " + "b" * 40)
    answers = ask([{"terms": text} for text in texts])
    assert answers == [list(tokens(text)) for text in texts]


def test_a_word_matches_the_terms_it_starts_whole_terms_scoring_more(ask: Ask) -> None:
    found = search(ask, "pool")
    assert found["ids"] == expected_ranking(["pool"], prefix=True)
    # "pool" in the title and twice in the body; then the runbook's "pool" (impact 119)
    # above "pooling" (157, × 0.7 = 110 as a longer term)
    assert found["ids"] == [POOL, RUNBOOK, POOLING]
    assert found["urls"] == [URLS[i] for i in found["ids"]]
    assert found["partial"] is False


def test_every_word_must_match_ranked_by_the_sum(ask: Ask) -> None:
    found = search(ask, "connection pool")
    assert found["ids"] == expected_ranking(["connection", "pool"], prefix=True)
    assert set(found["ids"]) == {POOL, POOLING}
    assert search(ask, "the connection of pool")["ids"] == found["ids"]  # stop words out


def test_a_quoted_phrase_matches_whole_words_only(ask: Ask) -> None:
    found = search(ask, '"pool"')
    assert found["ids"] == expected_ranking(["pool"], prefix=False)
    assert set(found["ids"]) == {POOL, RUNBOOK}
    assert search(ask, '"poo"')["ids"] == []


def test_plurals_are_dropped_on_both_sides(ask: Ask) -> None:
    answers = ask(
        [
            {"search": typed}
            for typed in ("certificates", "certificate", "timeouts", "status", "redis", "classes")
        ]
    )
    assert [a["ids"] for a in answers] == [
        [CERTS],
        [CERTS],
        [CERTS],
        [UNICODE],
        [UNICODE],
        [UNICODE],
    ]
    assert answers[0]["words"] == [{"text": "certificate", "prefix": True}]
    assert answers[3]["words"] == [{"text": "status", "prefix": True}]


def test_terms_beyond_the_basic_plane_are_found_in_utf16_order(ask: Ask) -> None:
    """`𝐚` (U+1D41A) sorts before `ｚ` (U+FF5A) in UTF-16, after it in code points: the
    engine binary-searches terms as the writer sorted them."""
    answers = ask([{"search": typed} for typed in ("𝐚lp", "ｚeta", "café", "straße")])
    assert [a["ids"] for a in answers] == [[UNICODE]] * 4


def test_no_page_with_every_word_falls_back_to_any_word(ask: Ask) -> None:
    found = search(ask, "certificates pool")
    assert found["partial"] is True
    assert set(found["ids"]) == {CERTS, POOL, POOLING, RUNBOOK}
    phrase = search(ask, '"certificates pool"')  # a phrase has no fallback
    assert (phrase["ids"], phrase["partial"]) == ([], False)


def test_filters_list_newest_first_and_narrow_words(ask: Ask) -> None:
    assert search(ask, "", severity="SEV1")["ids"] == [POOL, CERTS]
    assert search(ask, "", severity="SEV1", year="2022")["ids"] == [CERTS]
    assert search(ask, "pool", severity="SEV1")["ids"] == [POOL]
    assert search(ask, "pool", severity="SEV4")["ids"] == []


def test_facets_read_as_python_wrote_them(ask: Ask) -> None:
    severity, year = ask([{"facet": "severity"}, {"facet": "year"}])
    assert severity == {"SEV1": [POOL, CERTS], "SEV2": [POOLING], "SEV3": [UNICODE]}
    written = facet_files(ordered(DOCS))["year"]
    assert set(year) == set(written) == {"2024", "2023", "2022", "2021"}
    assert year["2023"] == [POOLING]


def test_a_word_fetches_only_the_shards_its_prefix_spans(ask: Ask, index_dir: Path) -> None:
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    firsts = manifest["shards"]
    holding = {
        i
        for i in range(len(firsts))
        if any(
            t.startswith("pool") for t in read_shard((index_dir / f"terms/{i}.bin").read_bytes())
        )
    }
    key = "pool".encode("utf-16-be")
    sorts_into = max(i for i, first in enumerate(firsts) if first.encode("utf-16-be") <= key)
    fetched = {
        int(name.removeprefix("terms/").removesuffix(".bin"))
        for name in search(ask, "pool")["fetched"]
        if name.startswith("terms/")
    }
    assert fetched == holding | {sorts_into}
    if len(firsts) > 3:  # the small-shards index
        assert len(fetched) < len(firsts)


def test_the_passage_is_the_text_around_the_words(ask: Ask) -> None:
    (passage,) = ask([{"passage": CERTS, "words": ["renewal"]}])
    assert passage == "The mTLS certificate expired at midnight. Renewal timeouts hid it."
    (none,) = ask([{"passage": CERTS, "words": ["zebra"]}])
    assert none == ""
