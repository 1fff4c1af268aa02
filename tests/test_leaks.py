"""Leak check over a built site: planted secrets are found where they are, a clean Material
build is clean."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from postmortem_kb.public.deny_list import (
    DEFAULT_DENY_PATTERNS,
    DenyList,
    Leak,
    LeakRule,
    build_deny_list,
    internal_only_terms,
    leaks_by_source,
    scan_site,
    scan_text,
)

INTERNAL_TEXT = """\
The failing host was db-pay-07.corp.example.net (10.20.3.4); customer Acme Corp escalated.
Dana from Acme Corp asked us to keep this out of the report. The pool max_pool_size was 20.
In Safari the page broke. The Observable helper and version 1.6.1 were fine, SEV1 declared.
"""
PUBLIC_TEXT = """\
About 7% of checkout attempts failed for 49 minutes. The payments-api pool was exhausted.
SEV1 was declared; version 1.6.1 of the client was deployed from 203.0.113.7.
"""


def write(site: Path, relative: str, content: str | bytes) -> None:
    path = site / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def found(leaks: list[Leak]) -> set[tuple[str, int, int, str, str]]:
    return {(leak.file, leak.line, leak.column, leak.rule, leak.text) for leak in leaks}


# --- planted secrets ------------------------------------------------------------------


@pytest.fixture
def planted_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    write(
        site,
        "pm/a/index.html",
        "<!doctype html>\n"
        '<html><head><meta charset="utf-8"><style>@media screen { a { color: red } }</style>\n'
        '<body><p>See <a href="https://grafana.corp.example.net/d/1">the graph</a>.</p>\n'
        "<p>Host 10.20.3.4 was slow; public 203.0.113.7 was fine. SEV1, SEV-1, 1.6.1.</p>\n"
        "<p>Tracked in PAY-1432, ask @dana or "
        '<a href="&#109;&#97;ilto:dana&#64;example.com">mail</a>.</p>\n'
        "<p>Ping <code>https://acme.slack.com/archives/C1</code> &amp; UTF-8.</p>\n",
    )
    index = {"docs": [{"location": "pm/a/", "text": "Customer Acme\nCorp escalated, see @lee."}]}
    write(site, "search/search_index.json", json.dumps(index))
    write(
        site,
        "sitemap.xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset>\n'
        "<url><loc>https://kb.corp.example.net/pm/a/</loc></url>\n</urlset>\n",
    )
    write(site, "sitemap.xml.gz", gzip.compress(b"<urlset>\n<loc>db-pay-07</loc>\n</urlset>\n"))
    write(site, "javascripts/extra.js", 'const owner = "dana@example.com"; // internal only\n')
    write(site, "extra.css", "@font-face { font-family: x }\n@media print { a { b: c } }\n")
    write(
        site,
        "assets/javascripts/bundle.min.js",
        "/** @param x PAY-9 martin@squidfunk.com */ var h='db-pay-07';\nvar ip='192.168.1.20';\n",
    )
    write(site, "assets/javascripts/blob.js", b"\x00\x01db-pay-07")
    write(site, "assets/images/logo.png", b"\x89PNG\x00\x01@dana PAY-7 db-pay-07 10.0.0.1")
    write(site, "robots.txt", "User-agent: *\nDisallow: /vault.internal/\n")
    # The site search's index: JSON result records, binary term shards, and a gzipped file
    # whatever its suffix (a server's pre-compressed copy).
    record = '[{"u":"pm/a/","t":"Customer Acme Corp \\u0040sam"}]'
    write(site, "pmkb-search/docs/0.json", record)
    write(site, "pmkb-search/terms/0.bin", b'\x12\x00\x00\x00{"terms":["db-pay-07"]}@kim\x01')
    write(site, "pmkb-search/docs/1.json.br", gzip.compress(b"[@rustc OPS-1 db-pay-07\x00]"))
    return site


PLANTED = [
    ("pm/a/index.html", "internal-domain", "grafana.corp.example.net", "grafana."),
    ("pm/a/index.html", "private-ip", "10.20.3.4", "10.20.3.4"),
    ("pm/a/index.html", "ticket-key", "PAY-1432", "PAY-1432"),
    ("pm/a/index.html", "handle", "@dana", "@dana "),
    ("pm/a/index.html", "email", "dana@example.com", "dana&#64;"),
    ("pm/a/index.html", "slack", "acme.slack.com", "acme.slack"),
    ("search/search_index.json", "internal-term", "Acme Corp", "Acme\\n"),
    ("search/search_index.json", "handle", "@lee", "@lee"),
    ("sitemap.xml", "internal-domain", "kb.corp.example.net", "kb."),
    ("sitemap.xml.gz", "internal-term", "db-pay-07", "db-pay-07"),
    ("javascripts/extra.js", "email", "dana@example.com", "dana@"),
    ("javascripts/extra.js", "phrase", "internal only", "internal only"),
    ("assets/javascripts/bundle.min.js", "internal-term", "db-pay-07", "db-pay-07"),
    ("assets/javascripts/bundle.min.js", "private-ip", "192.168.1.20", "192.168"),
    ("robots.txt", "internal-domain", "vault.internal", "vault."),
    ("assets/javascripts/blob.js", "internal-term", "db-pay-07", "db-pay-07"),
    ("assets/images/logo.png", "internal-term", "db-pay-07", "db-pay-07"),
    ("assets/images/logo.png", "private-ip", "10.0.0.1", "10.0.0.1"),
    ("pmkb-search/docs/0.json", "internal-term", "Acme Corp", "Acme Corp"),
    ("pmkb-search/docs/0.json", "handle", "@sam", "\\u0040sam"),
    ("pmkb-search/terms/0.bin", "internal-term", "db-pay-07", "db-pay-07"),
    ("pmkb-search/docs/1.json.br", "internal-term", "db-pay-07", "db-pay-07"),
]
"""Binary content (logo.png, the term shard, the gzipped block) and vendor bundles get no
heuristic rules: their handles and ticket keys (@dana, PAY-7, @kim, @param, OPS-1) are not
reported."""


def position(site: Path, file: str, needle: str) -> tuple[int, int]:
    """Line and column of the only occurrence of ``needle`` in the stored file."""
    data = (site / file).read_bytes()
    text = (gzip.decompress(data) if data.startswith(b"\x1f\x8b") else data).decode("latin-1")
    assert text.count(needle) == 1, needle
    before = text[: text.index(needle)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def test_planted_secrets_are_found_with_file_and_position(planted_site: Path) -> None:
    deny = build_deny_list(terms=["Acme Corp", "db-pay-07"])
    expected = {
        (file, *position(planted_site, file, needle), rule, text)
        for file, rule, text, needle in PLANTED
    }
    assert found(scan_site(planted_site, deny)) == expected


def test_leak_str_and_context(planted_site: Path) -> None:
    leak = next(
        leak for leak in scan_site(planted_site, build_deny_list()) if leak.rule == "ticket-key"
    )
    assert str(leak).startswith('pm/a/index.html:5:15: leak ticket-key "PAY-1432" … ')
    assert "Tracked in PAY-1432, ask @dana" in leak.context
    assert "\n" not in leak.context


def test_leaks_are_attributed_to_sources(planted_site: Path) -> None:
    leaks = scan_site(planted_site, build_deny_list(terms=["Acme Corp"]))
    sources = {
        "postmortems/a.md": "Customer Acme   Corp escalated, PAY-1432.",
        "postmortems/b.md": "Nothing to see.",
    }
    by_source = leaks_by_source(leaks, sources)
    ticket = next(leak for leak in leaks if leak.rule == "ticket-key")
    term = next(leak for leak in leaks if leak.rule == "internal-term")
    handle = next(leak for leak in leaks if leak.text == "@lee")
    assert by_source[ticket] == ["postmortems/a.md"]
    assert by_source[term] == ["postmortems/a.md"]
    assert by_source[handle] == []


# --- rules one by one -----------------------------------------------------------------


def rules_hit(text: str, deny: DenyList | None = None, kind: str = ".txt") -> list[tuple[str, str]]:
    leaks = scan_text(text, deny or DenyList(DEFAULT_DENY_PATTERNS), file="f", kind=kind)
    return [(leak.rule, leak.text) for leak in leaks]


@pytest.mark.parametrize(
    "text",
    [
        "public 203.0.113.7 and 8.8.8.8, 172.15.0.1, 172.32.0.1, 192.169.1.1, 11.0.0.1",
        "v10.1.2.3 and 10.1.2.3.4 are versions, 1.6.1 too",
        "SEV1 SEV-1 UTF-8 ISO-8601 CVE-2024-1234 X86-64 sha-256 utf-8 Pay-12",
        "@media print {} @font-face {} @keyframes x {} @import url(a); @supports (x) {}",
        "@customElement('x') @Component npm i @types/node a@b x.@dana",
        "internally, the only way; confidentiality; slack.com/pricing; localStorage; the internal API",
        "mkdocs.local-dev and vault.internals",
    ],
)
def test_ordinary_text_is_not_flagged(text: str) -> None:
    assert rules_hit(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(10.0.0.1)", [("private-ip", "10.0.0.1")]),
        (
            "172.16.0.1 172.31.255.255",
            [("private-ip", "172.16.0.1"), ("private-ip", "172.31.255.255")],
        ),
        ("at 192.168.0.10.", [("private-ip", "192.168.0.10")]),
        ("see OPS-7.", [("ticket-key", "OPS-7")]),
        ("owner: @dana-lee_2.", [("handle", "@dana-lee_2")]),
        ("mail Dana.Smith+pm@Example.COM", [("email", "Dana.Smith+pm@Example.COM")]),
        ("DO NOT\nSHARE", [("phrase", "DO NOT SHARE")]),
        ("Confidential", [("phrase", "Confidential")]),
        ("Internal-Only", [("phrase", "Internal-Only")]),
        ("https://ACME.slack.com/x", [("slack", "ACME.slack.com")]),
        ("https://corp.example.net/wiki", [("internal-domain", "corp.example.net")]),
        ("printer.LOCAL", [("internal-domain", "printer.LOCAL")]),
    ],
)
def test_default_rules_flag(text: str, expected: list[tuple[str, str]]) -> None:
    assert rules_hit(text) == expected


def test_configuration_extra_domains_ticket_pattern_and_rules() -> None:
    deny = build_deny_list(
        internal_domains=["mycorp.io"],
        ticket_pattern=r"\bINC\d{4,}\b",
        extra_rules=[LeakRule("codename", r"\bproject (?:falcon|osprey)\b")],
    )
    text = "db.mycorp.io INC20240 PAY-1 Project Falcon"
    assert rules_hit(text, deny) == [
        ("internal-domain", "db.mycorp.io"),
        ("ticket-key", "INC20240"),
        ("codename", "Project Falcon"),
    ]
    assert rules_hit("PAY-1432", build_deny_list(ticket_pattern=None)) == []


def test_case_sensitive_extra_rule() -> None:
    deny = DenyList([LeakRule("caps", "ACME", case_sensitive=True)])
    assert rules_hit("acme ACME", deny) == [("caps", "ACME")]


def test_upper_case_pattern_is_still_case_insensitive() -> None:
    deny = DenyList([LeakRule("name", r"Acme\s+Corp")])
    assert rules_hit("ACME corp", deny) == [("name", "ACME corp")]


def test_terms_match_whole_words_case_insensitively_across_lines() -> None:
    deny = build_deny_list(terms=["Acme Corp", "db-pay-07", "db-pay-0"], ticket_pattern=None)
    text = "ACME\n  corp; xdb-pay-07; db-pay-07.corp; db-pay-0; db-pay-071; Acme Corporation"
    leaks = scan_text(text, deny, file="f")
    terms = [(leak.line, leak.column, leak.text) for leak in leaks if leak.rule == "internal-term"]
    line = text.split("\n")[1]
    assert terms == [
        (1, 1, "ACME corp"),
        (2, line.index(" db-pay-07") + 2, "db-pay-07"),
        (2, line.index(" db-pay-0;") + 2, "db-pay-0"),
    ]


def test_positions_survive_decoding_and_case_folding() -> None:
    deny = build_deny_list(terms=["db-pay-07"])
    html_leaks = scan_text("İ&#160;&lt;x&gt;\n&#100;b-pay-07", deny, file="f", kind=".html")
    json_leaks = scan_text('["İ\\u00e9\\n\\u0064b-pay-07"]', deny, file="f", kind=".json")
    assert [(leak.line, leak.column, leak.text) for leak in html_leaks] == [(2, 1, "db-pay-07")]
    # the escaped "\n" is no line break of the stored file; column 12 is where "\u0064" starts
    assert [(leak.line, leak.column, leak.text) for leak in json_leaks] == [(1, 12, "db-pay-07")]


def test_vendor_bundles_skip_only_heuristic_rules(planted_site: Path) -> None:
    leaks = scan_site(planted_site, build_deny_list(terms=["db-pay-07"]))
    vendor = {leak.rule for leak in leaks if leak.file.startswith("assets/")}
    assert vendor == {"internal-term", "private-ip"}


# --- internal-only terms --------------------------------------------------------------


def test_internal_only_terms_are_distinctive_and_not_public() -> None:
    terms = internal_only_terms([INTERNAL_TEXT], [PUBLIC_TEXT])
    assert {"db-pay-07", "db-pay-07.corp.example.net", "10.20.3.4", "Acme Corp"} <= terms
    assert "max_pool_size" in terms
    for ordinary in ("Safari", "In Safari", "The Observable", "Dana", "SEV1", "1.6.1", "host"):
        assert ordinary not in terms
    assert all(len(term) >= 5 for term in terms)


def test_terms_that_appear_in_public_text_are_dropped() -> None:
    public = "Our customer **Acme** Corp was affected; see [db-pay-07](x)."
    terms = internal_only_terms([INTERNAL_TEXT], [public])
    assert "Acme Corp" not in terms
    assert "db-pay-07" not in terms
    assert "db-pay-07.corp.example.net" in terms


@pytest.mark.parametrize(
    "token",
    [
        "utf-8",
        "x86_64",
        "SHA-256",
        "v1.6.1",
        "2024-11-15T14:02:00Z",
        "index.html",
        "node.js",
        "e.g.",
    ],
)
def test_standard_tokens_are_not_terms(token: str) -> None:
    assert internal_only_terms([f"We saw {token} there."], []) == set()


@pytest.mark.parametrize(
    "token", ["web-01", "PAY-1432", "acme.com", "api.acme.example", "k8s-prod-3", "203.0.113.7"]
)
def test_identifiers_are_terms(token: str) -> None:
    assert token in internal_only_terms([f"We saw {token} there."], [])


# --- a real Material build is clean ---------------------------------------------------

PAGES = {
    "index.md": """\
# Incident knowledge base

Post-mortems of **SEV1** and SEV2 incidents. We use version 1.6.1 of the client and
`UTF-8` everywhere; the public endpoint is 203.0.113.7.

!!! note "How to read these"
    Each page has a summary, an impact section and a timeline.

```css
@media print { .md-header { display: none } }
```
""",
    "checkout.md": """\
# Checkout latency after pool exhaustion

## Summary

About 7% of checkout attempts failed for 49 minutes. The connection pool was sized per pod,
not per database, and a deploy doubled the pods.

| Action | Category | Due | Status |
|---|---|---|---|
| Alert on pool saturation above 80% | Detection | 2024-12-01 | done |
""",
}


@pytest.fixture(scope="module")
def material_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("material")
    (project / "mkdocs.yml").write_text(
        "site_name: Test KB\nsite_url: https://kb.example.com/\n"
        "theme:\n  name: material\nplugins: [search]\n",
        encoding="utf-8",
    )
    for name, text in PAGES.items():
        write(project / "docs", name, text)
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"],
        cwd=project,
        check=True,
    )
    return project / "site"


def test_clean_material_site_has_no_leaks(material_site: Path) -> None:
    assert (material_site / "search" / "search_index.json").is_file()
    assert any(material_site.glob("assets/javascripts/*.js.map"))
    assert scan_site(material_site, build_deny_list()) == []


def test_clean_material_site_with_internal_only_terms(material_site: Path) -> None:
    terms = internal_only_terms([INTERNAL_TEXT], PAGES.values())
    assert terms
    assert scan_site(material_site, build_deny_list(terms=terms)) == []


def test_heuristics_would_trip_on_the_theme_bundles(material_site: Path) -> None:
    """Why vendor bundles skip the heuristic rules: they contain @param and authors' e-mails."""
    bundle = next(material_site.glob("assets/javascripts/bundle.*.min.js.map"))
    text = bundle.read_text(encoding="utf-8")
    rules = {leak.rule for leak in scan_text(text, build_deny_list(), file="x", kind=".map")}
    assert {"handle", "email"} <= rules
