"""Import the whole real corpus (``../shared/corpus``) with `pmkb import` and check the drafts.

Per folder of the corpus (one source repository each): documents imported, source headings
(titles aside), the share mapped to the format (to sections, and to sections or the front
matter), `pmkb check` errors and warnings on the drafts, and source lines lost (must be 0).

    .venv/bin/python benchmarks/import_corpus.py [--corpus DIR] [--errors]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import corpus_dir  # noqa: E402
from postmortem_kb.config import KBConfig  # noqa: E402
from postmortem_kb.diagnostics.diagnostic import Diagnostic  # noqa: E402
from postmortem_kb.importers.batch import Outcome, import_sources  # noqa: E402
from postmortem_kb.importers.report import heading_counts  # noqa: E402
from postmortem_kb.importers.section_map import load_section_map  # noqa: E402
from postmortem_kb.importers.source_doc import find_sources  # noqa: E402
from postmortem_kb.rules.archive import load_archive  # noqa: E402


@dataclass
class FolderResult:
    folder: str
    outcomes: list[Outcome] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return sum(o.draft is not None for o in self.outcomes)

    def counts(self) -> tuple[int, int, int]:
        """(headings, mapped to sections, mapped to sections or front matter)."""
        totals = [heading_counts(o.draft) for o in self.outcomes if o.draft]
        return (
            sum(c.headings for c in totals),
            sum(c.to_sections for c in totals),
            sum(c.mapped for c in totals),
        )

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def lost(self) -> int:
        return sum(len(o.lost) for o in self.outcomes)

    @property
    def failed(self) -> int:
        return sum(o.draft is None for o in self.outcomes)


def import_folder(folder: Path, out: Path, config: KBConfig) -> FolderResult:
    """Import every document of ``folder`` into ``out`` and check the drafts."""
    section_map = load_section_map(config)
    result = FolderResult(folder.name)
    result.outcomes = list(import_sources(find_sources([folder]), out, section_map, config))
    written = [o.target for o in result.outcomes if o.written and o.target]
    result.diagnostics = load_archive(written, config, root=out).diagnostics
    return result


def import_corpus(root: Path, work: Path, config: KBConfig | None = None) -> list[FolderResult]:
    config = config or KBConfig()
    results = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        results.append(import_folder(folder, work / folder.name, config))
    return results


def table(results: Sequence[FolderResult]) -> str:
    header = (
        "| folder | documents | headings | mapped to sections | mapped incl. front matter "
        "| check errors | check warnings | lines lost |"
    )
    rows = [header, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    totals = [0, 0, 0, 0, 0, 0, 0]
    for result in results:
        headings, sections, mapped = result.counts()
        values = [
            result.documents,
            headings,
            sections,
            mapped,
            len(result.errors),
            len(result.diagnostics) - len(result.errors),
            result.lost,
        ]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        rows.append(_row(result.folder, values))
    rows.append(_row("**all**", totals))
    return "\n".join(rows)


def _row(name: str, values: Sequence[int]) -> str:
    documents, headings, sections, mapped, errors, warnings, lost = values
    share = f"{sections / headings:.1%}" if headings else "-"
    share_all = f"{mapped / headings:.1%}" if headings else "-"
    return (
        f"| {name} | {documents} | {headings} | {sections} ({share}) | {mapped} ({share_all}) "
        f"| {errors} | {warnings} | {lost} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=None, help="default: ../shared/corpus")
    parser.add_argument("--errors", action="store_true", help="list check errors and lost lines")
    args = parser.parse_args(argv)
    root = args.corpus or corpus_dir()
    if root is None:
        print("no corpus: ../shared/corpus does not exist and PMKB_CORPUS is not set")
        return 2
    with tempfile.TemporaryDirectory() as work:
        results = import_corpus(root, Path(work))
        print(table(results))
        if args.errors:
            for result in results:
                for diagnostic in result.errors:
                    print(diagnostic)
                for outcome in result.outcomes:
                    if outcome.draft is None:
                        print(outcome.report())
                    for number, text in outcome.lost:
                        print(f"{outcome.source}:{number}: lost {text!r}")
    bad = any(r.errors or r.lost or r.failed for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
