"""Internal blocks: finding them, redacting them for the public site, marking them internally.

Input is a Markdown body with "\\n" newlines: the caller normalises CRLF (a "\\r" is refused).
"""

from __future__ import annotations

from textwrap import dedent

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from postmortem_kb.public.redaction import (
    INTERNAL_TITLE,
    InternalBlock,
    find_internal_blocks,
    mark_internal_for_site,
    redact_for_public,
)


def blocks_of(markdown: str) -> list[InternalBlock]:
    return list(find_internal_blocks(markdown).blocks)


def md(text: str) -> str:
    return dedent(text).lstrip("\n")


def keep_all(target: str) -> bool:
    return True


def public_only(target: str) -> bool:
    """Rejects runbooks and anything mentioning "secret"."""
    return "runbooks/" not in target and "secret" not in target


# --- finding blocks -------------------------------------------------------------------


def test_admonition_block_with_blank_lines_inside() -> None:
    body = md("""
        Before.

        !!! internal
            The failing host was db-pay-07.

            Customer Acme Corp escalated.

        After.
        """)
    assert blocks_of(body) == [
        InternalBlock(
            3, 6, "The failing host was db-pay-07.\n\nCustomer Acme Corp escalated.", "admonition"
        )
    ]


@pytest.mark.parametrize("marker", ["!!!", "???", "???+"])
def test_admonition_variants_and_title(marker: str) -> None:
    body = f'{marker} internal "Escalation"\n    secret\n\nafter\n'
    (block,) = blocks_of(body)
    assert (block.start, block.end, block.text, block.title) == (1, 2, "secret", "Escalation")


def test_admonition_content_indented_with_tab() -> None:
    (block,) = blocks_of("!!! internal\n\tsecret\n\t    code\nafter\n")
    assert (block.end, block.text) == (3, "secret\n    code")


def test_admonition_of_another_type_is_not_internal() -> None:
    assert blocks_of('!!! note "internal"\n    fine\n!!! internals\n    fine\n') == []


def test_comment_block_tolerates_spacing_and_case() -> None:
    body = "a\n<!--internal-->\nsecret\n  <!--  / INTERNAL -->\nb\n"
    assert blocks_of(body) == [InternalBlock(2, 4, "secret", "comment")]


def test_nested_list_and_code_inside_blocks() -> None:
    body = md("""
        - item
            !!! internal
                - nested db-pay-07
                    - deeper

                ```
                <!-- /internal -->
                ```
        - next
            <!-- internal -->
            ```sh
            ssh 10.0.0.7
            <!-- /internal -->
            ```
            <!-- /internal -->
        """)
    first, second = blocks_of(body)
    assert (first.start, first.end, first.syntax) == (2, 8, "admonition")
    assert first.text.startswith("- nested db-pay-07\n    - deeper\n\n```")
    assert (second.start, second.end, second.syntax) == (10, 15, "comment")
    assert "ssh 10.0.0.7" in second.text


def test_markers_inside_code_fences_are_ignored() -> None:
    body = md("""
        ```markdown
        !!! internal
            shown as code
        <!-- internal -->
        ```

        ~~~~
        <!-- internal -->
        ~~~~
        """)
    scan = find_internal_blocks(body)
    assert scan.blocks == () and scan.problems == ()


def test_nested_comment_pairs_close_at_the_matching_marker() -> None:
    body = "<!-- internal -->\na\n<!-- internal -->\nb\n<!-- /internal -->\nc\n<!-- /internal -->\n"
    (block,) = blocks_of(body)
    assert (block.start, block.end) == (1, 7)


def test_unclosed_comment_runs_to_the_end_and_is_reported() -> None:
    body = "ok\n<!-- internal -->\nsecret\nmore\n"
    scan = find_internal_blocks(body)
    (block,) = scan.blocks
    assert (block.start, block.end, block.closed, block.text) == (2, 4, False, "secret\nmore")
    assert [(p.line, "unclosed" in p.message) for p in scan.problems] == [(2, True)]


def test_stray_close_and_inline_markers_are_reported() -> None:
    body = "a\n<!-- /internal -->\ntext <!-- internal --> more\n`<!-- internal -->` is fine\n"
    scan = find_internal_blocks(body)
    assert scan.blocks == ()
    assert [problem.line for problem in scan.problems] == [2, 3]


def test_unclosed_fence_does_not_hide_markers() -> None:
    body = "```\n<!-- internal -->\nsecret\n<!-- /internal -->\n"
    scan = find_internal_blocks(body)
    assert len(scan.blocks) == 1
    assert [problem.message for problem in scan.problems] == ["unclosed code fence"]


def test_crlf_is_refused() -> None:
    with pytest.raises(ValueError, match="line endings"):
        find_internal_blocks("!!! internal\r\n    secret\r\n")


# --- redaction ------------------------------------------------------------------------

BODY = md("""
    ## Summary

    Pool exhaustion, see [the runbook](../runbooks/db.md) and [PM][old].

    !!! internal
        The failing host was db-pay-07.corp.example.net.

        ```
        kubectl -n payments get pods
        ```

    Public paragraph.

    <!-- internal -->
    Customer Acme Corp escalated.
    <!-- /internal -->

    ```text
    <!-- internal -->
    this example stays
    ```

    ## Action items

    | Action | Category | Owner | Due | Ticket | Status |
    |---|---|---|---|---|---|
    | Alert on pool saturation | Detection | @dana | 2024-12-01 | PAY-1432 | done |

    ## Lessons learned

    Pools are per pod.

    [old]: ../secret-2023.md
    """)


def test_redaction_removes_blocks_columns_and_internal_links() -> None:
    public = redact_for_public(BODY, public_only)
    for secret in ("db-pay-07", "kubectl", "Acme", "@dana", "PAY-1432", "runbooks", "secret"):
        assert secret not in public
    assert "Pool exhaustion, see the runbook and PM." in public
    assert "Public paragraph." in public
    assert "<!-- internal -->\nthis example stays\n```" in public
    assert "| Action | Category | Due | Status |" in public
    assert "| Alert on pool saturation | Detection | 2024-12-01 | done |" in public
    assert "\n\n\n" not in public


def test_redaction_is_idempotent() -> None:
    once = redact_for_public(BODY, public_only)
    assert redact_for_public(once, public_only) == once


def test_redaction_of_unclosed_block_drops_the_rest() -> None:
    assert redact_for_public("ok\n\n<!-- internal -->\nsecret\n", keep_all) == "ok\n\n"


def test_code_outside_blocks_is_untouched() -> None:
    body = "```\n[link](../runbooks/x.md) | Owner |\n```\n"
    assert redact_for_public(body, public_only) == body


# --- action items table ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            "| Action | Owner | Due | Ticket |\n|---|---|---|---|\n| Fix | @dana | 2024-12-01 | PAY-1 |",
            "| Action | Due |\n| --- | --- |\n| Fix | 2024-12-01 |",
        ),
        (  # no outer pipes, alignment colons
            "Action | Owner | Due | Ticket\n:--- | :-: | ---: | ---\nFix | @dana | 2024-12-01 | PAY-1",
            "| Action | Due |\n| :--- | ---: |\n| Fix | 2024-12-01 |",
        ),
        (  # escaped pipes and pipes in code spans stay inside their cell
            "| Action | Owner | Ticket |\n|-|-|-|\n| Set `a|b` to x \\| y | @dana | PAY-1 |",
            "| Action |\n| - |\n| Set `a|b` to x \\| y |",
        ),
        (  # short and long rows; header case and emphasis do not matter
            "| Action | **OWNER** | Status |\n|---|---|---|\n| Fix | @dana |\n| Do | @lee | open | x |",
            "| Action | Status |\n| --- | --- |\n| Fix |\n| Do | open |",
        ),
    ],
)
def test_owner_and_ticket_columns_are_removed(table: str, expected: str) -> None:
    body = f"## Action items\n\n{table}\n\n## Lessons learned\n"
    assert (
        redact_for_public(body, keep_all)
        == f"## Action items\n\n{expected}\n\n## Lessons learned\n"
    )


def test_only_the_action_items_section_is_changed() -> None:
    table = "| Action | Owner |\n|---|---|\n| Fix | @dana |\n"
    body = f"## Timeline\n\n{table}\n## Action items\n\nNone.\n"
    assert redact_for_public(body, keep_all) == body


def test_table_ends_at_blank_line() -> None:
    body = "## Action items\n\n| A | Owner |\n|---|---|\n| x | @d |\n\nOwner | text\n"
    assert redact_for_public(body, keep_all).endswith("| A |\n| --- |\n| x |\n\nOwner | text\n")


# --- links ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("See [the runbook](../runbooks/db.md).", "See the runbook."),
        ('See [it](<../runbooks/a b.md> "Title").', "See it."),
        ("See [a [nested] text](secret.md).", "See a [nested] text."),
        ("See [it](https://example.com/docs) too.", "See [it](https://example.com/docs) too."),
        ("Graph: ![latency graph](img/secret.png)", "Graph: latency graph"),
        ("Graph: ![latency graph](img/public.png)", "Graph: ![latency graph](img/public.png)"),
        ("[![badge](secret.svg)](https://ok.example)", "[badge](https://ok.example)"),
        ("Autolink <https://x.example/runbooks/secret> stays.", None),
        ("Code `[x](secret.md)` stays, \\[y](secret.md) too.", None),
        ("Multi-line [link\ntext](secret.md) works.", "Multi-line link\ntext works."),
    ],
)
def test_inline_links(body: str, expected: str | None) -> None:
    assert redact_for_public(body, public_only) == (body if expected is None else expected)


def test_reference_links_and_their_definitions() -> None:
    body = md("""
        Full [runbook][rb], collapsed [Rb][], shortcut [rb], image ![pic][img],
        public [docs][d] and an undefined [thing][nope].

        [rb]: ../runbooks/db.md "Runbook"
        [img]: <secret.png>
        [d]: https://example.com/docs
        """)
    assert redact_for_public(body, public_only) == md("""
        Full runbook, collapsed Rb, shortcut rb, image pic,
        public [docs][d] and an undefined [thing][nope].

        [d]: https://example.com/docs
        """)


def test_footnotes_are_not_links() -> None:
    body = "Text[^1].\n\n[^1]: see ../runbooks/db.md\n"
    assert redact_for_public(body, public_only) == body


def test_predicate_sees_the_raw_targets() -> None:
    seen: list[str] = []
    redact_for_public(
        '[a](x.md#frag "t") [b][r]\n\n[r]: <y z.md>\n', lambda t: seen.append(t) or True
    )
    assert sorted(seen) == ["x.md#frag", "y z.md", "y z.md"]


# --- marking for the internal site ----------------------------------------------------


def test_comment_pair_becomes_admonition() -> None:
    body = "a\n\n<!-- internal -->\nsecret\n\n- list\n<!-- /internal -->\nb\n"
    assert mark_internal_for_site(body) == (
        f'a\n\n!!! internal "{INTERNAL_TITLE}"\n    secret\n\n    - list\nb\n'
    )


def test_indented_comment_pair_keeps_its_level() -> None:
    body = "- item\n    <!-- internal -->\n    secret\n    <!-- /internal -->\n"
    assert mark_internal_for_site(body) == (
        f'- item\n    !!! internal "{INTERNAL_TITLE}"\n        secret\n'
    )


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("!!! internal", f'!!! internal "{INTERNAL_TITLE}"'),
        ('!!! internal ""', f'!!! internal "{INTERNAL_TITLE}"'),
        ("???+ internal inline", f'???+ internal inline "{INTERNAL_TITLE}"'),
        ('!!! internal "Escalation"', '!!! internal "Escalation"'),
    ],
)
def test_admonition_gets_a_title(head: str, expected: str) -> None:
    assert mark_internal_for_site(f"{head}\n    secret\n") == f"{expected}\n    secret\n"


def test_marking_leaves_code_and_other_text_alone() -> None:
    body = "```\n<!-- internal -->\n```\n\ntext\n"
    assert mark_internal_for_site(body) == body


def test_unclosed_pair_is_marked_to_the_end() -> None:
    assert mark_internal_for_site("a\n<!-- internal -->\nsecret\n") == (
        f'a\n!!! internal "{INTERNAL_TITLE}"\n    secret\n'
    )


def test_marked_blocks_are_found_again_with_same_content() -> None:
    marked = mark_internal_for_site(BODY)
    assert [block.text for block in blocks_of(marked)] == [block.text for block in blocks_of(BODY)]
    assert all(block.syntax == "admonition" for block in blocks_of(marked))


# --- robustness -----------------------------------------------------------------------

TOKENS = [
    *("\n", "\n\n", "    ", "\t", "x", "secret", "|", "\\", "<", ">", '"', "`", "```", "~~~"),
    *("!!! internal", '!!! internal "t"', "???+ internal", "<!-- internal -->"),
    *("<!-- /internal -->", "[", "]", "(", ")", "![", "[a]: secret", "[a]", "<https://a>"),
    *("## Action items", "| A | Owner |", "|---|---|", "- ", "Owner", "Ticket"),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_any_markdown_redacts_idempotently_and_marks_every_pair(body: str) -> None:
    once = redact_for_public(body, public_only)
    assert redact_for_public(once, public_only) == once
    marked = mark_internal_for_site(body)
    assert all(block.syntax == "admonition" for block in blocks_of(marked))
