"""Explicit references: where a post-mortem's text names another incident of the archive.

A post-mortem names another when its body (outside fenced code and inline code) holds

* the other's id as a word (`2023-06-02-payments-db-failover`), or its source file
  (`2023-06-02-payments-db-failover.md`);
* a link whose target holds that id (`../2023-06-02-payments-db-failover/`, a URL);
* the other's exact title (case and spacing aside), when it has at least `MIN_TITLE_WORDS`
  words: shorter titles ("DNS outage") are said of too many incidents to point at one.

A post-mortem naming itself is no reference. The scan looks each word up in a table of ids
and title openings, so its cost grows with the text, not with the size of the archive. Its
result is kept by the post-mortem's id, text and the archive's names (`_SCANNED`): a build
asks twice (PM604, then the listings' links), and `mkdocs serve` again on every rebuild.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from postmortem_kb.format.markdown import blank_code_spans, code_mask
from postmortem_kb.format.model import PostMortem

MIN_TITLE_WORDS = 3
_ID_TOKEN = re.compile(r"[\w][\w.-]*")
_WORD = re.compile(r"[^\W_]+")
_WORD_SEPARATORS = str.maketrans(".-_", "   ")
# Where a link's target is written: inline `](target)`, a reference definition
# `[label]: target`, an autolink `<scheme:...>` or a bare URL.
_LINK_TARGET = re.compile(
    r"\]\(\s*<?[^)\s>]*"
    r"|^ {0,3}\[[^\]]+\]:[ \t]*\S+"
    r"|<[a-z][\w+.-]*:[^>\s]*>"
    r"|https?://\S+",
    re.MULTILINE,
)


class ReferenceKind(StrEnum):
    ID = "its id"
    SOURCE_FILE = "its source file"
    LINK = "a link to it"
    TITLE = "its title"


@dataclass(frozen=True)
class Reference:
    """`target` named in the text at file `line`, `column` (1-based), as `kind`."""

    target: str
    kind: ReferenceKind
    line: int
    column: int


@dataclass(frozen=True)
class ArchiveNames:
    """The ids and titles the scan looks for: build once per archive with `of`."""

    ids: frozenset[str]
    titles: Mapping[tuple[str, ...], tuple[tuple[tuple[str, ...], str], ...]]
    key: int = 0  # the same for archives with the same ids and titles

    @classmethod
    def of(cls, postmortems: Iterable[PostMortem], other_ids: Iterable[str] = ()) -> ArchiveNames:
        """`postmortems` by id and title; `other_ids` are ids known without their text."""
        ids = set(other_ids)
        titles: dict[tuple[str, ...], list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        for pm in postmortems:
            ids.add(pm.id)
            words = tuple(_WORD.findall(pm.meta.title.lower())) if pm.meta.title else ()
            if len(words) >= MIN_TITLE_WORDS:
                titles[words[:MIN_TITLE_WORDS]].append((words, pm.id))
        table = {key: tuple(sorted(value)) for key, value in titles.items()}
        frozen = frozenset(ids)
        return cls(frozen, table, hash((frozen, tuple(sorted(table.items())))))


_SCANNED: dict[tuple[str, int, str, int], list[Reference]] = {}
_SCANNED_MAX = 50_000


def find_references(pm: PostMortem, names: ArchiveNames) -> list[Reference]:
    """The first reference to each other incident `pm`'s body names, in text order."""
    key = (pm.id, pm.body.line, "\n".join(pm.body.lines), names.key)
    found = _SCANNED.get(key)
    if found is None:
        if len(_SCANNED) >= _SCANNED_MAX:
            _SCANNED.clear()
        found = _SCANNED[key] = _scan(pm, names)
    return list(found)


def _scan(pm: PostMortem, names: ArchiveNames) -> list[Reference]:
    in_code = pm.body.in_code or tuple(code_mask(pm.body.lines))
    prose = [("" if in_code[i] else blank_code_spans(line)) for i, line in enumerate(pm.body.lines)]
    text = "\n".join(prose)
    if not _may_name_another(pm.id, text, names):
        return []
    starts = list(itertools.accumulate((len(line) + 1 for line in prose), initial=0))
    found: dict[str, tuple[int, ReferenceKind]] = {}

    def note(target: str, offset: int, kind: ReferenceKind) -> None:
        if target != pm.id and (target not in found or offset < found[target][0]):
            found[target] = (offset, kind)

    links = [(m.start(), m.end()) for m in _LINK_TARGET.finditer(text)]
    for match in _ID_TOKEN.finditer(text):
        named = _named_id(match.group(), names.ids)
        if named:
            target, kind = named
            if any(a <= match.start() < b for a, b in links):
                kind = ReferenceKind.LINK
            note(target, match.start(), kind)
    for target, offset in _title_references(text, names):
        note(target, offset, ReferenceKind.TITLE)
    references = []
    for target, (offset, kind) in sorted(found.items(), key=lambda item: item[1][0]):
        index = bisect.bisect_right(starts, offset) - 1
        references.append(Reference(target, kind, pm.body.line + index, offset - starts[index] + 1))
    return references


def _may_name_another(own_id: str, text: str, names: ArchiveNames) -> bool:
    """Whether `text` holds another id or the opening words of a title (set operations in
    C, so most documents, naming nothing, are done without a Python loop over words)."""
    found = _ID_TOKEN.findall(text)
    tokens = {token.rstrip(".") for token in set(found)}  # each distinct token once
    tokens |= {token.removesuffix(".md") for token in tokens}
    if not names.ids.isdisjoint(tokens - {own_id}):
        return True
    # the tokens split at ".", "-" and "_" are the words `_WORD` finds, in order
    words = " ".join(found).lower().translate(_WORD_SEPARATORS).split()
    openings = zip(words, words[1:], words[2:], strict=False)
    return not names.titles.keys().isdisjoint(openings)


def _named_id(token: str, ids: frozenset[str]) -> tuple[str, ReferenceKind] | None:
    """The id `token` is, as written or as a source file (`.md`), trailing dots aside."""
    token = token.rstrip(".")
    if token in ids:
        return token, ReferenceKind.ID
    if token.endswith(".md") and token[:-3] in ids:
        return token[:-3], ReferenceKind.SOURCE_FILE
    return None


def _title_references(text: str, names: ArchiveNames) -> Iterable[tuple[str, int]]:
    """(id, offset) for each title written out in `text`, words in order, case aside."""
    words = [(m.group().lower(), m.start()) for m in _WORD.finditer(text)]
    for index in range(len(words) - MIN_TITLE_WORDS + 1):
        key = tuple(word for word, _ in words[index : index + MIN_TITLE_WORDS])
        for title, target in names.titles.get(key, ()):
            following = words[index : index + len(title)]
            if tuple(word for word, _ in following) == title:
                yield target, words[index][1]


def explicit_links(postmortems: Sequence[PostMortem]) -> dict[str, tuple[str, ...]]:
    """For each id, the incidents its text names and those whose text names it, in
    `postmortems`' order: the links an explicit reference makes, both ways."""
    names = ArchiveNames.of(postmortems)
    linked: dict[str, set[str]] = defaultdict(set)
    for pm in postmortems:
        for reference in find_references(pm, names):
            linked[pm.id].add(reference.target)
            linked[reference.target].add(pm.id)
    order = {pm.id: index for index, pm in enumerate(postmortems)}
    return {
        key: tuple(sorted(value, key=lambda i: (order.get(i, len(order)), i)))
        for key, value in linked.items()
    }
