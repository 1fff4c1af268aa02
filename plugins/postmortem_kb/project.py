"""Where a knowledge base's files are: mkdocs.yml, the post-mortems, the handbook, the runbooks.

The CLI and the MkDocs plugin both describe the project with a `Project` and load the
archive through it, so both check exactly the same files with the same settings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .archive import Archive, find_postmortem_files, load_archive, runbook_ids
from .config import KBConfig, docs_dir, load_config


@dataclass(frozen=True)
class Project:
    root: Path  # the folder of mkdocs.yml
    config: KBConfig
    docs_dir: Path

    @property
    def postmortems_dir(self) -> Path:
        return (self.root / self.config.postmortems_dir).resolve()

    @property
    def runbooks_dir(self) -> Path:
        return self.docs_dir / self.config.runbooks_dir

    def load_archive(self, paths: Sequence[Path] = (), today: dt.date | None = None) -> Archive:
        """Check `paths` (default: the whole post-mortems folder) against the whole archive's ids."""
        files = find_postmortem_files(paths or [self.postmortems_dir])
        every_id = {p.stem for p in find_postmortem_files([self.postmortems_dir])}
        return load_archive(
            files,
            self.config,
            root=self.root,
            runbook_ids=runbook_ids(self.runbooks_dir),
            today=today,
            known_ids=every_id - {p.stem for p in files},
        )


def load_project(config_file: Path) -> Project:
    """The project described by `config_file`; without one, the defaults in its folder."""
    config_file = config_file.resolve()
    root = config_file.parent
    if not config_file.exists():
        return Project(root, KBConfig(), root / "docs")
    return Project(root, load_config(config_file), docs_dir(config_file))
