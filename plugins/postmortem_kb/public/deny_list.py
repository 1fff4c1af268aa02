"""Leak check: scan a built public site for anything that looks internal.

Two kinds of rules make up a :class:`DenyList`:

* patterns (:data:`DEFAULT_DENY_PATTERNS`): internal domains, private IPv4 addresses, ticket
  keys, ``@handles``, e-mail addresses, Slack links and "confidential"-style phrases;
* literal terms that appear only inside the internal blocks of the sources
  (:func:`internal_only_terms`, turned into one rule by :func:`terms_rule`).

The theme's own bundles (:data:`VENDOR_DIRS`: Material's minified JS/CSS and their source
maps) legitimately contain JSDoc tags (``@param``), npm scopes, ``UTF-8``, ``ARM-64`` and the
authors' e-mail addresses, and nothing from the post-mortems is ever written there. So the
``heuristic`` rules (handles, ticket keys, e-mail addresses) are not applied to those files;
every other rule (domains, IPs, Slack, phrases, internal terms, extra rules) is applied to
every file.

HTML and XML are scanned whole (text, attribute values such as ``href``, comments, inline
scripts) after decoding character references other than the five markup escapes, because
Python-Markdown obfuscates e-mail autolinks as ``&#100;&#97;...``. JSON, JS and source maps
are scanned after decoding ``\\uXXXX``, ``\\n``, ``\\t``, ``\\/`` escapes. Line and column
always point into the file as stored (decompressed when gzipped).

Every file of the site is scanned, whatever its name: gzip content is recognised by its
magic bytes, not its suffix (``sitemap.xml.gz``); text with another suffix is decoded like
JSON. Binary content (a NUL byte: images, the search index's term shards) is scanned as its
bytes read as UTF-8, with control characters blanked, and only with the rules that are not
``heuristic``: a handle or a ticket key is too likely by chance in random bytes, an internal
host name or term is not.

Speed: Python's regex engine only skips quickly through text when a pattern starts with a
literal (or a literal-led alternation); a lookbehind, ``\\b``, IGNORECASE on a letter, or an
alternation of groups makes it try every position. So each rule is compiled once and run in
its own pass with a literal-first pattern, case-insensitive rules run without IGNORECASE on a
lower-cased copy of the text, and all literal terms are compiled into one trie-shaped regex.
Measured: one alternation of the same rules is 3 times slower than these passes, and the
plain patterns (``\\b`` first, IGNORECASE) were 20 times slower; a 5,000-page, 174 MB site
takes about 9 s of CPU.
"""

from __future__ import annotations

import contextlib
import gzip
import html
import re
import string
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

SCANNED_SUFFIXES = frozenset({".html", ".json", ".xml", ".js", ".txt", ".css", ".map"})
"""Suffixes whose decoding is known; files with any other suffix are scanned too."""
VENDOR_DIRS = ("assets/javascripts/", "assets/stylesheets/")
"""The theme's bundles."""
DEFAULT_INTERNAL_DOMAINS = ("corp.example.net", "internal", "local")

WELL_KNOWN_PREFIXES = frozenset(
    {"SEV", "CVE", "CWE", "UTF", "ISO", "RFC", "SHA", "MD", "AES", "RSA", "TLS", "SSL", "HTTP"}
    | {"IPV", "PEP", "X86", "ARM", "ARM64", "AMD64", "WCAG", "ECMA", "ES", "HTML", "CSS"}
)
"""Upper-case prefixes of standard names (``SEV-1``, ``UTF-8``, ``X86-64``): never ticket keys,
never internal identifiers."""

CSS_AT_RULES = (
    *("media", "font-face", "keyframes", "import", "supports", "charset", "page", "layer"),
    *("container", "property", "namespace", "counter-style", "font-feature-values"),
    *("font-palette-values", "starting-style", "scope", "document", "viewport"),
)

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"

DEFAULT_TICKET_PATTERN = (
    r"[A-Z](?<!\w[A-Z])"
    + rf"(?!{'|'.join(f'(?<={p[0]}){p[1:]}-' for p in sorted(WELL_KNOWN_PREFIXES))})"
    + r"[A-Z0-9]+-\d+\b"
)
"""``\\b[A-Z][A-Z0-9]+-\\d+\\b`` (``PAY-1432``) minus :data:`WELL_KNOWN_PREFIXES`, written to
start with the letter so that the engine can skip ahead; ``SEV1`` has no hyphen anyway."""


@dataclass(frozen=True)
class LeakRule:
    """A named regex.

    Rules are case-insensitive unless ``case_sensitive`` is set. A case-insensitive rule runs
    on a lower-cased copy of the text, compiled without IGNORECASE when its pattern has no
    upper-case letter, which keeps a literal first character fast to skip to.
    ``heuristic`` rules are not applied to the theme's bundles (see the module doc).
    ``widen`` reports the whole host-name or e-mail token that the match ends, so a pattern
    can match just the distinctive part (``.internal``, ``@example.com``) and stay fast.
    """

    name: str
    pattern: str
    heuristic: bool = False
    case_sensitive: bool = False
    widen: bool = False
    description: str = ""


@dataclass(frozen=True)
class Leak:
    """One match. ``file`` is the POSIX path relative to the site directory; line and column
    are 1-based positions in the stored (decompressed) file; ``text`` is the decoded match
    with whitespace runs collapsed; ``context`` the text around it, on one line."""

    file: str
    line: int
    column: int
    text: str
    rule: str
    context: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f'{where}: leak {self.rule} "{self.text}" … {self.context} …'


@dataclass(frozen=True)
class _Compiled:
    rule: LeakRule
    regex: re.Pattern[str]


class DenyList:
    """Rules, each compiled once; one pass per rule over a file (see the module doc)."""

    def __init__(self, rules: Iterable[LeakRule]) -> None:
        self.rules = tuple(rules)
        self._compiled = tuple(_Compiled(rule, _compile(rule)) for rule in self.rules)

    def matches(self, text: str, *, heuristics: bool = True) -> list[tuple[LeakRule, int, int]]:
        """``(rule, start, end)`` of every match, by position; rules may overlap."""
        lowered = _lowered(text) if any(not c.rule.case_sensitive for c in self._compiled) else ""
        found = []
        for compiled in self._compiled:
            if compiled.rule.heuristic and not heuristics:
                continue
            view = text if compiled.rule.case_sensitive else lowered
            for match in compiled.regex.finditer(view):
                start = _widened(text, match.start()) if compiled.rule.widen else match.start()
                found.append((compiled.rule, start, match.end()))
        found.sort(key=lambda item: (item[1], item[2]))
        return found


def _compile(rule: LeakRule) -> re.Pattern[str]:
    if rule.case_sensitive:
        return re.compile(rule.pattern)
    letters = re.sub(r"\\N\{[^}]*\}|\\.|\(\?P[<=]\w+>?", "", rule.pattern)
    return re.compile(rule.pattern, re.IGNORECASE if re.search("[A-Z]", letters) else 0)


def _lowered(text: str) -> str:
    """``text.lower()``, but keeping offsets: characters whose lower case is longer stay."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := char.lower()) == 1 else char for char in text)


_WIDEN_CHARS = frozenset(string.ascii_letters + string.digits + "_.%+-")
_WIDEN_LIMIT = 255


def _widened(text: str, start: int) -> int:
    """Start of the host-name/e-mail token ending at ``start`` (dots and dashes trimmed)."""
    limit = max(0, start - _WIDEN_LIMIT)
    begin = start
    while begin > limit and text[begin - 1] in _WIDEN_CHARS:
        begin -= 1
    while begin < start and text[begin] in ".-+%":
        begin += 1
    return begin


# --- rules ---------------------------------------------------------------------------


def internal_domain_rule(domains: Iterable[str]) -> LeakRule:
    """Host names in the given domains, reported whole. A multi-label domain matches itself
    and any host in it (``corp.example.net``, ``db1.corp.example.net``); a single-label one
    like ``internal`` only after a dot (``vault.internal``), so the English word is not hit."""
    alternatives = []
    for domain in sorted({d.strip(".").lower() for d in domains if d.strip(".")}):
        escaped = re.escape(domain)
        alternatives.append(escaped if "." in domain else rf"\.{escaped}")
    return LeakRule(
        "internal-domain",
        rf"(?:{'|'.join(alternatives)})(?![\w-])",
        widen=True,
        description="host name in an internal domain",
    )


PRIVATE_IPV4_RULE = LeakRule(
    "private-ip",
    rf"1(?<![\w.]1)(?:0\.{_OCTET}|72\.(?:1[6-9]|2\d|3[01])|92\.168)\.{_OCTET}\.{_OCTET}(?!\.?\d)",
    description="RFC 1918 address: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, word-bounded",
)

HANDLE_RULE = LeakRule(
    "handle",
    rf"@(?<![\w.]@)(?!(?:{'|'.join(CSS_AT_RULES)})(?![\w-]))[a-z][a-z0-9_-]+(?![\w/])",
    heuristic=True,
    case_sensitive=True,
    description="lower-case @handle, not a CSS at-rule, camelCase decorator or npm scope",
)

EMAIL_RULE = LeakRule(
    "email",
    r"@(?<=[\w.%+-]@)[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?![\w-])",
    heuristic=True,
    widen=True,
    description="e-mail address",
)

SLACK_RULE = LeakRule(
    "slack",
    r"\.slack\.com(?![\w-])",
    widen=True,
    description="Slack workspace host (acme.slack.com)",
)

# No \b in front: it would cost the literal first character ("nonconfidential" is flagged).
PHRASE_RULE = LeakRule(
    "phrase",
    r"(?:internal[\s-]+only|do\s+not\s+(?:share|distribute|forward)|confidential)\b",
    description='"internal only", "do not share/distribute/forward", "confidential"',
)


def ticket_rule(pattern: str = DEFAULT_TICKET_PATTERN) -> LeakRule:
    """Issue-tracker keys such as ``PAY-1432``; matched case-sensitively."""
    return LeakRule(
        "ticket-key", pattern, heuristic=True, case_sensitive=True, description="ticket key"
    )


def default_rules(
    *,
    internal_domains: Iterable[str] = (),
    ticket_pattern: str | None = DEFAULT_TICKET_PATTERN,
) -> list[LeakRule]:
    """The default rules; ``internal_domains`` are added to :data:`DEFAULT_INTERNAL_DOMAINS`
    and a ``ticket_pattern`` of None drops the ticket rule."""
    rules = [
        internal_domain_rule((*DEFAULT_INTERNAL_DOMAINS, *internal_domains)),
        PRIVATE_IPV4_RULE,
        SLACK_RULE,
        EMAIL_RULE,
        HANDLE_RULE,
        PHRASE_RULE,
    ]
    if ticket_pattern is not None:
        rules.append(ticket_rule(ticket_pattern))
    return rules


DEFAULT_DENY_PATTERNS: tuple[LeakRule, ...] = tuple(default_rules())


_Trie = dict[str, "_Trie"]


def terms_rule(terms: Iterable[str]) -> LeakRule | None:
    """One rule matching any of ``terms`` case-insensitively as whole words, with any run of
    whitespace between words (the text may be wrapped); None when there are no terms.

    The terms are compiled into a trie (``db-(?:pay|web)-0(?:7|8)``-like) so that the engine
    follows one branch per character instead of trying every term at every position.
    """
    words = {" ".join(term.lower().split()) for term in terms}
    words.discard("")
    if not words:
        return None
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return LeakRule(
        "internal-term",
        _trie_pattern(trie, previous=""),
        description="text that appears only inside internal blocks of the sources",
    )


def _trie_pattern(node: _Trie, previous: str) -> str:
    alternatives = []
    for char, child in sorted(node.items(), reverse=True):
        if char == "":
            alternatives.append(r"(?!\w)" if _is_word(previous) else "")
            continue
        piece = r"\s+" if char == " " else re.escape(char)
        if not previous and _is_word(char):
            piece += rf"(?<!\w{re.escape(char)})"
        alternatives.append(piece + _trie_pattern(child, char))
    if len(alternatives) == 1:
        return alternatives[0]
    return f"(?:{'|'.join(alternatives)})"


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def pattern_rules(deny_patterns: Iterable[str]) -> list[LeakRule]:
    """The `deny_patterns` option as leak rules, named `deny-pattern-1`, `-2`..."""
    return [LeakRule(f"deny-pattern-{i + 1}", p) for i, p in enumerate(deny_patterns)]


def build_deny_list(
    *,
    terms: Iterable[str] = (),
    internal_domains: Iterable[str] = (),
    ticket_pattern: str | None = DEFAULT_TICKET_PATTERN,
    extra_rules: Iterable[LeakRule] = (),
) -> DenyList:
    """The default rules, then ``extra_rules``, then the internal-only ``terms``."""
    rules = default_rules(internal_domains=internal_domains, ticket_pattern=ticket_pattern)
    rules.extend(extra_rules)
    if (rule := terms_rule(terms)) is not None:
        rules.append(rule)
    return DenyList(rules)


# --- internal-only terms -------------------------------------------------------------

_TOKEN_RE = re.compile(r"[A-Za-z0-9](?:[\w.-]*[A-Za-z0-9])?")
_IPV4_RE = re.compile(rf"^{_OCTET}(?:\.{_OCTET}){{3}}$")
_HOST_LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
_VERSION_OR_DATE_RE = re.compile(r"^(?:[vV]?\d+(?:\.\d+)+(?:[-.+]?[A-Za-z]+\d*)?$|\d{4}-\d\d-\d\d)")
_NAME_WORD = r"[A-Z][A-Za-z0-9'’-]*[A-Za-z0-9]"
_NAME_RUN_RE = re.compile(rf"{_NAME_WORD}(?:(?:[ \t]+|[ \t]*\n[ \t]*){_NAME_WORD})+")
_NAME_MAX_WORDS = 4
_MIN_TERM = 5
_TLDS = frozenset(
    {"com", "net", "org", "io", "dev", "co", "app", "cloud", "ai", "biz", "info", "eu", "uk"}
    | {"de", "fr", "nl", "us", "ca", "au", "jp", "internal", "local", "corp", "lan", "intra"}
)
_MARKUP = str.maketrans("", "", "*`~[]")
_STOPWORDS = frozenset(
    {"a", "an", "the", "this", "that", "these", "those", "our", "we", "it", "its", "they"}
    | {"you", "your", "in", "on", "at", "of", "for", "to", "from", "by", "with", "after"}
    | {"before", "during", "since", "until", "and", "or", "but", "so", "if", "when", "while"}
    | {"where", "why", "how", "what", "which", "who", "then", "there", "here", "also", "not"}
    | {"no", "all", "some", "each", "every", "is", "are", "was", "were", "be", "do", "did"}
    | {"has", "have", "had", "will", "would", "can", "could", "should", "may", "might"}
)


def internal_only_terms(internal_texts: Iterable[str], public_texts: Iterable[str]) -> set[str]:
    """Distinctive strings of internal blocks that no public text contains.

    The heuristic keeps only tokens that ordinary prose (and so the theme's UI strings and
    bundles) does not contain, since any term is searched for in every file of the site:

    * IPv4 addresses (``203.0.113.7``);
    * host names: dot-separated labels ending in a letter label, with three or more labels,
      a well-known top-level domain, or a digit somewhere (``db-pay-07.corp.example.net``,
      ``acme.com``), but not file names (``index.html``); their labels are tried as tokens too;
    * identifiers mixing letters and digits with ``-``, ``_`` or ``.`` (``db-pay-07``,
      ``PAY-1432``), or snake_case ones (``max_pool_size``), except version strings
      (``v1.6.1``), dates and timestamps (``2024-11-15T14:02``) and standard names
      (``UTF-8``, ``SHA-256``: :data:`WELL_KNOWN_PREFIXES`);
    * runs of two to four capitalised words (``Acme Corp``), not starting or ending with a
      function word, so "In Safari" or "The Observable" (both in Material's bundle) do not
      count. Single words never count, however rare.

    Anything shorter than 5 characters is dropped. A candidate is dropped when any public
    text contains it, compared case-insensitively with whitespace and Markdown emphasis and
    link brackets ignored (public texts should be whole source files, front matter
    included, since the site shows titles, services and tags). Title-case English phrases
    ("Known Limitations") can still become terms; pass any text that is legitimately public,
    such as the theme's files, in ``public_texts`` to exempt what it contains.
    """
    candidates: set[str] = set()
    for text in internal_texts:
        candidates |= _candidate_terms(text)
    return not_in_public(candidates, public_texts)


def not_in_public(terms: Iterable[str], public_texts: Iterable[str]) -> set[str]:
    """The ``terms`` that no public text contains as a whole word (or words), as the scan
    would find them (:func:`terms_rule`), with case, whitespace, Markdown emphasis and
    link brackets ignored.

    One pass of the terms' trie over the public text, instead of one substring search per
    term (7,000 terms against 1.6 MB of public text: under 1 s instead of 7.7 s). The pass
    finds one term per position, the longest; a term hidden by a found one is either its
    prefix (``db-pay-07`` of ``db-pay-07.corp``) or starts inside it, so each found match
    is searched again from its second character.
    """
    wanted = {term: _normalised(term) for term in terms}
    rule = terms_rule(words for words in wanted.values() if words)
    if rule is None:
        return set()
    regex = _compile(rule)
    public = _lowered("\n".join(_normalised(text.translate(_MARKUP)) for text in public_texts))
    reach = max(map(len, wanted.values())) + 1
    found: set[str] = set()
    searched: set[int] = set()
    windows = [(0, len(public))]
    while windows:
        start, end = windows.pop()
        for match in regex.finditer(public, start, end):
            found.add(match.group())
            if match.start() not in searched:
                searched.add(match.start())
                windows.append((match.start() + 1, min(len(public), match.end() + reach)))
    ordered = sorted(found)
    return {term for term, words in wanted.items() if words and not _has_prefix(ordered, words)}


def _has_prefix(ordered: list[str], words: str) -> bool:
    """Whether a string of ``ordered`` (sorted) is ``words``, or starts with it followed by
    a character that ends a word where ``words`` ends."""
    index = bisect_left(ordered, words)
    while index < len(ordered) and ordered[index].startswith(words):
        rest = ordered[index][len(words) :]
        if not rest or not (_is_word(words[-1]) and _is_word(rest[0])):
            return True
        index += 1
    return False


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


def _candidate_terms(text: str) -> set[str]:
    terms: set[str] = set()
    for token in set(_TOKEN_RE.findall(text)):  # each distinct token once
        parts = token.split(".") if "." in token else []
        terms.update(part for part in (token, *parts) if _is_distinctive_token(part))
    for run in _NAME_RUN_RE.findall(text):
        terms.update(_name_terms(run.split()))
    return {term for term in terms if len(term) >= _MIN_TERM}


@lru_cache(maxsize=65536)  # the same words recur in every post-mortem
def _is_distinctive_token(token: str) -> bool:
    if _IPV4_RE.match(token):
        return True
    if not any(char.isalpha() for char in token) or _VERSION_OR_DATE_RE.match(token):
        return False
    if re.split(r"[-_.]", token)[0].upper() in WELL_KNOWN_PREFIXES:
        return False
    if _is_host_name(token):
        return True
    has_digit = any(char.isdigit() for char in token)
    return ("_" in token) or (has_digit and any(sep in token for sep in "-."))


def _is_host_name(token: str) -> bool:
    labels = token.split(".")
    top = labels[-1]
    if len(labels) < 2 or not all(map(_HOST_LABEL_RE.match, labels)) or not top.isalpha():
        return False
    has_digit = any(char.isdigit() for char in token)
    return len(top) >= 2 and (len(labels) >= 3 or top.lower() in _TLDS or has_digit)


def _name_terms(words: list[str]) -> set[str]:
    terms = set()
    for size in range(2, _NAME_MAX_WORDS + 1):
        for start in range(len(words) - size + 1):
            run = words[start : start + size]
            if run[0].lower() not in _STOPWORDS and run[-1].lower() not in _STOPWORDS:
                terms.add(" ".join(run))
    return terms


# --- scanning ------------------------------------------------------------------------

_CONTEXT = 40
_ENTITY_RE = re.compile(r"&(?!(?:amp|lt|gt|quot|apos);)(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z]\w*);")
_STRING_ESCAPE_RE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|[nrt/\\])")
_STRING_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


def scan_site(site_dir: Path, deny: DenyList) -> list[Leak]:
    """Every match of ``deny`` in every file of the site, by file and position.

    Gzipped files are decompressed whatever their suffix (``sitemap.xml.gz``); a file that claims to be gzip but is not is scanned as stored.
    Binary content is scanned without the heuristic rules (see the module doc).
    """
    leaks: list[Leak] = []
    for path in sorted(site_dir.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(site_dir).as_posix()
        text, binary = read_site_file(path)
        kind = ".bin" if binary else _scanned_kind(relative)
        heuristics = not (binary or is_vendor_file(relative))
        leaks.extend(scan_text(text, deny, file=relative, kind=kind, heuristics=heuristics))
    return leaks


def is_vendor_file(relative: str) -> bool:
    """True for the theme's own bundles (:data:`VENDOR_DIRS`)."""
    return relative.startswith(VENDOR_DIRS)


def scan_text(
    text: str, deny: DenyList, *, file: str, kind: str = ".txt", heuristics: bool = True
) -> list[Leak]:
    """Leaks in one file's text; ``kind`` (a suffix such as ``.html``) picks the decoding."""
    decoded = _Decoded.of(text, kind)
    lines = _LineCounter(text)
    leaks = []
    for rule, start, end in deny.matches(decoded.text, heuristics=heuristics):
        line, column = lines.position(decoded.raw_index(start))
        matched = " ".join(decoded.text[start:end].split())
        leaks.append(
            Leak(file, line, column, matched, rule.name, _context(decoded.text, start, end))
        )
    return leaks


def _scanned_kind(relative: str) -> str:
    """The decoding for a text file: its suffix (without ``.gz``) when known, else JSON's."""
    suffix = PurePosixPath(relative.removesuffix(".gz")).suffix.lower()
    return suffix if suffix in SCANNED_SUFFIXES else ".json"


_GZIP_MAGIC = b"\x1f\x8b"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_site_file(path: Path) -> tuple[str, bool]:
    """The file's text (gunzipped when it is gzip) and whether its content is binary; binary
    content is read as UTF-8 with control characters blanked, so offsets stay put."""
    data = path.read_bytes()
    if data.startswith(_GZIP_MAGIC):
        with contextlib.suppress(OSError, EOFError):  # not gzip after all: scan as stored
            data = gzip.decompress(data)
    text = data.decode("utf-8", errors="replace")
    if b"\0" not in data:
        return text, False
    return _CONTROL.sub(" ", text), True


def _context(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - _CONTEXT) : end + _CONTEXT].split())


class _LineCounter:
    """1-based line and column of non-decreasing offsets, counting each newline once."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._offset = 0
        self._line = 1
        self._line_start = 0

    def position(self, offset: int) -> tuple[int, int]:
        newlines = self._text.count("\n", self._offset, offset)
        if newlines:
            self._line += newlines
            self._line_start = self._text.rindex("\n", self._offset, offset) + 1
        self._offset = offset
        return self._line, offset - self._line_start + 1


@dataclass(frozen=True)
class _Decoded:
    """Decoded text, and the offsets at which it and the stored text realign."""

    text: str
    decoded_points: tuple[int, ...] = (0,)
    raw_points: tuple[int, ...] = (0,)

    @classmethod
    def of(cls, raw: str, kind: str) -> _Decoded:
        if kind in (".html", ".xml") and "&" in raw:
            return cls._decode(raw, _ENTITY_RE, lambda match: html.unescape(match.group()))
        if kind in (".json", ".js", ".map") and "\\" in raw:
            return cls._decode(raw, _STRING_ESCAPE_RE, _unescape_string)
        return cls(raw)

    @classmethod
    def _decode(
        cls, raw: str, pattern: re.Pattern[str], convert: Callable[[re.Match[str]], str]
    ) -> _Decoded:
        parts, decoded_points, raw_points = [], [0], [0]
        position = decoded = 0
        for match in pattern.finditer(raw):
            replacement = convert(match)
            parts += [raw[position : match.start()], replacement]
            decoded += match.start() - position
            decoded_points += [decoded, decoded + len(replacement)]
            raw_points += [match.start(), match.end()]
            decoded += len(replacement)
            position = match.end()
        parts.append(raw[position:])
        return cls("".join(parts), tuple(decoded_points), tuple(raw_points))

    def raw_index(self, index: int) -> int:
        point = bisect_right(self.decoded_points, index) - 1
        return self.raw_points[point] + index - self.decoded_points[point]


def _unescape_string(match: re.Match[str]) -> str:
    escape = match.group()[1:]
    if escape[0] == "u":
        return chr(int(escape[1:], 16))
    return _STRING_ESCAPES.get(escape, escape)


# --- attributing leaks to sources ----------------------------------------------------


def without_allowed(leaks: Iterable[Leak], allow: Iterable[str]) -> list[Leak]:
    """The `leaks` whose text is not one of `allow` (the `leak_allow` option: strings
    published on purpose), compared as `leaks_by_source` compares: case and whitespace
    ignored. The whole match must be allowed: allowing "PAY-1" does not allow "PAY-12"."""
    allowed = {_normalised(text) for text in allow}
    return [leak for leak in leaks if _normalised(leak.text) not in allowed]


def leaks_by_source(
    leaks: Iterable[Leak], source_texts: Mapping[str, str]
) -> dict[Leak, list[str]]:
    """For each leak, the names of the sources whose text contains the leaked string
    (case- and whitespace-insensitive substring search). The list may be empty: the text
    may come from the theme, or the renderer may have rearranged the Markdown."""
    normalised = {name: _normalised(text) for name, text in source_texts.items()}
    return {
        leak: [name for name, text in normalised.items() if _normalised(leak.text) in text]
        for leak in leaks
    }
