"""What similarity and search see of a post-mortem, and the archive's similar incidents.

Both work on plain text (never raw Markdown) from the same sections, so the page's
"Similar incidents", `pmkb similar` and `pmkb search` agree on what a post-mortem says.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence

from postmortem_kb.format.model import PostMortem
from postmortem_kb.format.plaintext import markdown_to_text
from postmortem_kb.similarity.vectors import IncidentProfile, Similar, SimilarityIndex

# The sections that say what failed and how; "What went well" and the action items
# describe the response, which is alike across very different incidents.
SIMILARITY_SECTIONS = ("Summary", "Root cause", "Five whys", "Contributing factors", "Timeline")
SIMILAR_COUNT = 5
_HANDLE = re.compile(r"(?<![\w.])@[\w.-]+")


def section_text(pm: PostMortem, name: str) -> str:
    section = pm.body.section(name)
    return markdown_to_text("\n".join(section.content)) if section else ""


_PROFILES: dict[tuple[str, str, str], IncidentProfile] = {}
_PROFILES_MAX = 50_000


def incident_profile(pm: PostMortem) -> IncidentProfile:
    """What similarity sees of `pm`; kept by its id, front matter and body, since
    `mkdocs serve` asks for every post-mortem's again on each rebuild."""
    key = (pm.id, pm.meta.model_dump_json(), pm.markdown)
    profile = _PROFILES.get(key)
    if profile is None:
        if len(_PROFILES) >= _PROFILES_MAX:
            _PROFILES.clear()
        profile = _PROFILES[key] = _profile(pm)
    return profile


def _profile(pm: PostMortem) -> IncidentProfile:
    text = [pm.meta.impact.summary or ""]
    text += [section_text(pm, name) for name in SIMILARITY_SECTIONS]
    return IncidentProfile(
        id=pm.id,
        title=pm.title,
        # Who was on call says nothing about what failed.
        text=_HANDLE.sub(" ", "\n".join(part for part in text if part)),
        services=tuple(pm.meta.services),
        tags=tuple(pm.meta.tags),
        factor_categories=tuple(f.category for f in pm.meta.contributing_factors),
        factors=tuple(f.description for f in pm.meta.contributing_factors),
    )


ROWS_ALONE = 8
"""How many post-mortems' similar incidents `SimilarIncidents` computes one by one before
it computes every row left in one batch."""


class SimilarIncidents(Mapping[str, list[Similar]]):
    """Each post-mortem's `k` most similar others, computed when first asked for: the row
    alone for the first `ROWS_ALONE` (a `mkdocs serve --dirty` rebuild renders only the
    edited post-mortem, so it pays for one row, not all N), then all rows in one batch
    (a full build asks for every one). A row is the same either way."""

    def __init__(
        self, index: SimilarityIndex, k: int, exclude: Mapping[str, Collection[str]]
    ) -> None:
        self._index, self._k, self._exclude = index, k, exclude
        self._rows: dict[str, list[Similar]] = {}
        self._asked = 0

    def __getitem__(self, incident_id: str) -> list[Similar]:
        if incident_id not in self._rows:
            if incident_id not in self._index:
                raise KeyError(incident_id)
            self._asked += 1
            ids = (incident_id,) if self._asked <= ROWS_ALONE else None
            self._rows.update(self._index.top_k(self._k, self._exclude, ids))
        return self._rows[incident_id]

    def __iter__(self) -> Iterator[str]:
        return (profile.id for profile in self._index.profiles)

    def __len__(self) -> int:
        return len(self._index)


_LAST_INDEX: list[SimilarityIndex] = []  # the last archive's, see `_index`


def _index(profiles: list[IncidentProfile]) -> SimilarityIndex:
    """The similarity index of `profiles`: the last one built when they are the same (a
    `mkdocs serve` rebuild after an edit that did not touch what similarity reads), else
    a new one that tokenises only the texts the last one did not have."""
    ordered = tuple(sorted(profiles, key=lambda p: p.id))
    last = _LAST_INDEX[0] if _LAST_INDEX else None
    if last is not None and last.profiles == ordered:
        return last
    _LAST_INDEX[:] = [SimilarityIndex.build(ordered, previous=last)]
    return _LAST_INDEX[0]


def similar_incidents(
    postmortems: Sequence[PostMortem],
    related: Mapping[str, Collection[str]],
    k: int = SIMILAR_COUNT,
) -> Mapping[str, list[Similar]]:
    """The `k` most similar others of every post-mortem, leaving out the incidents already
    linked as related (`related`: id -> ids linked in either direction), each computed
    when first asked for (`SimilarIncidents`)."""
    if not postmortems:
        return {}
    index = _index([incident_profile(pm) for pm in postmortems])
    return SimilarIncidents(index, k, {key: set(ids) for key, ids in related.items()})


def similar_to_draft(
    draft: PostMortem, archive: Sequence[PostMortem], k: int = SIMILAR_COUNT
) -> list[Similar]:
    """The archive's incidents most like `draft`, which need not be in the archive; the ones
    the draft already names in `related` are left out."""
    others = [pm for pm in archive if pm.id != draft.id]
    if not others:
        return []
    index = SimilarityIndex.build(incident_profile(pm) for pm in others)
    return index.query(incident_profile(draft), k, exclude=draft.meta.related)
