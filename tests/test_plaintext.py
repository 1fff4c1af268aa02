from __future__ import annotations

import pytest
from postmortem_kb.format.plaintext import markdown_to_text


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("## Root cause\n\nThe **pool** was _full_.", "Root cause\nThe pool was full."),
        ("See [the runbook](../runbooks/db.md) and ![graph](g.png).", "See the runbook and graph."),
        ("past `max_connections` of 500", "past max_connections of 500"),
        ("| Action | Owner |\n|---|---|\n| Add alert | @dana |", "Action Owner\nAdd alert @dana"),
        ("- 14:02 Deploy\n  - nested item\n1. first", "14:02 Deploy\nnested item\nfirst"),
        ('!!! internal "Note"\n    db-07.corp.example.net', "db-07.corp.example.net"),
        ("<!-- internal -->\nsecret\n<!-- /internal -->", "secret"),
        ("```sh\nkubectl rollout undo\n```", "kubectl rollout undo"),
        ("> quoted <b>bold</b>", "quoted bold"),
        ("[ref link][1]\n\n[1]: https://example.com", "ref link"),
    ],
)
def test_markdown_to_text(markdown: str, text: str) -> None:
    assert markdown_to_text(markdown) == text
