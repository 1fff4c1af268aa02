"""Fetching tickets over HTTP: a bounded number in flight per tracker, a timeout on each
request, retries with exponential backoff after timeouts, 429 and 5xx answers (a
`Retry-After` or rate-limit reset header sets the wait), and a one-line reason for every
ticket that could not be fetched.

Each result is either `Fetched` (a state) or `FetchFailed` (why not); nothing here writes
the cache. The token is read from the environment variable the tracker names, sent in a
header, and removed from any text an error message quotes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import ssl
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import httpx

from postmortem_kb.trackers.answers import MalformedAnswer
from postmortem_kb.trackers.clients import TrackerApi, api_for
from postmortem_kb.trackers.keys import TicketRef
from postmortem_kb.trackers.settings import TrackerSettings
from postmortem_kb.trackers.state import TicketState

MAX_WAIT_S = 60.0  # a tracker asking for a longer pause is reported, not waited for
_QUOTED_TEXT = 160  # characters of a tracker's error message quoted in a reason


class Failure(StrEnum):
    NO_TOKEN = "no-token"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not-found"
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate-limited"
    SERVER_ERROR = "server-error"
    UNAVAILABLE = "unavailable"
    MALFORMED = "malformed"
    HTTP_ERROR = "http-error"


@dataclass(frozen=True)
class Fetched:
    ref: TicketRef
    state: TicketState
    at: dt.datetime


@dataclass(frozen=True)
class FetchFailed:
    ref: TicketRef
    failure: Failure
    reason: str  # one line, without the token
    at: dt.datetime


FetchResult = Fetched | FetchFailed
Progress = Callable[[int], None]  # called with 1 as each ticket is done


@dataclass(frozen=True)
class _Retry:
    """An answer worth asking again for: what it was, and how long the tracker asks to wait."""

    failure: Failure
    reason: str
    wait: float | None


def fetch_tickets(
    refs: Sequence[TicketRef],
    trackers: Sequence[TrackerSettings],
    env: Mapping[str, str],
    *,
    progress: Progress | None = None,
) -> list[FetchResult]:
    """The state of each ticket in `refs` (in that order), from the tracker it names.

    The requests run on an event loop of their own, in a worker thread, so a caller that
    already runs one (a notebook, a test session driving a browser) can call this too."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, _fetch_all(refs, trackers, env, progress)).result()


async def _fetch_all(
    refs: Sequence[TicketRef],
    trackers: Sequence[TrackerSettings],
    env: Mapping[str, str],
    progress: Progress | None,
) -> list[FetchResult]:
    by_label = {tracker.label: tracker for tracker in trackers}
    sessions = {
        label: _Session(tracker, env)
        for label, tracker in by_label.items()
        if any(ref.tracker == label for ref in refs)
    }
    try:

        async def one(ref: TicketRef) -> FetchResult:
            result = await sessions[ref.tracker].fetch(ref)
            if progress is not None:
                progress(1)
            return result

        return list(await asyncio.gather(*(one(ref) for ref in refs)))
    finally:
        for session in sessions.values():
            await session.close()


class _Session:
    """One tracker's client, its concurrency limit, and what stops it for every ticket (no
    token, a refused token, a tracker that cannot be reached)."""

    def __init__(self, tracker: TrackerSettings, env: Mapping[str, str]) -> None:
        self.tracker = tracker
        self.api: TrackerApi = api_for(tracker)
        self.token = env.get(tracker.token_env, "") if tracker.token_env else None
        self.user = env.get(tracker.user_env, "") if tracker.user_env else None
        self.blocked: tuple[Failure, str] | None = self._missing_credentials()
        self.limit = asyncio.Semaphore(tracker.concurrency)
        self.client = httpx.AsyncClient(
            headers=self.api.headers(self.token, self.user),
            timeout=tracker.timeout,
            follow_redirects=True,  # GitHub answers 301 for a moved repository
            verify=_tls_context(),
        )

    def _missing_credentials(self) -> tuple[Failure, str] | None:
        for variable, value in (
            (self.tracker.token_env, self.token),
            (self.tracker.user_env, self.user),
        ):
            if variable and not value:
                return (
                    Failure.NO_TOKEN,
                    f"not fetched: the environment variable {variable} is not set",
                )
        return None

    async def close(self) -> None:
        await self.client.aclose()

    async def fetch(self, ref: TicketRef) -> FetchResult:
        if self.blocked is not None:
            return self._failed(ref, *self.blocked)
        url, params = self.api.request(self.tracker, ref)
        attempts = self.tracker.retries + 1
        retry = _Retry(Failure.SERVER_ERROR, "no answer", None)
        for attempt in range(attempts):
            if self.blocked is not None:  # another ticket found the tracker unusable
                return self._failed(ref, *self.blocked)
            async with self.limit:
                outcome = await self._ask(ref, url, params)
            if not isinstance(outcome, _Retry):
                return outcome
            retry = outcome
            if attempt + 1 == attempts:
                break
            wait = outcome.wait if outcome.wait is not None else self.tracker.backoff * 2**attempt
            if wait > MAX_WAIT_S:
                return self._failed(
                    ref, retry.failure, f"{retry.reason}; the tracker asks to wait {wait:.0f} s"
                )
            await asyncio.sleep(wait)
        reason = f"{retry.reason} ({attempts} attempt{'s' if attempts > 1 else ''})"
        if retry.failure is Failure.UNAVAILABLE:
            self.blocked = (retry.failure, f"not fetched: {retry.reason}")
        return self._failed(ref, retry.failure, reason)

    async def _ask(self, ref: TicketRef, url: str, params: dict[str, str]) -> FetchResult | _Retry:
        host = urlsplit(url).netloc
        try:
            response = await self.client.get(url, params=params)
        except httpx.TimeoutException:
            return _Retry(
                Failure.TIMEOUT, f"no answer from {host} within {self.tracker.timeout:g} s", None
            )
        except httpx.TransportError as err:
            return _Retry(
                Failure.UNAVAILABLE,
                f"cannot reach {host}: {_one_line(str(err)) or type(err).__name__}",
                None,
            )
        except (httpx.HTTPError, httpx.InvalidURL) as err:  # too many redirects, a bad URL
            reason = f"the request failed: {_one_line(str(err)) or type(err).__name__}"
            return self._failed(ref, Failure.HTTP_ERROR, reason)
        return self._judge(ref, response)

    def _judge(self, ref: TicketRef, response: httpx.Response) -> FetchResult | _Retry:
        status = response.status_code
        if status == 200:
            return self._parse(ref, response)
        quoted = self._error_text(response)
        said = f"HTTP {status}{': ' + quoted if quoted else ''}"
        if status == 429 or (status == 403 and _rate_limited(response)):
            return _Retry(Failure.RATE_LIMITED, f"rate limited ({said})", _wait_asked(response))
        if status >= 500:
            return _Retry(
                Failure.SERVER_ERROR, f"the tracker failed ({said})", _wait_asked(response)
            )
        if status in (404, 410):
            return self._failed(ref, Failure.NOT_FOUND, f"the ticket does not exist ({said})")
        if status == 401:
            reason = (
                f"the token in {self.tracker.token_env} was refused ({said})"
                if self.tracker.token_env
                else f"the tracker asks for a token ({said}); set token_env"
            )
            self.blocked = (Failure.UNAUTHORIZED, f"not fetched: {reason}")
            return self._failed(ref, Failure.UNAUTHORIZED, reason)
        if status == 403:
            return self._failed(ref, Failure.UNAUTHORIZED, f"access denied ({said})")
        return self._failed(ref, Failure.HTTP_ERROR, f"unexpected answer ({said})")

    def _parse(self, ref: TicketRef, response: httpx.Response) -> FetchResult:
        try:
            payload = response.json()
        except ValueError:
            return self._failed(ref, Failure.MALFORMED, "the answer is not JSON")
        try:
            return Fetched(ref, self.api.parse(self.tracker, ref, payload), _now())
        except MalformedAnswer as err:
            return self._failed(ref, Failure.MALFORMED, f"the answer is not an issue ({err})")

    def _error_text(self, response: httpx.Response) -> str:
        try:
            payload: Any = response.json()
        except ValueError:
            return ""
        return _one_line(self.api.error_text(payload))[:_QUOTED_TEXT]

    def _failed(self, ref: TicketRef, failure: Failure, reason: str) -> FetchFailed:
        for secret in (self.token, self.user):
            if secret:
                reason = reason.replace(secret, "***")
        return FetchFailed(ref, failure, reason, _now())


@cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every client: loading the CA bundle takes a third of a second."""
    return httpx.create_ssl_context()


def _rate_limited(response: httpx.Response) -> bool:
    """GitHub signals an exhausted rate limit with a 403 as well as a 429."""
    return response.headers.get("x-ratelimit-remaining") == "0" or "retry-after" in response.headers


def _wait_asked(response: httpx.Response) -> float | None:
    """Seconds the answer asks to wait: `Retry-After` (seconds or an HTTP date), else the
    reset time of an exhausted rate limit (GitHub's `x-ratelimit-reset`, GitLab's
    `RateLimit-Reset`, both epoch seconds); None when it says nothing."""
    now = _now()
    retry_after = response.headers.get("retry-after", "").strip()
    if retry_after:
        if retry_after.isdigit():
            return float(retry_after)
        try:
            when = email.utils.parsedate_to_datetime(retry_after)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - now).total_seconds())
    reset = response.headers.get("x-ratelimit-reset") or response.headers.get("ratelimit-reset")
    remaining = response.headers.get("x-ratelimit-remaining") or response.headers.get(
        "ratelimit-remaining"
    )
    if reset and reset.isdigit() and remaining == "0":
        return max(0.0, int(reset) - now.timestamp())
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
