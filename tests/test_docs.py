"""The documentation stays true to the code."""

from __future__ import annotations

from postmortem_kb.diagnostics.codes import CODES

from .conftest import REPO


def test_readme_documents_every_diagnostic_code() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for spec in CODES.values():
        assert f"| {spec.code} | {spec.level} | {spec.summary} |" in readme, spec.code


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (REPO / "README.md").read_text(encoding="utf-8")
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def _shown(value: object) -> str:
    """An option's default as the README's table shows it."""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value is None:
        return "`null`"
    if isinstance(value, str):
        return f"`{value}`" if value else "empty"
    if isinstance(value, int | float):
        return f"`{value}`"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        text = ", ".join(value)
        return f"`[{text}]`" if len(text) <= 60 else f"{len(value)} entries"
    if isinstance(value, list | dict):
        return f"{len(value)} entries" if value else "`[]`" if isinstance(value, list) else "`{}`"
    return f"`{value}`"


def option_table() -> str:
    """The README's table of the plugin's options, made from `KBConfig` itself."""
    from postmortem_kb.config import KBConfig

    rows = ["| option | default | what it does |", "|---|---|---|"]
    for name, field in KBConfig.model_fields.items():
        default = field.get_default(call_default_factory=True)
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{name}` | {_shown(default)} | {description} |")
    return "\n".join(rows)


def test_readme_option_table_is_the_model() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- options:start -->\n", "\n<!-- options:end -->"
    assert start in readme and end in readme, "the README lost its option table markers"
    written = readme[readme.index(start) + len(start) : readme.index(end)]
    assert written == option_table(), "README's option table is stale; it should be:\n" + (
        option_table()
    )


def test_architecture_names_every_module() -> None:
    """ARCHITECTURE.md's module map stays true: every module of the package is in it."""
    architecture = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    package = REPO / "plugins" / "postmortem_kb"
    modules = [
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if path.name != "__init__.py"
    ]
    missing = [
        m
        for m in sorted(modules)
        if m not in architecture and f"`{m.rsplit('/', 1)[-1]}`" not in architecture
    ]
    assert not missing, f"ARCHITECTURE.md does not name: {', '.join(missing)}"
