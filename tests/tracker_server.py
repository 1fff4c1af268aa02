"""A local HTTP server that answers like Jira, GitHub and GitLab, for the trackers tests.

One server on 127.0.0.1 (a free port) serves the three APIs under `/jira`, `/github` and
`/gitlab`. Each ticket's answers are scripted: a list of `Answer`s used in turn (the last
one repeats). Every request is recorded with its headers, and the most requests in flight
at once is counted.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes | str | dict[str, Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (past the client's timeout: a timeout)
    echo_auth: bool = False  # put the request's credentials in the body, as a careless server


def jira_issue(
    key: str,
    *,
    category: str = "new",
    status: str = "To Do",
    resolution: str | None = None,
    resolved: str | None = None,
    assignee: str | None = "Dana Scully",
    summary: str = "An action item",
) -> Answer:
    """A Jira `GET /rest/api/2/issue/{key}` answer, shaped as Jira Cloud's."""
    return Answer(
        body={
            "expand": "renderedFields,names,schema",
            "id": "10042",
            "self": "https://jira.example.com/rest/api/2/issue/10042",
            "key": key,
            "fields": {
                "summary": summary,
                "status": {
                    "name": status,
                    "statusCategory": {"id": 3, "key": category, "name": category.title()},
                },
                "resolution": {"name": resolution} if resolution else None,
                "resolutiondate": resolved,
                "assignee": {"displayName": assignee, "accountId": "5b10a2"} if assignee else None,
            },
        }
    )


def github_issue(
    number: int,
    *,
    state: str = "open",
    reason: str | None = None,
    closed_at: str | None = None,
    assignee: str | None = "lee",
    title: str = "An action item",
) -> Answer:
    return Answer(
        body={
            "number": number,
            "state": state,
            "state_reason": reason,
            "closed_at": closed_at,
            "title": title,
            "html_url": f"https://github.com/acme/platform/issues/{number}",
            "assignee": {"login": assignee, "id": 1} if assignee else None,
            "assignees": [{"login": assignee, "id": 1}] if assignee else [],
            "labels": [],
        },
        headers={"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999"},
    )


def gitlab_issue(
    iid: int,
    *,
    state: str = "opened",
    closed_at: str | None = None,
    assignee: str | None = "sam",
    title: str = "An action item",
    labels: list[str] | None = None,
) -> Answer:
    return Answer(
        body={
            "id": 900 + iid,
            "iid": iid,
            "project_id": 7,
            "state": state,
            "closed_at": closed_at,
            "title": title,
            "labels": labels or [],
            "web_url": f"https://gitlab.example.com/sre/dashboards/-/issues/{iid}",
            "assignee": {"username": assignee, "id": 3} if assignee else None,
            "assignees": [{"username": assignee, "id": 3}] if assignee else [],
        }
    )


JIRA_NOT_FOUND = Answer(
    404,
    {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."],
        "errors": {},
    },
)
GITHUB_NOT_FOUND = Answer(
    404,
    {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest/issues/issues#get-an-issue",
        "status": "404",
    },
)
GITLAB_NOT_FOUND = Answer(404, {"message": "404 Not found"})


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]


class TrackerServer:
    """`answers[path]`: the scripted answers for a request path (without the query)."""

    def __init__(self) -> None:
        self.answers: dict[str, list[Answer]] = {}
        self.requests: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server name)
                server._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> TrackerServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def script(self, path: str, *answers: Answer) -> None:
        self.answers[path] = list(answers)

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]

    def _next(self, path: str) -> Answer:
        with self._lock:
            queue = self.answers.get(path)
            if not queue:
                return Answer(404, {"message": f"no script for {path}"})
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self._lock:
            self.requests.append(Seen(handler.path, headers))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            answer = self._next(path)
            if answer.delay:
                time.sleep(answer.delay)
            body = answer.body
            if answer.echo_auth:
                said = headers.get("authorization") or headers.get("private-token") or ""
                body = {"message": f"Bad credentials: {said}", "errorMessages": [said]}
            data = (
                json.dumps(body).encode()
                if isinstance(body, dict)
                else body.encode()
                if isinstance(body, str)
                else body
            )
            handler.send_response(answer.status)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
            pass
        finally:
            with self._lock:
                self.in_flight -= 1
