"""Where a knowledge base's files are: mkdocs.yml, the post-mortems, the handbook, the runbooks.

The CLI and the MkDocs plugin both describe the project with a `Project` and load the
archive from it (`rules.archive.load_project_archive`), so both check exactly the same
files with the same settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from postmortem_kb.config import KBConfig, docs_dir, load_config


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


def load_project(config_file: Path) -> Project:
    """The project described by `config_file`; without one, the defaults in its folder."""
    config_file = config_file.resolve()
    root = config_file.parent
    if not config_file.exists():
        return Project(root, KBConfig(), root / "docs")
    return Project(root, load_config(config_file), docs_dir(config_file))
