"""Which post-mortems a branch adds or changes, as git sees them."""

from __future__ import annotations

import subprocess
from pathlib import Path


class ChangesError(Exception):
    """git could not say what changed (not a repository, an unknown base)."""


def changed_postmortems(root: Path, postmortems_dir: Path, base: str) -> list[Path]:
    """The Markdown files under `postmortems_dir` that HEAD adds, changes or renames since
    its merge base with `base` (deleted files are not reviewed), sorted."""
    try:
        result = subprocess.run(
            ["git", "diff", "--name-only", "--diff-filter=d", "-z", f"{base}...HEAD", "--"]
            + [str(postmortems_dir)],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as err:  # no git on the machine
        raise ChangesError(f"cannot run git: {err}") from err
    if result.returncode != 0:
        message = result.stderr.strip().splitlines()[-1:] or ["git diff failed"]
        raise ChangesError(f"git diff {base}...HEAD: {message[0]}")
    top = _toplevel(root)
    names = [name for name in result.stdout.split("\0") if name.endswith(".md")]
    return sorted(top / name for name in names if (top / name).is_file())


def _toplevel(root: Path) -> Path:
    result = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(result.stdout.strip())
