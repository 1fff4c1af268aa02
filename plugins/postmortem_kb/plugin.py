"""The `postmortems` MkDocs plugin: thin hooks over the domain modules.

The hooks say *when*; `Project`, `Archive` and the checks say *what*. Settings are
validated by the same pydantic model the CLI uses (`KBConfig`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files
from pydantic import ValidationError

from .archive import Archive
from .config import KBConfig
from .diagnostics import Diagnostic
from .project import Project

log = get_plugin_logger("postmortems")

POSTMORTEMS_URI = "postmortems"


class PostmortemsPlugin(BasePlugin):  # type: ignore[type-arg]
    """Mounts the post-mortems folder into the site and checks every file during the build."""

    def __init__(self) -> None:
        super().__init__()
        self.kb_config = KBConfig()
        self.project: Project | None = None
        self.archive: Archive | None = None

    def load_config(
        self, options: dict[str, Any], config_file_path: str | None = None
    ) -> tuple[list[Any], list[Any]]:
        """Validate the plugin's options with `KBConfig` instead of MkDocs' config options."""
        try:
            self.kb_config = KBConfig.model_validate(options)
        except ValidationError as err:
            errors = [
                (".".join(map(str, e["loc"])) or "postmortems", e["msg"])
                for e in err.errors(include_url=False)
            ]
            return errors, []
        return [], []

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(config.config_file_path).resolve().parent
        self.project = Project(root, self.kb_config, Path(config.docs_dir).resolve())
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """Load and check the archive, then add each post-mortem to the site's files."""
        assert self.project is not None
        self.archive = self.project.load_archive()
        _report(self.archive.diagnostics)
        for pm in self.archive.postmortems:
            files.append(
                File.generated(config, f"{POSTMORTEMS_URI}/{pm.id}.md", abs_src_path=str(pm.path))
            )
        return files

    def on_serve(
        self, server: LiveReloadServer, *, config: MkDocsConfig, builder: Any
    ) -> LiveReloadServer:
        if self.project is not None:
            server.watch(str(self.project.postmortems_dir))
        return server


def _report(diagnostics: list[Diagnostic]) -> None:
    """Warnings through the plugin logger (so `--strict` counts them); errors fail the build."""
    for diagnostic in diagnostics:
        if not diagnostic.is_error:
            log.warning(str(diagnostic))
    errors = [str(d) for d in diagnostics if d.is_error]
    if errors:
        for error in errors:
            log.error(error)
        raise PluginError(
            f"{len(errors)} error(s) in the post-mortems; see above or run `pmkb check`"
        )
