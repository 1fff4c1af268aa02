"""A content-addressed cache of each page's weighted terms for the site search index,
under `.pmkb/search/`, so that a rebuild tokenizes only the pages whose text changed.

An entry is what `SearchDoc.weighted_terms` gives (term -> weighted frequency, and the
page's length in terms), keyed by the SHA-256 of the page's searched fields
(`SearchDoc.fields`: title, labels, impact statement, text) and of the `fingerprint`: this
format and the code of `index_writer` (its tokens, stop words and field weights); or a
page's text, keyed by its HTML and the code of the module that reads the text. The
entries of a build are kept together in one file, `terms-<fingerprint>.json`: one read and
at most one write a build (one file a page cost more to write than tokenizing the page);
it holds the entries of the last build's pages only, and is written again only when one
of them changed. Another version of the index writer reads another file (and removes the
old ones). Nothing is invalidated by hand: the folder is always safe to delete.

The postings themselves depend on every page (BM25's document frequencies and average
length, one quantisation scale for the whole index), so they are computed anew from the
entries each build (`index_writer.postings`, on arrays: a small part of the cost).

The file is written whole (a temporary file beside it, then `os.replace`): two builds at
once at worst both write it, the last one's stays, and a reader never sees half a file. A
file that cannot be read, or an entry not of this layout, is a miss.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

from postmortem_kb.search.site import index_writer
from postmortem_kb.search.site.index_writer import SearchDoc, WeightedTerms
from postmortem_kb.storage import write_atomically

CACHE_DIR = Path(".pmkb") / "search"
FORMAT = 2  # the entries' layout; a new one misses every old entry


def fingerprint() -> str:
    """This layout and the index writer's code: what turns a page's fields into terms."""
    digest = hashlib.sha256(f"terms-cache {FORMAT}\0".encode())
    digest.update(Path(index_writer.__file__).read_bytes())
    return digest.hexdigest()


class TermsCache:
    """The weighted terms of the pages of the last build, by the hash of their fields, and
    (with `extract`, the function that reads a page's text from its HTML) their texts, by
    the hash of their HTML and of the code of `extract`'s module; read from `folder` when
    first asked, written back by `save`."""

    def __init__(self, folder: Path, extract: Callable[[str], str] | None = None) -> None:
        self.folder = folder
        self.fingerprint = fingerprint()
        self.path = folder / f"terms-{self.fingerprint[:24]}.json"
        self._extract = extract
        self._text_key = ""
        if extract is not None:
            module = sys.modules.get(getattr(extract, "__module__", None) or "")
            source = getattr(module, "__file__", None)
            code = Path(source).read_bytes() if source else repr(extract).encode()
            self._text_key = hashlib.sha256(b"text\0" + code).hexdigest()
        self._kept: dict[str, object] | None = None  # the file's entries, once read
        self._used: dict[str, object] = {}  # this build's entries
        self.hits = self.misses = 0  # pages' terms
        self.texts_read = 0  # pages' texts not in the cache

    def key(self, doc: SearchDoc) -> str:
        digest = hashlib.sha256(self.fingerprint.encode())
        for _, text in doc.fields():
            digest.update(b"\0" + text.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def weighted_terms(self, doc: SearchDoc) -> WeightedTerms:
        """`doc.weighted_terms()`, from the cache when it has them."""
        if self._kept is None:
            self._kept = _read(self.path)
        key = self.key(doc)
        found = _entry(self._kept.get(key))
        if found is not None:
            self.hits += 1
        else:
            self.misses += 1
            found = doc.weighted_terms()
        self._used[key] = [found.length, " ".join(found.terms), found.frequencies]
        return found

    def page_text(self, html: str) -> str:
        """`extract(html)`, from the cache when it has it."""
        assert self._extract is not None, "TermsCache(folder, extract) keeps texts"
        if self._kept is None:
            self._kept = _read(self.path)
        digest = hashlib.sha256(f"{self.fingerprint} {self._text_key}\0".encode())
        digest.update(html.encode("utf-8", "surrogatepass"))
        key = digest.hexdigest()
        text = self._kept.get(key)
        if not isinstance(text, str):
            self.texts_read += 1
            text = self._extract(html)
        self._used[key] = text
        return text

    def save(self) -> None:
        """Keep the entries of this build's pages, if they are not what the file holds."""
        unchanged = self.misses == 0 and self.texts_read == 0
        if unchanged and self._kept is not None and self._kept.keys() == self._used.keys():
            return
        text = json.dumps({"format": FORMAT, "entries": self._used}, ensure_ascii=False)
        if _write(self.path, text):
            for old in self.folder.glob("terms-*.json"):
                if old != self.path:
                    old.unlink(missing_ok=True)  # another version's


def _read(path: Path) -> dict[str, object]:
    """The entries of the file at `path`; none if it is absent or unreadable."""
    try:
        data = json.loads(path.read_bytes())
        entries = data["entries"] if data["format"] == FORMAT else {}
    except (OSError, ValueError, TypeError, KeyError):
        return {}
    return entries if isinstance(entries, dict) else {}


def _entry(value: object) -> WeightedTerms | None:
    """An entry as `TermsCache` writes it ([length, "term term ...", [frequency, ...]]),
    or None if it is not one."""
    if not isinstance(value, list) or len(value) != 3:
        return None
    length, joined, frequencies = value
    if type(length) is not int or not isinstance(joined, str) or type(frequencies) is not list:
        return None
    terms = joined.split(" ") if joined else []
    if len(terms) != len(frequencies) or len(set(terms)) != len(terms) or length < 0:
        return None
    if not set(map(type, frequencies)) <= {float}:
        return None
    return WeightedTerms(terms, frequencies, length)


def _write(path: Path, text: str) -> bool:
    return write_atomically(path, text.encode("utf-8", "surrogatepass"))
