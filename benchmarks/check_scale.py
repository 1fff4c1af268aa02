"""What loading and checking the archive costs (`rules.archive.load_project_archive`, through
the check cache `rules.check_cache` where the code has one), cold, warm and with one file
changed, beside the code of another checkout in the same run.

    python benchmarks/check_scale.py N [N ...] [--runs K] [--baseline CLONE] [--seed S]

For each N: a temp project of N synthetic post-mortems (``synthetic.write_postmortems``,
the runbooks they name as stub pages). Each measurement is a child process (a fresh
interpreter, as `pmkb check` and `mkdocs build` are) that times the load alone, CPU seconds
(user + system, steadier than wall time on a shared machine) and wall seconds:

* cold: no `.pmkb/checks/`, every file parsed and checked (and the cache written);
* warm: nothing changed since the last load;
* one changed: one post-mortem's text edited since the last load.

With ``--baseline CLONE`` (a clone of the commit before, e.g. ``git clone -q . /tmp/base &&
git -C /tmp/base checkout HEAD~3``) the same three loads run with
``PYTHONPATH=CLONE/plugins``, alternating with this checkout's, run by run; code without a
check cache checks every file every time. Medians of ``--runs``. Then, for this checkout at
each N, what reading the cache costs: its fingerprint (hashing the code), its entries as
written (a file each), beside the same entries as one pickle of them all (the layout not
chosen: written whole again for every edit), the garbage collector off in both. A table goes to stdout, then one
JSON line per N prefixed ``JSON``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from synthetic import RUNBOOKS, write_postmortems

REPO = Path(__file__).resolve().parent.parent
MODES = ("cold", "warm", "one changed")

# The child: load the archive of the project in argv[1] once and print the load's times.
_LOAD = """
import json, sys, time
from pathlib import Path
from postmortem_kb.project import load_project
try:
    from postmortem_kb.rules.check_cache import load_cached_archive as load
except ImportError:  # code before the check cache
    from postmortem_kb.rules.archive import load_project_archive as load
project = load_project(Path(sys.argv[1]) / "mkdocs.yml")
cpu, wall = time.process_time(), time.perf_counter()
archive = load(project)
print(json.dumps({"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
                  "files": archive.files_checked, "diagnostics": len(archive.diagnostics)}))
"""

# The child: read the cache of the project in argv[1] as written (a file an entry), then the
# same entries as one pickle of them all (the layout not chosen).
_READ = """
import datetime, gc, json, pickle, sys, time
from pathlib import Path
from postmortem_kb.project import load_project
from postmortem_kb.rules.check_cache import CheckCache, fingerprint
root = Path(sys.argv[1])
project = load_project(root / "mkdocs.yml")
today = datetime.datetime.now(datetime.UTC).date()
cpu, wall = time.process_time(), time.perf_counter()
cache = CheckCache.open(root, project.config, today)
key = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}
names = sorted(cache)
gc.disable()  # as `rules.archive.load_archive` reads them
cpu, wall = time.process_time(), time.perf_counter()
entries = {name: cache[name] for name in names}
many = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}
gc.enable()
whole = root / "all-entries.pickle"
whole.write_bytes(pickle.dumps(entries, pickle.HIGHEST_PROTOCOL))
gc.disable()
cpu, wall = time.process_time(), time.perf_counter()
pickle.loads(whole.read_bytes())
one = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}
gc.enable()
size = sum(p.stat().st_size for p in cache.folder.iterdir())
print(json.dumps({"entries": len(entries), "bytes": size, "fingerprint": key,
                  "one_file": one, "file_an_entry": many}))
"""


def make_project(root: Path, n: int, seed: int) -> Path:
    (root / "docs" / "runbooks").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# KB\n", encoding="utf-8")
    for name in RUNBOOKS:
        (root / "docs" / "runbooks" / f"{name}.md").write_text(f"# {name}\n", encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        "site_name: KB\ndocs_dir: docs\nplugins:\n  - postmortems\n", encoding="utf-8"
    )
    write_postmortems(root / "postmortems", n, seed)
    return root


def child(script: str, project: Path, plugins: Path) -> dict[str, Any]:
    env = os.environ | {"PYTHONPATH": str(plugins), "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(project)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=project,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def edit_one(project: Path, token: int) -> None:
    path = sorted((project / "postmortems").glob("*.md"))[token % 7]
    text = path.read_text(encoding="utf-8")
    path.write_text(text + f"\nEdited in run {token}.\n", encoding="utf-8")


def measure(n: int, codes: dict[str, Path], runs: int, seed: int) -> dict[str, Any]:
    """{code: {mode: [run, ...]}}, the codes alternating run by run, each in its project."""
    with tempfile.TemporaryDirectory(prefix="pmkb-check-") as temp:
        base = make_project(Path(temp) / "base", n, seed)
        projects = {}
        for name in codes:
            projects[name] = Path(temp) / name
            shutil.copytree(base, projects[name])
        found: dict[str, dict[str, list[dict[str, Any]]]] = {
            name: {mode: [] for mode in MODES} for name in codes
        }
        token = 0
        for _ in range(runs):
            for name, plugins in codes.items():
                project = projects[name]
                shutil.rmtree(project / ".pmkb", ignore_errors=True)
                found[name]["cold"].append(child(_LOAD, project, plugins))
                found[name]["warm"].append(child(_LOAD, project, plugins))
                token += 1
                edit_one(project, token)
                found[name]["one changed"].append(child(_LOAD, project, plugins))
        reading = child(_READ, projects["this"], codes["this"])
    return {"n": n, "runs": found, "cache_read": reading}


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def print_table(result: dict[str, Any]) -> None:
    n, runs = result["n"], result["runs"]
    print(f"\nN = {n:,} post-mortems (medians of {len(runs['this']['cold'])} runs)")
    header = "| load | " + " | ".join(f"{name} CPU s | {name} wall s" for name in runs) + " |"
    print(header)
    print("|---" * (1 + 2 * len(runs)) + "|")
    for mode in MODES:
        cells = []
        for name in runs:
            cells += [f"{_median(runs[name][mode], 'cpu'):.2f}"]
            cells += [f"{_median(runs[name][mode], 'wall'):.2f}"]
        print(f"| {mode} | " + " | ".join(cells) + " |")
    read = result["cache_read"]
    print(
        f"cache: {read['entries']:,} entries, {read['bytes'] / 2**20:.1f} MB; its fingerprint "
        f"{read['fingerprint']['cpu']:.2f} CPU s; read as written, a file an entry "
        f"{read['file_an_entry']['cpu']:.2f} CPU s ({read['file_an_entry']['wall']:.2f} "
        f"wall); as one pickle of them all {read['one_file']['cpu']:.2f} CPU s "
        f"({read['one_file']['wall']:.2f} wall)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="+")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline", type=Path, help="a clone of the code to compare with")
    args = parser.parse_args(argv)
    codes = {"this": REPO / "plugins"}
    if args.baseline:
        codes = {"baseline": args.baseline.resolve() / "plugins", **codes}
    results = [measure(n, codes, args.runs, args.seed) for n in args.n]
    for result in results:
        print_table(result)
    for result in results:
        print("JSON", json.dumps(result))


if __name__ == "__main__":
    main()
