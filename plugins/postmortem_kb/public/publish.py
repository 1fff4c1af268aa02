"""The public site: which post-mortems and pages it has, and what of them it may show.

Pure, no MkDocs. The public build filters the archive once (`public_archive`) before the
site is computed, so the listings, counts, related and similar incidents, the home page
snippets and the search index only ever see public post-mortems, already redacted:

- only post-mortems with `visibility: public` and `status: published` are kept;
- their body loses its internal blocks and the Owner and Ticket columns of the action items
  (`redaction.redact_for_public`);
- their front matter loses the fields that are never public (`INTERNAL_FIELDS`: authors,
  roles, channel, runbooks), and `related` keeps only other public post-mortems.

The page of a public post-mortem is redacted again when MkDocs renders it
(`public_page_markdown`), with links to pages the public site does not have turned into
plain text (`link_filter`), and the `## Public summary` section lifted out of the body into
the page's lead (`public_lead`).

Pages of the docs folder are dropped unless the `public_pages` option names them
(`public_docs_uri`); runbooks never go public.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import posixpath
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from postmortem_kb.config import KBConfig
from postmortem_kb.format.archive import Archive
from postmortem_kb.format.body import parse_body, parse_timeline
from postmortem_kb.format.frontmatter import FrontMatter
from postmortem_kb.format.model import PostMortem
from postmortem_kb.format.plaintext import markdown_to_text
from postmortem_kb.format.vocabulary import INTERNAL_FIELDS
from postmortem_kb.format.yaml_source import YamlDocument
from postmortem_kb.public.redaction import redact_for_public

PUBLIC_SUMMARY = "Public summary"
"""Front matter fields the public site never shows, whatever the post-mortem's visibility."""
PUBLIC_META = ("title",)
"""The front matter keys a public post-mortem page keeps in MkDocs' `page.meta`, which
themes and other plugins may read: the title, nothing else."""


def is_public(pm: PostMortem) -> bool:
    """Whether `pm` belongs on the public site: `visibility: public` and `status: published`."""
    return pm.meta.visibility == "public" and pm.meta.status == "published"


def public_archive(archive: Archive) -> Archive:
    """The archive as the public site may see it: the public post-mortems (`is_public`),
    each redacted (`public_postmortem`). Diagnostics stay with the full archive."""
    chosen = [pm for pm in archive.postmortems if is_public(pm)]
    ids = {pm.id for pm in chosen}
    return Archive([public_postmortem(pm, ids) for pm in chosen], [], len(chosen))


def public_postmortem(pm: PostMortem, public_ids: Collection[str]) -> PostMortem:
    """A copy of `pm` without its internal content: the body redacted (links kept: the page
    is checked against the site's pages when it renders), the `INTERNAL_FIELDS` emptied,
    `related` limited to `public_ids`, and no owner or ticket on the action items."""
    markdown = redact_for_public(pm.markdown, lambda target: True)
    body = parse_body(markdown, pm.body.line)
    timeline = body.section("Timeline")
    emptied = {
        name: FrontMatter.model_fields[name].get_default(call_default_factory=True)
        for name in INTERNAL_FIELDS
    }
    related = [other for other in pm.meta.related if other in public_ids]
    meta = pm.meta.model_copy(update={**emptied, "related": related})
    return dataclasses.replace(
        pm,
        meta=meta,
        yaml=YamlDocument({}),  # the raw front matter holds the internal fields
        body=body,
        timeline=parse_timeline(timeline) if timeline else [],
        action_items=[dataclasses.replace(a, owner="", ticket="") for a in pm.action_items],
        markdown=markdown,
    )


def public_page_markdown(markdown: str, is_public_link: Callable[[str], bool]) -> str:
    """A public post-mortem page's Markdown: redacted, links the public site cannot follow
    made plain text, and without the `## Public summary` section (shown as the lead)."""
    redacted = redact_for_public(markdown, is_public_link)
    return without_section(redacted, PUBLIC_SUMMARY)


def public_page_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    """A public post-mortem page's `page.meta`: only the `PUBLIC_META` keys."""
    return {key: value for key, value in meta.items() if key in PUBLIC_META}


def public_lead(pm: PostMortem) -> tuple[str, ...]:
    """The lead of `pm`'s public page, as plain-text paragraphs: its `## Public summary`
    section if it has one, else its `public_summary` field; empty when it has neither.
    Pass the redacted post-mortem (`public_postmortem`), so internal blocks are gone."""
    section = pm.body.section(PUBLIC_SUMMARY)
    if section is not None and not section.is_empty():
        return tuple(_paragraphs(section.content))
    summary = pm.meta.public_summary
    return (" ".join(summary.split()),) if summary else ()


def without_section(markdown: str, name: str) -> str:
    """`markdown` without the H2 section `name` (heading and content up to the next H1/H2)."""
    section = parse_body(markdown, 1).section(name)
    if section is None:
        return markdown
    lines = markdown.split("\n")
    start = section.line - 1
    end = start + section.height + len(section.content)
    return "\n".join(lines[:start] + lines[end:])


def _paragraphs(lines: Iterable[str]) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line)
        elif current:
            text = " ".join(markdown_to_text("\n".join(current)).split())
            if text:
                paragraphs.append(text)
            current = []
    return paragraphs


# --- links -------------------------------------------------------------------------------


def link_filter(page_uri: str, site_uris: Collection[str]) -> Callable[[str], bool]:
    """For the page at source path `page_uri`: whether a link target may stay a link on the
    public site. Links off the site (a scheme or a host) and to a fragment of the page stay;
    a relative link stays when it names a file of the site (`site_uris`, source paths), also
    as `folder/` for `folder/index.md` or `page/` for `page.md`. The rest (runbooks, the
    handbook, internal post-mortems, anything outside the docs) becomes plain text."""
    folder = posixpath.dirname(page_uri)

    def keep(target: str) -> bool:
        target = target.strip()
        if not target or target.startswith("#"):
            return True
        parts = urlsplit(target)
        if parts.scheme or parts.netloc:
            return True
        path = unquote(parts.path)
        if not path:
            return True  # "?query" only: the page itself
        joined = path.lstrip("/") if path.startswith("/") else posixpath.join(folder, path)
        resolved = posixpath.normpath(joined)
        if resolved.startswith("../") or resolved == "..":
            return False
        stem = resolved.rstrip("/")
        candidates = (resolved, f"{stem}/index.md", f"{stem}.md", f"{stem}/README.md")
        return any(candidate in site_uris for candidate in candidates)

    return keep


# --- pages of the docs folder ------------------------------------------------------------


def public_docs_uri(src_uri: str, config: KBConfig, *, is_page: bool) -> str | None:
    """Where a file of the docs folder goes on the public site: its own source path, or
    `index.md` for the `public_home` page, or None when the public site leaves it out.

    Pages are kept when `public_pages` names them (the docs' `index.md` gives way to
    `public_home` when one is set); other files (images, stylesheets) are kept. Nothing
    under `runbooks_dir` is kept."""
    runbooks = config.runbooks_dir.strip("/") + "/"
    if src_uri.startswith(runbooks):
        return None
    if config.public_home and src_uri == config.public_home:
        return "index.md"
    if not is_page:
        return src_uri
    if config.public_home and src_uri == "index.md":
        return None
    return src_uri if any(fnmatch.fnmatchcase(src_uri, p) for p in config.public_pages) else None


def internal_docs_uri(src_uri: str, config: KBConfig) -> str | None:
    """Where a file of the docs folder goes on the internal site: everywhere but the
    `public_home` page, which only the public site shows."""
    return None if config.public_home and src_uri == config.public_home else src_uri
