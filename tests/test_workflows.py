"""The CI files: this repository's GitHub workflows are the templates `pmkb init` writes,
rendered for this repository; every workflow validates against GitHub's workflow schema
(check-jsonschema) and passes actionlint; every step runs a command of this project; the
GitLab template validates against GitLab's CI schema and has its jobs; the pre-commit hook
names a real entry point."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from postmortem_kb.cli import main
from postmortem_kb.scaffold.init import REPOSITORY_CI, Settings, ci_files

from .ci_files import check_command, gitlab_scripts, load, workflow_runs
from .conftest import PMKB, REPO

BIN = Path(sys.executable).parent
WORKFLOWS = REPO / ".github" / "workflows"
REGENERATE = (
    '.venv/bin/python -c "from pathlib import Path; from postmortem_kb.scaffold.init import '
    "REPOSITORY_CI, ci_files; [Path(p).write_text(t) for p, t in "
    "ci_files('github', REPOSITORY_CI).items()]\""
)


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The CI files `pmkb init` writes into new knowledge bases, with github and gitlab."""
    root = tmp_path_factory.mktemp("ci")
    for ci in ("github", "gitlab"):
        result = CliRunner().invoke(main, ["init", str(root / ci), "--ci", ci])
        assert result.exit_code == 0, result.output
    return {
        "pull-request": root / "github/.github/workflows/pull-request.yml",
        "publish": root / "github/.github/workflows/publish.yml",
        "gitlab": root / "gitlab/.gitlab-ci.yml",
    }


def test_repository_workflows_are_the_templates_rendered_for_it() -> None:
    rendered = ci_files("github", REPOSITORY_CI)
    on_disk = {p.relative_to(REPO).as_posix(): p.read_text() for p in WORKFLOWS.glob("*.yml")}
    assert set(on_disk) == set(rendered), f"regenerate with: {REGENERATE}"
    for path, text in rendered.items():
        assert on_disk[path] == text, f"{path} differs from its template; {REGENERATE}"


def github_workflows(scaffolded: dict[str, Path]) -> list[Path]:
    return [*sorted(WORKFLOWS.glob("*.yml")), scaffolded["pull-request"], scaffolded["publish"]]


def test_workflows_validate_against_the_github_workflow_schema(
    scaffolded: dict[str, Path], tmp_path: Path
) -> None:
    command = [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
    result = subprocess.run(
        [*command, *map(str, github_workflows(scaffolded))], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout
    broken = tmp_path / "broken.yml"  # the schema does reject: `runs-on` is required
    broken.write_text(
        scaffolded["publish"].read_text().replace("    runs-on: ubuntu-latest\n", "", 1)
    )
    assert subprocess.run([*command, str(broken)], capture_output=True).returncode == 1


def test_gitlab_template_validates_against_the_gitlab_ci_schema(
    scaffolded: dict[str, Path], tmp_path: Path
) -> None:
    command = [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci"]
    result = subprocess.run([*command, str(scaffolded["gitlab"])], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / ".gitlab-ci.yml"  # the schema does reject: `when` has fixed values
    broken.write_text(scaffolded["gitlab"].read_text().replace("when: always", "when: sometimes"))
    assert subprocess.run([*command, str(broken)], capture_output=True).returncode == 1


def test_workflows_pass_actionlint(scaffolded: dict[str, Path], tmp_path: Path) -> None:
    actionlint = str(BIN / "actionlint")
    result = subprocess.run(
        [actionlint, "-no-color", *map(str, github_workflows(scaffolded))],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # actionlint does look: an untrusted value in a script, a job that needs a missing one
    broken = tmp_path / "broken.yml"
    text = scaffolded["pull-request"].read_text()
    broken.write_text(
        text.replace('"$BASE_SHA"', '"${{ github.event.pull_request.title }}"').replace(
            "    runs-on: ubuntu-latest\n", "    needs: nothing\n    runs-on: ubuntu-latest\n"
        )
    )
    result = subprocess.run([actionlint, "-no-color", str(broken)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "[expression]" in result.stdout and "[job-needs]" in result.stdout


def test_actions_are_pinned_to_commits_and_python_is_cached(scaffolded: dict[str, Path]) -> None:
    for path in github_workflows(scaffolded):
        for job in load(path)["jobs"].values():
            for step in job["steps"]:
                if "uses" in step:
                    assert re.fullmatch(r"actions/[\w-]+@[0-9a-f]{40}", step["uses"]), step
                if step.get("uses", "").startswith("actions/setup-python@"):
                    assert step["with"]["cache"] == "pip"
        text = path.read_text()
        for line in text.splitlines():
            if "uses: " in line:
                assert re.search(r"  # v\d+\.\d+\.\d+$", line), f"{path}: tag comment: {line}"


def test_every_run_step_is_a_project_command(scaffolded: dict[str, Path]) -> None:
    cases = [(p, REPOSITORY_CI) for p in sorted(WORKFLOWS.glob("*.yml"))]
    cases += [(scaffolded["pull-request"], Settings()), (scaffolded["publish"], Settings())]
    for path, settings in cases:
        runs = workflow_runs(path)
        assert runs, path
        for _, _, command in runs:
            assert "${{" not in command, f"{path}: expressions go through env: {command}"
            check_command(command, settings.install)
    with pytest.raises(AssertionError):
        check_command("curl https://example.com | sh", Settings().install)
    with pytest.raises(Exception, match="no-such-option"):
        check_command("pmkb check --no-such-option", Settings().install)


def test_pull_request_workflow_reviews_checks_builds_and_uploads(
    scaffolded: dict[str, Path],
) -> None:
    commands = [run for _, _, run in workflow_runs(scaffolded["pull-request"])]
    assert commands == [
        Settings().install,
        'pmkb review --base "$BASE_SHA" --format markdown >> "$GITHUB_STEP_SUMMARY"',
        "pmkb check --format github",
        "mkdocs build --strict",
    ]
    (job,) = load(scaffolded["pull-request"])["jobs"].values()
    uses = {
        step["uses"].split("@")[0]: step.get("with", {}) for step in job["steps"] if "uses" in step
    }
    assert uses["actions/upload-artifact"]["path"] == "site/"
    assert uses["actions/cache"]["path"] == ".pmkb"
    assert uses["actions/checkout"]["fetch-depth"] == 0


def test_publish_workflow_deploys_pages_and_the_public_site_separately(
    scaffolded: dict[str, Path],
) -> None:
    data = load(scaffolded["publish"])
    assert data[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads `on` as True
    jobs = data["jobs"]
    assert [run for _, _, run in workflow_runs(scaffolded["publish"]) if "pmkb" in run] == [
        "pmkb tickets --refresh",
        "pmkb build",
        "pmkb build --public --skip-if-empty",
    ]
    assert jobs["pages"]["needs"] == "internal"
    assert jobs["pages"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["pages"]["steps"][0]["uses"].startswith("actions/deploy-pages@")
    uploads = [s for s in jobs["public"]["steps"] if "upload-artifact" in s.get("uses", "")]
    assert uploads[0]["with"] == {"name": "public-site", "path": "site-public/"}
    assert uploads[0]["if"] == "hashFiles('site-public/index.html') != ''"


def test_gitlab_template_has_its_jobs_and_runs_project_commands(
    scaffolded: dict[str, Path],
) -> None:
    data = load(scaffolded["gitlab"])
    scripts = gitlab_scripts(scaffolded["gitlab"])
    assert set(scripts) == {"check", "review", "preview", "pages", "public-site", "tickets"}
    assert data["stages"] == ["check", "build", "publish"]
    for commands in scripts.values():
        for command in commands:
            check_command(command, Settings().install)
    report = data["check"]["artifacts"]["reports"]["codequality"]
    assert f"pmkb check --format gitlab > {report}" in scripts["check"][1]
    assert data["check"]["artifacts"]["when"] == "always"
    assert "pmkb build --site-dir public" in scripts["pages"]
    assert data["pages"]["artifacts"]["paths"] == ["public"]
    assert data["public-site"]["artifacts"]["paths"] == ["site-public/"]
    merge_requests = [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert data["review"]["rules"] == data["preview"]["rules"] == merge_requests


def test_pre_commit_hook_names_a_real_entry_point() -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "pmkb-check"
    assert hook["language"] == "python"
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    program, *args = hook["entry"].split()
    assert scripts[program] == "postmortem_kb.cli:main"
    files = re.compile(hook["files"])
    assert files.search("postmortems/2024-11-15-a.md")
    assert not files.search("kb/runbooks/index.md") and not files.search("postmortems/x.txt")
    # pre-commit runs the entry with the staged files appended
    staged = sorted(str(p.relative_to(REPO)) for p in (REPO / "postmortems").glob("*.md"))[:2]
    result = subprocess.run([str(PMKB), *args, *staged], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 files checked" in result.stderr
