"""`pmkb init`: a new knowledge base that checks clean and builds strictly at once, whose
workflows' commands are run here, step by step, as the runner would run them."""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from postmortem_kb.cli import main
from postmortem_kb.scaffold.init import TEMPLATES, Settings, kb_files

from .ci_files import gitlab_scripts, workflow_runs
from .conftest import PMKB, REPO

EXAMPLE = "postmortems/2025-01-14-checkout-errors-after-config-change.md"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PMKB), *args], cwd=cwd, capture_output=True, text=True)


def init(*args: str) -> tuple[int, str]:
    """`pmkb init` in-process (the other commands run as subprocesses, as CI runs them)."""
    result = CliRunner().invoke(main, ["init", *args])
    return result.exit_code, result.stderr


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def run_steps(commands: list[str], cwd: Path, **env: str) -> None:
    """Each command with `bash -e`, as GitHub's and GitLab's runners do, the venv on PATH."""
    environ = {**os.environ, "PATH": f"{PMKB.parent}{os.pathsep}{os.environ['PATH']}", **env}
    for command in commands:
        result = subprocess.run(
            ["bash", "-e", "-c", command], cwd=cwd, env=environ, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr[-4000:]}"


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pmkb init` in a fresh folder, committed to git on `main`."""
    target = tmp_path_factory.mktemp("init") / "incidents"
    code, err = init(str(target))
    assert code == 0, err
    git(target, "init", "-q", "-b", "main")
    git(target, "add", ".")
    git(target, "commit", "-q", "-m", "pmkb init")
    return target


def test_init_writes_the_whole_knowledge_base(kb: Path) -> None:
    written = sorted(
        str(p.relative_to(kb)) for p in kb.rglob("*") if p.is_file() and ".git/" not in p.as_posix()
    )
    assert written == sorted(
        [
            ".github/workflows/publish.yml",
            ".github/workflows/pull-request.yml",
            ".gitignore",
            ".pre-commit-config.yaml",
            "README.md",
            "kb/how-to-write.md",
            "kb/index.md",
            "kb/public-index.md",
            "kb/runbooks/index.md",
            "kb/runbooks/runbook-template.md",
            "mkdocs.public.yml",
            "mkdocs.yml",
            EXAMPLE,
            "requirements.txt",
        ]
    )
    assert "%{" not in "".join(
        p.read_text() for p in kb.rglob("*") if p.is_file() and ".git" not in p.parts
    )


def test_the_example_checks_with_no_warning(kb: Path) -> None:
    result = run("check", cwd=kb)
    assert result.returncode == 0, result.stdout
    assert result.stderr.strip() == "1 file checked: 0 error(s), 0 warning(s)"


def test_pull_request_workflow_runs_in_the_new_kb(kb: Path, tmp_path: Path) -> None:
    """A branch changing the example: the workflow's steps give the review, pass the check
    and build the site strictly at once."""
    base = git(kb, "rev-parse", "HEAD")
    git(kb, "checkout", "-q", "-b", "pr")
    example = kb / EXAMPLE
    example.write_text(example.read_text().replace("for 49 minutes", "for 50 minutes"))
    git(kb, "commit", "-q", "-am", "change")
    summary = tmp_path / "summary.md"
    steps = [cmd for _, _, cmd in workflow_runs(kb / ".github/workflows/pull-request.yml")]
    assert steps[0] == Settings().install  # postmortem-kb is installed here already
    run_steps(steps[1:], kb, BASE_SHA=base, GITHUB_STEP_SUMMARY=str(summary))
    text = summary.read_text()
    assert text.startswith("## Post-mortem review\n\n1 post-mortem new or changed: 0 error(s)")
    assert "### Checkout errors after a connection pool configuration change" in text
    assert (kb / "site" / "index.html").is_file()
    assert (kb / "site" / "postmortems" / EXAMPLE.split("/")[1][:-3] / "index.html").is_file()
    assert (kb / "site" / "severity-levels" / "index.html").is_file()
    git(kb, "checkout", "-q", "main")


def test_publish_workflow_builds_the_public_site_only_when_there_is_one(kb: Path) -> None:
    steps = [cmd for _, _, cmd in workflow_runs(kb / ".github/workflows/publish.yml")]
    steps = [cmd for cmd in steps if cmd != Settings().install]
    assert steps == ["pmkb tickets --refresh", "pmkb build", "pmkb build --public --skip-if-empty"]
    steps = steps[1:]  # the refresh runs only with a tracker token secret (test_trackers.py)
    run_steps(steps[1:], kb)  # the example is internal: nothing public to build
    assert not (kb / "site-public").exists()
    example = kb / EXAMPLE
    original = example.read_text()
    example.write_text(original.replace("visibility: internal", "visibility: public"))
    try:
        run_steps(steps[1:], kb)
        page = kb / "site-public" / "postmortems" / EXAMPLE.split("/")[1][:-3] / "index.html"
        assert page.is_file()
        assert "@example-author" not in page.read_text()  # owners are cut from public pages
    finally:
        example.write_text(original)


def test_gitlab_check_job_writes_a_code_quality_report(tmp_path: Path) -> None:
    target = tmp_path / "kb"
    assert init(str(target), "--ci", "gitlab")[0] == 0
    assert not (target / ".github").exists()
    script = gitlab_scripts(target / ".gitlab-ci.yml")["check"]
    assert script[0] == Settings().install
    (target / EXAMPLE).write_text(
        (target / EXAMPLE).read_text().replace("severity: SEV2", "severity: SEV9")
    )
    result = subprocess.run(
        ["bash", "-e", "-c", script[1]],
        cwd=target,
        env={**os.environ, "PATH": f"{PMKB.parent}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0  # the report step never stops the job; `pmkb check` does
    (issue,) = json.loads((target / "gl-code-quality-report.json").read_text())
    assert issue["check_name"] == "PM104"
    assert issue["severity"] == "major"
    assert issue["location"] == {"path": EXAMPLE, "lines": {"begin": 4}}


def test_init_with_no_ci_writes_no_ci_file(tmp_path: Path) -> None:
    assert init(str(tmp_path / "kb"), "--ci", "none")[0] == 0
    assert not (tmp_path / "kb" / ".github").exists()
    assert not (tmp_path / "kb" / ".gitlab-ci.yml").exists()
    assert (tmp_path / "kb" / "mkdocs.yml").is_file()


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: Ours\n")
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "index.md").write_text("# Ours\n")
    code, err = init(str(tmp_path))
    assert code == 1
    assert err.strip() == (
        f"Error: {tmp_path}: not overwriting existing files: "
        f"{tmp_path / 'kb' / 'index.md'}, {tmp_path / 'mkdocs.yml'}"
    )
    assert (tmp_path / "mkdocs.yml").read_text() == "site_name: Ours\n"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["index.md", "kb", "mkdocs.yml"]


def test_every_template_is_package_data() -> None:
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["postmortem_kb"]
    package = REPO / "plugins" / "postmortem_kb"
    templates = [p for p in Path(str(TEMPLATES)).rglob("*") if p.is_file()]
    assert len(templates) == len(kb_files()) + 3  # and the 3 CI templates
    for path in templates:
        relative = path.relative_to(package).as_posix()
        assert any(fnmatch.fnmatch(relative, p.replace("**/", "*")) for p in patterns), relative


def test_the_new_kbs_pre_commit_hook_is_this_repositorys(kb: Path) -> None:
    (ours,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (repo,) = yaml.safe_load((kb / ".pre-commit-config.yaml").read_text())["repos"]
    (hook,) = repo["hooks"]
    assert (hook["id"], hook["entry"], hook["files"]) == (ours["id"], ours["entry"], ours["files"])
