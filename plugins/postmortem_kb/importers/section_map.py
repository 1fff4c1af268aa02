"""Which section of the format a source heading becomes: by synonym, else by fuzzy match.

The synonyms are data (``synonyms.yaml`` beside this module, or a file given with
``--map``); a heading matches a synonym exactly (confidence 1.0), starts with one
("Timeline (all times PST) 01/31/2023": 0.9), or is close to one by `difflib` (its ratio,
at least `FUZZY_CUTOFF`). Anything else is unmapped and goes to the imported notes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping as MappingType
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from postmortem_kb.config import KBConfig
from postmortem_kb.format.body import normalise_heading

FRONT_MATTER = "front matter"  # the target of headings whose lines become fields
DEFAULT_MAP = Path(__file__).with_name("synonyms.yaml")
FUZZY_CUTOFF = 0.8
PREFIX_CONFIDENCE = 0.9


class MapError(Exception):
    """A synonym file that cannot be used, with a one-line reason naming the file."""


@dataclass(frozen=True)
class Target:
    name: str | None  # a section name, FRONT_MATTER, or None when unmapped
    confidence: float
    how: str  # "synonym", "prefix", "fuzzy", "under <heading>" or "unmapped"
    synonym: str = ""


@dataclass(frozen=True)
class SectionMap:
    synonyms: dict[str, str]  # normalised synonym -> target

    def target(self, heading: str) -> Target:
        key = heading_key(heading)
        if not key:
            return Target(None, 0.0, "unmapped")
        if key in self.synonyms:
            return Target(self.synonyms[key], 1.0, "synonym", key)
        prefixes = [s for s in self.synonyms if key.startswith(s + " ")]
        if prefixes:
            longest = max(prefixes, key=len)
            return Target(self.synonyms[longest], PREFIX_CONFIDENCE, "prefix", longest)
        best, ratio = "", 0.0
        for synonym in self.synonyms:
            score = difflib.SequenceMatcher(None, key, synonym).ratio()
            if score > ratio:
                best, ratio = synonym, score
        if ratio >= FUZZY_CUTOFF:
            return Target(self.synonyms[best], round(ratio, 2), "fuzzy", best)
        return Target(None, round(ratio, 2), "unmapped", best)

    def names_section(self, text: str) -> bool:
        """Whether ``text`` is exactly a section's name or synonym (no fuzzy match)."""
        return self.target(text).how == "synonym"


def heading_key(text: str) -> str:
    """A heading as compared with synonyms: lowercase words, without numbering, markup,
    parentheses, dates, times or punctuation ("2. What didn't go so well?" -> "what
    didnt go so well")."""
    text = normalise_heading(text)
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)
    text = re.sub(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}:\d{2}", " ", text)
    text = text.replace("&", " and ").replace("'", "").replace("\u2019", "")
    text = re.sub(r"^\s*(?:\d+|[ivx]+)[.)]\s+", "", text)
    return " ".join(re.findall(r"[a-z0-9]+", text))


def load_section_map(
    config: KBConfig, extra: Path | None = None, default: Path = DEFAULT_MAP
) -> SectionMap:
    """The packaged synonyms, then ``extra``'s (which win), for the configured sections.

    A section name always maps to itself; a synonym file naming a section the
    configuration does not have is an error.
    """
    sections = [*config.required_sections, *config.optional_sections]
    synonyms: dict[str, str] = {}
    for path, strict in ((default, False), (extra, True)):
        if path is None:
            continue
        for target, names in _read_map(path, sections, strict=strict).items():
            for name in names:
                synonyms[heading_key(name)] = target
    for section in sections:
        synonyms[heading_key(section)] = section
    synonyms.pop("", None)
    return SectionMap(synonyms)


def _read_map(path: Path, sections: Sequence[str], *, strict: bool) -> dict[str, list[str]]:
    """Targets and their headings; ``strict`` rejects a target the configuration lacks (the
    packaged file may name a section a knowledge base has removed: it is left out)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise MapError(f"{path}: cannot read the file: {err.strerror}") from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise MapError(f"{path}:{mark.line + 1 if mark else 1}: not valid YAML") from err
    if not isinstance(data, MappingType):
        raise MapError(f"{path}: expected a mapping of section names to lists of headings")
    known = {normalise_heading(name): name for name in [*sections, FRONT_MATTER]}
    result: dict[str, list[str]] = {}
    for key, names in data.items():
        target = known.get(normalise_heading(str(key)))
        if target is None and not strict:
            continue
        if target is None:
            raise MapError(
                f"{path}: {key!r} is not a section of the format "
                f"(one of {', '.join(known.values())})"
            )
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise MapError(f"{path}: the headings for {key!r} must be a list of strings")
        result[target] = names
    return result
