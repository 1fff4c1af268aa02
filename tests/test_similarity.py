"""Similar incidents: ranking, reasons, exclusion, drafts, edge cases and determinism."""

from __future__ import annotations

import dataclasses
import importlib.util
import random
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from postmortem_kb.similarity import vectors as similarity
from postmortem_kb.similarity.vectors import (
    IncidentProfile,
    Reason,
    ReasonKind,
    Similar,
    SimilarityIndex,
    Weights,
    tokenize,
)

POOL_TEXT = (
    "Checkout requests timed out because the payments connection pool was exhausted. "
    "Every pod opened 40 connections and pgbouncer queued the waiters until the pool "
    "saturation alert fired."
)


def profile(
    incident_id: str,
    text: str = "",
    *,
    title: str = "",
    services: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    factors: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
) -> IncidentProfile:
    return IncidentProfile(
        id=incident_id,
        title=title or incident_id.replace("-", " "),
        text=text,
        services=services,
        tags=tags,
        factor_categories=categories,
        factors=factors,
    )


@pytest.fixture
def archive() -> list[IncidentProfile]:
    return [
        profile(
            "2024-11-15-payments-pool-exhaustion",
            POOL_TEXT,
            services=("payments-api", "checkout-web"),
            tags=("connection-pool-exhaustion", "config-change"),
            factors=("Config-only deploys skip the canary stage.",),
            categories=("process",),
        ),
        profile(
            "2023-06-02-payments-db-saturation",
            "The payments database hit max connections; the pool saturation alert paged the "
            "on-call and checkout requests timed out.",
            services=("payments-api",),
            tags=("connection-pool-exhaustion",),
            factors=("config-only deploys skip the CANARY stage",),
            categories=("process",),
        ),
        profile(
            "2022-03-10-search-certificate-expiry",
            "The TLS certificate of the search cluster expired and browsers refused the handshake.",
            services=("search-api",),
            tags=("certificate-expiry",),
            factors=("Certificate renewals were tracked in a spreadsheet",),
            categories=("process",),
        ),
        profile(
            "2021-08-01-email-queue-backlog",
            "Email workers fell behind and the notification queue grew for hours.",
            services=("email-sender",),
            tags=("queue-backlog",),
        ),
        profile(
            "2020-01-20-checkout-dns",
            "A DNS record for checkout was deleted and resolvers returned NXDOMAIN.",
            services=("checkout-web",),
            tags=("dns-misconfiguration",),
        ),
    ]


def test_tokenize_keeps_and_splits_joined_terms_drops_stop_words_and_plurals() -> None:
    terms = tokenize("The connection-pool-exhaustion of settlement_payments; Pools and queries")
    assert "connection-pool-exhaustion" in terms
    assert {"connection", "pool", "exhaustion", "settlement_payments", "settlement"} <= set(terms)
    assert "payment" in terms  # the part, reduced to its singular
    assert terms.count("pool") == 2  # "Pools" is the same term
    assert "query" in terms
    assert "the" not in terms and "of" not in terms and "and" not in terms


def test_tokenize_keeps_three_digit_codes_but_not_times_dates_or_id_compounds() -> None:
    terms = tokenize("HTTP 503 at 14:02 on 2024-11-15, ticket PAY-1432, 12 pods")
    assert "503" in terms
    assert not {"14", "02", "2024", "11", "15", "12", "1432", "2024-11-15"} & set(terms)
    assert "pay-1432" not in terms and "pay" in terms
    assert "pod" in terms


def test_tokenize_drops_calendar_words_and_quantities() -> None:
    terms = tokenize("Wed Dec 15, 09:00 PST: repaired in 0h 55m, 3x the 500ms budget, 2nd try")
    assert terms == ["repaired", "budget", "try"]
    assert tokenize("5xx from x509 on ec2") == ["5xx", "x509", "ec2"]


def test_same_service_and_failure_mode_rank_above_unrelated(
    archive: list[IncidentProfile],
) -> None:
    result = SimilarityIndex.build(archive).top_k(k=4)
    ranked = [s.id for s in result["2024-11-15-payments-pool-exhaustion"]]
    assert ranked[0] == "2023-06-02-payments-db-saturation"
    first = result["2024-11-15-payments-pool-exhaustion"][0]
    assert all(first.score > s.score for s in result["2024-11-15-payments-pool-exhaustion"][1:])
    assert result["2023-06-02-payments-db-saturation"][0].id == (
        "2024-11-15-payments-pool-exhaustion"
    )


def test_shared_service_alone_beats_nothing_in_common(archive: list[IncidentProfile]) -> None:
    result = SimilarityIndex.build(archive).top_k(k=4)
    ranked = [s.id for s in result["2020-01-20-checkout-dns"]]
    assert ranked[0] == "2024-11-15-payments-pool-exhaustion"  # shares checkout-web
    assert "2021-08-01-email-queue-backlog" not in ranked  # nothing shared: score 0, not listed


def test_reasons_name_shared_service_failure_mode_factor_and_words(
    archive: list[IncidentProfile],
) -> None:
    best = SimilarityIndex.build(archive).top_k()["2024-11-15-payments-pool-exhaustion"][0]
    kinds = [r.kind for r in best.reasons]
    assert kinds == [
        ReasonKind.SERVICE,
        ReasonKind.FAILURE_MODE,
        ReasonKind.FACTOR,
        ReasonKind.WORDS,
    ]
    assert best.reasons[0] == Reason(ReasonKind.SERVICE, ("payments-api",))
    assert best.reasons[1] == Reason(ReasonKind.FAILURE_MODE, ("connection-pool-exhaustion",))
    # factors match after normalisation; the text shown is the incident's own
    assert best.reasons[2] == Reason(
        ReasonKind.FACTOR, ("Config-only deploys skip the canary stage.",)
    )
    words = best.reasons[3].items
    assert 1 <= len(words) <= similarity.REASON_WORDS
    assert {"pool", "saturation"} <= set(words) | {p for w in words for p in w.split("-")}
    assert best.describe().startswith(
        "same service: payments-api; same failure mode: connection-pool-exhaustion; "
        "shared factor: Config-only deploys skip the canary stage.; words: "
    )


def test_words_are_terms_both_incidents_contain() -> None:
    index = SimilarityIndex.build(
        [
            profile("a", "kafka consumer lag grew on the orders topic during the rebalance"),
            profile("b", "consumer lag and a rebalance storm on the orders topic"),
            profile("c", "unrelated disk filled with logs"),
        ]
    )
    (best,) = index.top_k(k=1)["a"]
    assert best.id == "b"
    (words,) = [r.items for r in best.reasons if r.kind is ReasonKind.WORDS]
    assert set(words) <= set(tokenize("consumer lag and a rebalance storm on the orders topic"))
    assert {"consumer", "lag", "rebalance", "orders", "topic"} & set(words)


def test_words_in_most_incidents_of_a_large_archive_are_boilerplate() -> None:
    topics = ("disk full on the database", "certificate expired at the edge", "kafka lag")
    archive = [profile(f"inc-{i:02d}", f"Incident report: {topics[i % 3]}") for i in range(60)]
    result = SimilarityIndex.build(archive).top_k(k=3)
    words = {w for hits in result.values() for s in hits for r in s.reasons for w in r.items}
    assert "report" not in words and "incident" not in words  # in all 60: weight 0
    assert {"disk", "certificate", "kafka"} <= words
    assert [s.id for s in result["inc-00"]] == ["inc-03", "inc-06", "inc-09"]  # ties: by id


def test_describe_formats_reasons_in_order() -> None:
    similar = Similar(
        "x",
        0.5,
        (
            Reason(ReasonKind.SERVICE, ("payments-api",)),
            Reason(ReasonKind.FAILURE_MODE, ("connection-pool-exhaustion",)),
            Reason(ReasonKind.FACTOR, ("Config-only deploys skip the canary stage",)),
            Reason(ReasonKind.WORDS, ("pool", "saturation", "timeout")),
        ),
    )
    assert similar.describe() == (
        "same service: payments-api; same failure mode: connection-pool-exhaustion; "
        "shared factor: Config-only deploys skip the canary stage; "
        "words: pool, saturation, timeout"
    )


def test_exclude_drops_listed_incidents_and_promotes_the_next(
    archive: list[IncidentProfile],
) -> None:
    index = SimilarityIndex.build(archive)
    me, related = "2024-11-15-payments-pool-exhaustion", "2023-06-02-payments-db-saturation"
    plain = [s.id for s in index.top_k(k=3)[me]]
    excluded = index.top_k(k=3, exclude={me: {related, "not-in-archive"}, "unknown": {me}})
    assert related in plain
    assert related not in [s.id for s in excluded[me]]
    assert [s.id for s in excluded[me]][: len(plain) - 1] == [i for i in plain if i != related]
    # exclusion is one-way: the other incident still lists me
    assert me in [s.id for s in excluded[related]]


def test_query_on_a_draft_that_is_not_indexed(archive: list[IncidentProfile]) -> None:
    index = SimilarityIndex.build(archive)
    draft = profile(
        "2025-02-01-draft",
        "Checkout timed out again: the payments pool was exhausted and pgbouncer queued.",
        services=("payments-api",),
        tags=("connection-pool-exhaustion",),
    )
    assert "2025-02-01-draft" not in index
    result = index.query(draft, k=2)
    assert {s.id for s in result} == {
        "2024-11-15-payments-pool-exhaustion",
        "2023-06-02-payments-db-saturation",
    }
    assert result[0].score >= result[1].score > 0
    assert result[0].reasons[0] == Reason(ReasonKind.SERVICE, ("payments-api",))


def test_query_never_returns_the_profile_itself_or_excluded_ids(
    archive: list[IncidentProfile],
) -> None:
    index = SimilarityIndex.build(archive)
    me = archive[0]
    assert me.id not in [s.id for s in index.query(me, k=10)]
    ids = [s.id for s in index.query(me, k=10, exclude={"2023-06-02-payments-db-saturation"})]
    assert "2023-06-02-payments-db-saturation" not in ids


def test_query_agrees_with_top_k_for_an_indexed_document(
    archive: list[IncidentProfile],
) -> None:
    index = SimilarityIndex.build(archive)
    me = archive[0]
    copy = dataclasses.replace(me, id="draft-copy")
    queried = index.query(copy, k=len(archive))
    assert queried[0].id == me.id
    assert queried[0].score == pytest.approx(1.0)
    from_index = index.top_k(k=len(archive))[me.id]
    assert [s.id for s in queried[1:]] == [s.id for s in from_index]
    assert [s.score for s in queried[1:]] == pytest.approx([s.score for s in from_index])
    assert [s.reasons for s in queried[1:]] == [s.reasons for s in from_index]


def test_empty_archive() -> None:
    index = SimilarityIndex.build([])
    assert len(index) == 0
    assert index.top_k() == {}
    assert index.query(profile("draft", "anything at all")) == []


def test_single_document_archive() -> None:
    only = profile("only", POOL_TEXT, services=("payments-api",))
    index = SimilarityIndex.build([only])
    assert index.top_k() == {"only": []}
    assert index.query(only) == []
    (hit,) = index.query(dataclasses.replace(only, id="draft"))
    # identical text and services; the blocks neither incident has add nothing
    weights = Weights()
    assert hit.id == "only" and hit.score == pytest.approx(weights.text + weights.services)


def test_documents_without_shared_features_have_no_similar() -> None:
    index = SimilarityIndex.build([profile("a", "alpha beta"), profile("b", "gamma delta")])
    assert index.top_k() == {"a": [], "b": []}


def test_duplicate_ids_are_rejected() -> None:
    with pytest.raises(ValueError, match="unique"):
        SimilarityIndex.build([profile("a", "x"), profile("a", "y")])


def test_ties_are_broken_by_id_and_input_order_does_not_matter() -> None:
    twins = [profile(f"twin-{i}", POOL_TEXT, services=("payments-api",)) for i in range(8)]
    shuffled = twins[:]
    random.Random(4).shuffle(shuffled)
    first = SimilarityIndex.build(twins).top_k(k=3)
    second = SimilarityIndex.build(shuffled).top_k(k=3)
    assert first == second
    assert [s.id for s in first["twin-0"]] == ["twin-1", "twin-2", "twin-3"]
    assert [s.id for s in first["twin-5"]] == ["twin-0", "twin-1", "twin-2"]
    assert len({s.score for s in first["twin-5"]}) == 1


def test_chunked_product_gives_the_same_result(
    archive: list[IncidentProfile], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = SimilarityIndex.build(archive).top_k(k=3)
    monkeypatch.setattr(similarity, "CHUNK_CELLS", 1)  # one row per chunk
    assert SimilarityIndex.build(archive).top_k(k=3) == whole


def test_weights_change_the_ranking(archive: list[IncidentProfile]) -> None:
    me = "2020-01-20-checkout-dns"
    labels_only = Weights(text=0, services=1, tags=0, factors=0, factor_categories=0)
    (only,) = SimilarityIndex.build(archive, weights=labels_only).top_k(k=5)[me]
    assert only.id == "2024-11-15-payments-pool-exhaustion"
    assert only.score == pytest.approx(1 / 2**0.5)  # one shared service out of two
    assert only.reasons == (Reason(ReasonKind.SERVICE, ("checkout-web",)),)


def _similarity_scale() -> ModuleType:
    """benchmarks/similarity_scale.py: the synthetic generator and a minimal reader."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "similarity_scale.py"
    spec = importlib.util.spec_from_file_location("pmkb_similarity_scale", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthetic_archive_neighbours_share_service_or_failure_mode(tmp_path: Path) -> None:
    scale = _similarity_scale()
    paths = scale.write_postmortems(tmp_path, 300, seed=3)
    profiles = [scale.read_profile(path) for path in paths]
    result = SimilarityIndex.build(profiles).top_k(k=5)
    by_id = {p.id: p for p in profiles}
    shared = [
        bool(set(by_id[me].services) & set(by_id[s.id].services))
        or bool(set(by_id[me].tags) & set(by_id[s.id].tags))
        for me, hits in result.items()
        for s in hits
    ]
    assert len(shared) == 5 * len(profiles)
    assert sum(shared) / len(shared) > 0.95
    for hits in result.values():
        assert [s.score for s in hits] == sorted((s.score for s in hits), reverse=True)
        assert all(0 < s.score <= 1 for s in hits)


def test_rows_asked_alone_are_the_rows_of_the_whole_archive(
    archive: list[IncidentProfile],
) -> None:
    """`mkdocs serve --dirty` asks for the edited post-mortem's row only: each row (with
    its exclusions) is the one the full computation gives, in any order of asking."""
    index = SimilarityIndex.build(archive)
    me, related = "2024-11-15-payments-pool-exhaustion", "2023-06-02-payments-db-saturation"
    exclude = {me: {related}}
    whole = index.top_k(k=3, exclude=exclude)
    assert whole[me] and related not in [s.id for s in whole[me]]
    for incident in reversed(list(whole)):
        assert index.top_k(k=3, exclude=exclude, ids=[incident]) == {incident: whole[incident]}
    some = [p.id for p in archive[::2]]
    assert index.top_k(k=3, exclude=exclude, ids=[*some, "unknown"]) == {i: whole[i] for i in some}
    assert index.top_k(k=3, ids=[]) == {}


def test_an_index_built_from_the_last_one_is_the_index_built_anew(
    archive: list[IncidentProfile],
) -> None:
    """`mkdocs serve` builds the next index from the last one's token counts, tokenising
    only new texts: one text edited (with words no other has, and words it no longer has),
    one incident gone, one new (sharing a title with another): the same vectors and top k."""
    last = SimilarityIndex.build(archive)
    edited = dataclasses.replace(
        archive[0], text=archive[0].text.split(".")[0] + ". Zookeeper quorum xylophone loss."
    )
    added = dataclasses.replace(archive[1], id="zz-new", text="Disk full on kafka brokers.")
    changed = [edited, *archive[2:], added]
    again = SimilarityIndex.build(changed, previous=last)
    anew = SimilarityIndex.build(changed)
    assert again.tokens is not None and anew.tokens is not None
    assert again.tokens.tokens == anew.tokens.tokens and "xylophone" in anew.tokens.tokens
    assert (again.tokens.matrix != anew.tokens.matrix).nnz == 0
    text_again, text_anew = again._blocks["text"], anew._blocks["text"]
    assert text_again.terms == text_anew.terms
    assert np.array_equal(text_again.matrix.toarray(), text_anew.matrix.toarray())
    assert again.top_k(k=3) == anew.top_k(k=3)
    assert SimilarityIndex.build(archive, previous=again).top_k(k=3) == last.top_k(k=3)
