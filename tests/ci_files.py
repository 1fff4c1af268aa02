"""Reading CI files as a runner would: the commands of GitHub workflows and GitLab jobs, and
whether each one is a command of this project (pmkb, mkdocs) or its install line."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import yaml
from mkdocs.__main__ import cli as mkdocs_cli
from postmortem_kb.cli import main as pmkb_cli

SHELL_OPERATOR = re.compile(r"\s(?:>>|>|\|\||\||&&)\s")


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def workflow_runs(path: Path) -> list[tuple[str, str, str]]:
    """(job id, step name, command) of every `run:` step, in order."""
    runs = []
    for job_id, job in load(path)["jobs"].items():
        for step in job.get("steps", []):
            if "run" in step:
                runs.append((job_id, step.get("name", ""), step["run"]))
    return runs


def gitlab_scripts(path: Path) -> dict[str, list[str]]:
    """Each job's commands: `default.before_script`, then its own `script`."""
    data = load(path)
    before = data.get("default", {}).get("before_script", [])
    return {
        name: [*before, *job["script"]]
        for name, job in data.items()
        if isinstance(job, dict) and "script" in job
    }


def check_command(command: str, install: str) -> None:
    """Fail unless `command` is `install` or a pmkb/mkdocs command whose options exist: its
    first shell segment parsed by the command's own click parser."""
    if command == install:
        return
    argv = shlex.split(SHELL_OPERATOR.split(command)[0])
    groups: dict[str, click.Group] = {"pmkb": pmkb_cli, "mkdocs": mkdocs_cli}
    assert argv[0] in groups, f"not a command of this project: {command}"
    group = groups[argv[0]]
    assert argv[1] in group.commands, f"{argv[0]} has no command {argv[1]}: {command}"
    group.commands[argv[1]].make_context(argv[1], argv[2:])  # raises on unknown options
