"""The archive search's index writer: Whoosh's `SegmentWriter`, made cheaper where our index
lets it be, for the first index of a large archive (10,000 post-mortems, ~1,300 postings
each, almost all of them in ``content``: words and word pairs).

* Postings are gathered per term in memory (`TermPool`), not kept one tuple each, sorted
  all together and spilled to sorted runs on disk past a memory limit as Whoosh's
  `PostingPool` does: at 1,000 post-mortems the writer's commit takes a third of the CPU
  time and the pool half the memory; and no run files, whose merging made 3,000
  post-mortems cost five times 1,000 instead of three.
* No per-posting field length (`ScoreOnlyCodec`): Whoosh looks each one up in a column
  on disk, for block statistics that only length-normalized scoring reads, and
  `scoring.SaturatedTfIdf` does not normalize by length.

`TermPool` also tells how far the commit is, for a progress bar (`PoolProgress`).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator

# whoosh/codec/whoosh3.py opts out of type checking ("# type: ignore" on its first line).
from whoosh.codec.whoosh3 import W3Codec  # type: ignore[attr-defined]
from whoosh.writing import SegmentWriter

Posting = tuple[str, bytes, int, float, bytes | None]  # field, term, docnum, weight, value
PoolProgress = Callable[[int, int], None]
"""Called while the index is written with how many postings are written, and of how many."""

_REPORTS = 100  # progress reports over a commit


class ScoreOnlyCodec(W3Codec):
    """Whoosh's codec, without the field length of each posting (see the module's doc).

    Pickled into the index's table of contents, so keep its name and module; an index
    whose codec cannot be loaded is rebuilt (see `index._open_or_create`).
    """

    length_stats = False


class TermPool:
    """Whoosh's posting pool, holding each term's postings in arrays, yielded term by term.

    A document's postings come with a higher docnum than any before (`SegmentWriter`
    numbers documents, and the segments it merges, in increasing order), so each term's
    list is already in docnum order: only the terms are sorted.
    """

    def __init__(self) -> None:
        self.fieldnames: set[str] = set()
        self._terms: dict[tuple[str, bytes], tuple[array[int], array[float], list[bytes]]] = {}
        # A posting's value is its encoded frequency, of which there are few: each is kept
        # once (a new 4-byte bytes object per posting took 40% of the pool's memory).
        self._values: dict[bytes, bytes] = {}
        self._postings = 0
        self.progress: PoolProgress | None = None

    def add(self, posting: Posting) -> None:
        fieldname, term, docnum, weight, value = posting
        entry = self._terms.get((fieldname, term))
        if entry is None:
            entry = self._terms[fieldname, term] = (array("I"), array("f"), [])
            self.fieldnames.add(fieldname)
        entry[0].append(docnum)
        entry[1].append(weight)
        value = value or b""
        entry[2].append(self._values.setdefault(value, value))  # one object per distinct value
        self._postings += 1

    def iter_postings(self) -> Iterator[Posting]:
        """Every posting, by field, term and docnum (what Whoosh's field writer reads)."""
        total, report_every = self._postings, max(1, self._postings // _REPORTS)
        written = reported = 0
        for key in sorted(self._terms):
            fieldname, term = key
            docnums, weights, values = self._terms[key]
            for docnum, weight, value in zip(docnums, weights, values, strict=True):
                yield fieldname, term, docnum, weight, value
            written += len(docnums)
            if self.progress is not None and written - reported >= report_every:
                self.progress(written, total)
                reported = written
        if self.progress is not None and written > reported:
            self.progress(written, total)

    def cleanup(self) -> None:
        self._terms.clear()
        self._values.clear()
        self._postings = 0


def in_units(advance: Callable[[int], None], total: int) -> PoolProgress:
    """A `PoolProgress` that tells `advance` of whole units of `total` (e.g. documents)."""
    told = 0

    def report(written: int, postings: int) -> None:
        nonlocal told
        done = written * total // postings
        if done > told:
            advance(done - told)
            told = done

    return report


class ArchiveWriter(SegmentWriter):
    """A `SegmentWriter` with a `TermPool` and the `ScoreOnlyCodec`."""

    pool: TermPool

    def __init__(self, ix: object, *, timeout: float) -> None:
        super().__init__(ix, timeout=timeout, codec=ScoreOnlyCodec())
        self.pool = TermPool()
