"""Real public post-mortems (``../shared/corpus``) as similarity profiles, and their references.

The corpus holds archives copied from several public repositories, each in its own format
(see its README.md). Everything here is generic: no document is special-cased.

* `load_documents` reads every post-mortem in memory: the archive is the top-level folder;
  README, LICENSE, template and index pages are skipped. The title is the front matter
  ``title`` or the first H1 (a label such as ``# Title:`` gives way to the next line); the
  date is the first date in the file's path, else the first date in its text.
* `find_references` lists where a later document refers to an earlier one of the same
  archive, by
  - a link, URL or path naming the earlier file;
  - the earlier title (three words or more) quoted in the body;
  - the earlier title repeated in the later title, when the later body also says it is a
    recurrence ("previous postmortem", "second occurrence", ...): identical template
    titles of unrelated reports do not count;
  - the earlier incident's date mentioned in a sentence (not a heading, table or timeline
    line, which are the document's own events), if it is the date of exactly one earlier
    document.
  These pairs are the ground truth for ``eval_similarity.py``.
* `profile` turns a document into an `IncidentProfile` (plain text of the body, no services
  or tags: these archives have none), optionally with some mentions cut out first.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import yaml
from postmortem_kb.importers.timeline import MONTHS
from postmortem_kb.similarity.vectors import IncidentProfile

SKIPPED_NAMES = re.compile(r"^(readme|license|licence|index)\b|template", re.IGNORECASE)
SUFFIXES = (".erb", ".md", ".markdown", ".html", ".txt")
MIN_TITLE_WORDS = 3
# Wording by which a post-mortem says it is not the first of its kind.
RECURRENCE = re.compile(
    r"\b(?:previous|prior|last|earlier|past|other)\s+(?:incident|post-?mortem|outage|occurr?ence)s?\b"
    r"|\b(?:another|second|third)\s+(?:\S+\s+){0,2}?(?:occurr?ence|incident|outage)s?\b"
    r"|\bseen this (?:issue|problem|failure|error)? ?before\b",
    re.IGNORECASE,
)

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d\d))?"
DATE_PATTERNS = (
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b"),
    re.compile(r"\b(?P<month>[01]?\d)/(?P<day>[0-3]?\d)/(?P<year>(?:19|20)?\d\d)\b"),
    re.compile(rf"\b(?P<month>{_MONTH})\.?\s+{_DAY}\b{_YEAR}", re.IGNORECASE),
    re.compile(rf"\b{_DAY}(?:\s+of)?\s+(?P<month>{_MONTH})\b\.?{_YEAR}", re.IGNORECASE),
)


@dataclass(frozen=True)
class Document:
    id: str  # "<archive>/<path inside the archive, without extensions>"
    archive: str
    stem: str  # file name without extensions
    title: str
    body: str  # Markdown without front matter or the title line
    date: date | None


@dataclass(frozen=True)
class Reference:
    """``later`` refers to ``earlier``; ``mentions`` are the referring strings in ``later``."""

    later: str
    earlier: str
    kinds: tuple[str, ...]
    mentions: tuple[str, ...]


def corpus_dir() -> Path | None:
    """``../shared/corpus`` beside the checkout, else ``$PMKB_CORPUS``; None if neither exists."""
    candidates = [Path(__file__).resolve().parents[2] / "shared" / "corpus"]
    if os.environ.get("PMKB_CORPUS"):
        candidates.append(Path(os.environ["PMKB_CORPUS"]))
    return next((c for c in candidates if c.is_dir()), None)


def load_documents(root: Path) -> list[Document]:
    """Every post-mortem under ``root``, sorted by id."""
    documents = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        if len(relative.parts) < 2 or _skipped(relative):
            continue
        documents.append(_document(relative, path.read_text(encoding="utf-8", errors="replace")))
    return documents


def _skipped(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts) or bool(
        SKIPPED_NAMES.search(_strip_suffixes(relative.name))
    )


def _strip_suffixes(name: str) -> str:
    while name.lower().endswith(SUFFIXES):
        name = name[: name.rfind(".")]
    return name


def _document(relative: Path, raw: str) -> Document:
    meta, markdown = _front_matter(raw)
    stem = _strip_suffixes(relative.name)
    title, body = _title_and_body(markdown, meta.get("title"))
    archive = relative.parts[0]
    found = [day for day, _ in _dates(str(relative)) + _dates(markdown) if day.year > 1]
    return Document(
        id="/".join((*relative.parts[:-1], stem)),
        archive=archive,
        stem=stem,
        title=title or _title_from_stem(stem),
        body=body,
        date=found[0] if found else None,
    )


def _front_matter(raw: str) -> tuple[dict, str]:
    match = re.match(r"---\s*\n(.*?)\n---\s*\n", raw, re.DOTALL)
    if not match:
        return {}, raw
    meta = yaml.safe_load(match.group(1))
    return (meta if isinstance(meta, dict) else {}), raw[match.end() :]


def _title_and_body(markdown: str, title: object) -> tuple[str, str]:
    """Front matter title, else the first H1 (or the line after an H1 that is a label)."""
    lines = markdown.splitlines()
    heading = next((i for i, line in enumerate(lines) if re.match(r"#\s", line)), None)
    if heading is None:
        return (str(title) if title else ""), markdown
    text = lines[heading].lstrip("#").strip()
    drop = [heading]
    if text.endswith(":"):
        following = next((i for i in range(heading + 1, len(lines)) if lines[i].strip()), None)
        if following is not None:
            text = lines[following].lstrip("#").strip()
            drop.append(following)
    body = "\n".join(line for i, line in enumerate(lines) if i not in drop)
    return (str(title) if title else text), body


def _title_from_stem(stem: str) -> str:
    """For a document without a title: its file name's words, dates aside."""
    return " ".join(re.split(r"[-_\s]+", _without_dates(stem))).strip()


def _dates(text: str) -> list[tuple[date, str]]:
    """Dates written in ``text`` (ISO, US numeric, or with a month name), in text order.

    A date written without a year gets year 1 as a marker; `_with_year` fills it in.
    """
    found = []
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            parsed = _parse_date(match)
            if parsed:
                found.append((match.start(), parsed, match.group(0)))
    return [(parsed, written) for _, parsed, written in sorted(found, key=lambda f: f[0])]


def _parse_date(match: re.Match[str]) -> date | None:
    month_text, year_text = match.group("month"), match.group("year")
    month = int(month_text) if month_text.isdigit() else MONTHS[month_text.lower()]
    year = int(year_text) if year_text else 1
    if year_text and len(year_text) == 2:
        year += 2000
    try:
        return date(year, month, int(match.group("day")))
    except ValueError:
        return None


def find_references(documents: Sequence[Document]) -> list[Reference]:
    """Pairs where a later document of an archive refers to an earlier one of the same archive."""
    by_archive: dict[str, list[Document]] = defaultdict(list)
    for document in documents:
        by_archive[document.archive].append(document)
    references = []
    for members in by_archive.values():
        for later in members:
            references += _references_from(later, members)
    return sorted(references, key=lambda r: (r.later, r.earlier))


def _references_from(later: Document, members: Sequence[Document]) -> list[Reference]:
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for earlier in members:
        if earlier is later or not _not_after(earlier, later):
            continue
        for mention in _link_mentions(later, earlier):
            found[earlier.id].append(("link", mention))
        for mention in _title_mentions(later, earlier):
            found[earlier.id].append(("title", mention))
        if RECURRENCE.search(later.body):
            for mention in _same_title(later, earlier):
                found[earlier.id].append(("same title", mention))
    for earlier, mention in _date_mentions(later, members):
        found[earlier.id].append(("date", mention))
    return [
        Reference(
            later=later.id,
            earlier=earlier_id,
            kinds=tuple(dict.fromkeys(kind for kind, _ in mentions)),
            mentions=tuple(dict.fromkeys(text for _, text in mentions)),
        )
        for earlier_id, mentions in found.items()
    ]


def _not_after(earlier: Document, later: Document) -> bool:
    if earlier.date and later.date and earlier.date != later.date:
        return earlier.date < later.date
    return earlier.id < later.id


_LINK = re.compile(
    r"^ {0,3}\[(?P<label>[^\]]+)\]: *\S+.*$"  # reference definition
    r"|!?\[[^\]]*\]\([^)]*\)"  # inline link
    r"|<?https?://[^\s)>\]]+>?",  # bare URL
    re.MULTILINE,
)


def _link_mentions(later: Document, earlier: Document) -> list[str]:
    """Links, URLs or paths in ``later`` naming the earlier file (more than a bare date).

    A reference-style link counts with its uses (``[text][label]``) as well as its definition.
    """
    if not re.sub(r"[\d\W_]+", "", earlier.stem):
        return []
    stem = earlier.stem.lower()
    mentions = []
    for match in _LINK.finditer(later.body):
        if stem not in unquote(match.group(0)).lower():
            continue
        mentions.append(match.group(0))
        if label := match.group("label"):
            uses = rf"\[[^\]]*\]\[{re.escape(label)}\]|\[{re.escape(label)}\](?![\[(:])"
            mentions += re.findall(uses, later.body)
    if not mentions and stem in later.body.lower():
        mentions.append(earlier.stem)
    return mentions


def _words(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def _without_dates(text: str) -> str:
    for _, written in _dates(text):
        text = text.replace(written, " ")
    return text


def _title_pattern(title: str) -> re.Pattern[str] | None:
    """Matches ``title`` (dates aside) in running text; None if too short to be specific."""
    wanted = _words(_without_dates(title)).split()
    if len(wanted) < MIN_TITLE_WORDS:
        return None
    words = r"[\W_]+".join(re.escape(word) for word in wanted)
    return re.compile(rf"(?<![^\W_]){words}(?![^\W_])", re.IGNORECASE)


def _title_mentions(later: Document, earlier: Document) -> list[str]:
    """The earlier title quoted in the body of ``later``."""
    pattern = _title_pattern(earlier.title)
    return [m.group(0) for m in pattern.finditer(later.body)] if pattern else []


def _same_title(later: Document, earlier: Document) -> list[str]:
    """The earlier title within the title of ``later`` (a recurrence keeps its name)."""
    pattern = _title_pattern(earlier.title)
    return [m.group(0) for m in pattern.finditer(later.title)] if pattern else []


def _date_mentions(later: Document, members: Sequence[Document]) -> list[tuple[Document, str]]:
    """Dates in ``later`` before its own date that are the date of exactly one earlier member."""
    if later.date is None:
        return []
    by_date: dict[date, list[Document]] = defaultdict(list)
    for member in members:
        if member.date:
            by_date[member.date].append(member)
    mentions = []
    for written_date, written in _prose_dates(later.body):
        day = _with_year(written_date, later.date)
        candidates = by_date.get(day, [])
        if day < later.date and len(candidates) == 1 and candidates[0] is not later:
            mentions.append((candidates[0], written))
    return mentions


def _prose_dates(markdown: str) -> list[tuple[date, str]]:
    """Dates in running text: not in headings, tables or at the start of a (timeline) line.

    Those are the document's own events; a date mentioned in a sentence may point elsewhere.
    """
    found = []
    for line in markdown.splitlines():
        text = re.sub(r"^[\s>*+_-]*(?:\d+\.\s+)?[*_]*", "", line)
        if not text or text[0] in "#|":
            continue
        dates = _dates(text)
        if dates and text.startswith(dates[0][1]):
            dates = dates[1:]
        found += dates
    return found


def _with_year(day: date, context: date) -> date:
    """A date written without a year is the last such day on or before ``context``."""
    if day.year != 1:
        return day
    try:
        candidate = day.replace(year=context.year)
    except ValueError:  # 29 February
        return day
    return candidate if candidate <= context else candidate.replace(year=context.year - 1)


def strip_mentions(text: str, mentions: Iterable[str]) -> str:
    """``text`` without the given mentions (longest first, so a link goes before its URL)."""
    for mention in sorted(set(mentions), key=len, reverse=True):
        text = re.sub(re.escape(mention), " ", text, flags=re.IGNORECASE)
    return text


def plain_text(markdown: str) -> str:
    """Readable words of a Markdown/ERB document: link text kept, URLs and markup dropped."""
    text = re.sub(r"<%.*?%>", " ", markdown, flags=re.DOTALL)
    text = re.sub(r"<!--.*?-->|<[^>\n]+>", " ", text, flags=re.DOTALL)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s*\[[^\]]+\]:\s*\S+.*$", " ", text, flags=re.MULTILINE)
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"^\s*#+\s*|^\s*[-*+>]\s+|\|", " ", text, flags=re.MULTILINE)
    return re.sub(r"[*`~]+|(?<![^\W_])_+|_+(?![^\W_])", " ", text)


def profile(document: Document, strip: Iterable[str] = ()) -> IncidentProfile:
    """``document`` as an `IncidentProfile`, with the ``strip`` mentions cut out of it."""
    mentions = list(strip)
    return IncidentProfile(
        id=document.id,
        title=plain_text(strip_mentions(document.title, mentions)).strip(),
        text=plain_text(strip_mentions(document.body, mentions)),
    )
