"""Similar incidents on real public post-mortems (../shared/corpus or $PMKB_CORPUS).

The corpus is data beside the checkout, not part of it: the module is skipped when absent.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str) -> ModuleType:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))  # eval_similarity imports corpus
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


corpus = _load("corpus")
eval_similarity = _load("eval_similarity")
ROOT = corpus.corpus_dir()
pytestmark = pytest.mark.skipif(ROOT is None, reason="no corpus at ../shared/corpus or PMKB_CORPUS")

# The pairs found by reading the corpus by hand: each later document points at the earlier
# one by a link, by its title plus "previous postmortem"/"second occurrence", or by its date.
EXPECTED_PAIRS = {
    (
        "Chia-Network__post-mortem/2023-05/2023-05-08-Negative-values-allowed-in-settlement_payments",
        "Chia-Network__post-mortem/2023-01/2023-01-31-Negative-values-allowed-in-settlement_payments",
    ),
    (
        "dfds__postmortems/PM2019-010 - Hellman Kubernetes cluster node deletion",
        "dfds__postmortems/PM2019-009 - Kubernetes network infrastructure IP starvation",
    ),
    (
        "dfds__postmortems/PM2019-011 - Hellman Kubernetes IaC accidentally reverted",
        "dfds__postmortems/PM2019-009 - Kubernetes network infrastructure IP starvation",
    ),
    (
        "dfds__postmortems/PM2021-006 - All services returning 503 in Kubernetes",
        "dfds__postmortems/PM2021-005 - All services returning 503 in Kubernetes",
    ),
    (
        "dfds__postmortems/PM2021-007 - All services returning 503 in Kubernetes",
        "dfds__postmortems/PM2021-005 - All services returning 503 in Kubernetes",
    ),
    (
        "dfds__postmortems/PM2021-007 - All services returning 503 in Kubernetes",
        "dfds__postmortems/PM2021-006 - All services returning 503 in Kubernetes",
    ),
    (
        "usdigitalresponse__univaf/docs/incidents/2021-06-11--database-low",
        "usdigitalresponse__univaf/docs/incidents/2021-06-03--database-full",
    ),
}
RECALL_AT_3 = 0.95  # achieved: 1.0, all 7 pairs in the top 3
MRR = 0.9  # achieved: 0.929 (six at rank 1; PM2021-007 ranks PM2021-006 above PM2021-005)


@pytest.fixture(scope="module")
def documents() -> list:
    assert ROOT is not None
    return corpus.load_documents(ROOT)


@pytest.fixture(scope="module")
def evaluation():
    assert ROOT is not None
    result = eval_similarity.evaluate(ROOT)
    print("\n" + eval_similarity.report(result))
    return result


def test_loads_every_post_mortem_but_not_readmes_licences_templates_or_indexes(
    documents: list,
) -> None:
    ids = [d.id for d in documents]
    assert len(ids) == len(set(ids))
    archives = {d.archive for d in documents}
    assert len(archives) == 6
    assert not [
        i for i in ids if "template" in i.lower() or i.lower().endswith(("/readme", "/index"))
    ]
    # files without an extension and .html.md.erb pages are included
    assert "dfds__postmortems/PM2022-009 - Bad AWS EKS AMI causing Kubernetes issues" in ids
    assert "Chia-Network__post-mortem/2022-10/2022-10-31-Android-Phone-Incident" in ids
    assert "ministryofjustice__cloud-platform/source/incidents/2020-02-18" in ids
    assert all(d.title for d in documents)


def test_reference_detection_finds_the_pairs_read_by_hand(documents: list) -> None:
    found = {(r.later, r.earlier) for r in corpus.find_references(documents)}
    assert found == EXPECTED_PAIRS


def test_identical_titles_without_a_back_reference_are_not_pairs(documents: list) -> None:
    # Three unrelated "Suspected Chia Employee Compromise" reports share a template title.
    found = {(r.later, r.earlier) for r in corpus.find_references(documents)}
    assert not [pair for pair in found if "EmployeeCompromise" in pair[0]]


def test_profiles_strip_the_mentions_that_make_a_pair(documents: list) -> None:
    by_id = {d.id: d for d in documents}
    for reference in corpus.find_references(documents):
        stripped = corpus.profile(by_id[reference.later], reference.mentions)
        text = (stripped.title + "\n" + stripped.text).lower()
        earlier = by_id[reference.earlier]
        assert earlier.stem.lower() not in text
        assert "http" not in text


def test_recall_at_3_and_mrr_on_real_references(evaluation) -> None:
    assert len(evaluation.pairs) == len(EXPECTED_PAIRS)
    assert evaluation.recall >= RECALL_AT_3
    assert evaluation.mrr >= MRR


@pytest.fixture(scope="module")
def cross_validation():
    assert ROOT is not None
    result = eval_similarity.cross_validate(ROOT, eval_similarity.LEXICAL_GRID)
    print("\n" + eval_similarity.cv_report(result))
    return result


def test_groups_are_same_organisation_reports_of_the_corpus(documents: list) -> None:
    archive = {d.id: d.archive for d in documents}
    for group in eval_similarity.GROUPS:
        assert len(group) >= 2
        assert {archive[member] for member in group} == {archive[group[0]]}


def test_cross_validation_scores_only_held_out_queries(cross_validation) -> None:
    found = cross_validation.queries
    assert [q.kind for q in found].count("pair") == len(EXPECTED_PAIRS)
    assert [q.kind for q in found].count("group") == sum(map(len, eval_similarity.GROUPS))
    # every organisation with queries is held out once, and each held-out rank is the rank
    # under the parameters chosen without that organisation
    assert set(cross_validation.chosen) == {q.archive for q in found}
    for i, query in enumerate(found):
        chosen = cross_validation.chosen[query.archive]
        assert cross_validation.held_out_ranks[i] == cross_validation.table[chosen][i]


def test_strict_pairs_reach_recall_1_with_parameters_chosen_without_them(
    cross_validation,
) -> None:
    pairs = cross_validation.figures("pair", cross_validation.held_out_ranks)
    groups = cross_validation.figures("group", cross_validation.held_out_ranks)
    assert pairs.recall == 1.0
    assert pairs.mrr >= MRR
    assert groups.recall >= 0.9  # achieved: 0.933 (28 of 30 members find another in the top 3)
    assert groups.mrr >= 0.85  # achieved: 0.872


def test_cross_validation_is_deterministic(cross_validation) -> None:
    assert ROOT is not None
    again = eval_similarity.cross_validate(ROOT, eval_similarity.LEXICAL_GRID)
    assert again.held_out_ranks == cross_validation.held_out_ranks
    assert again.chosen == cross_validation.chosen


def test_semantic_block_is_deterministic_and_matches_a_transformed_row() -> None:
    pytest.importorskip("wordllama")
    semantic = _load("semantic")
    texts = ["database disk full", "storage volume ran out of space", "ingress returned 503"]
    for pooling in semantic.Pooling:
        first = semantic.EmbeddingBlock.build(texts, pooling)
        second = semantic.EmbeddingBlock.build(list(texts), pooling)
        assert (first.matrix == second.matrix).all()
        assert first.matrix.shape == (3, semantic.DIMENSIONS)
        assert abs(float((first.matrix[0] ** 2).sum()) - 1.0) < 1e-5
        row = first.transform(texts[1])
        assert abs(float(row[0] @ first.matrix[1]) - 1.0) < 1e-5
    # "full" and "space" are other words: the lexical blocks would score these 0
    disk, space, ingress = semantic.EmbeddingBlock.build(texts, semantic.Pooling.MEAN).matrix
    assert float(disk @ space) > float(disk @ ingress)
