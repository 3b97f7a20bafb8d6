"""How a careful client talks to branchflow, and what the tests hold every answer to.

A command carries a `command_id`. An answer that asks for a retry (503 with `retry: true`, or 409 with
rule `concurrent_change` and `retry: true`) or no answer at all (the connection failed) is retried with the
same command_id, a bounded number of times; any other answer is final. The tests then check that the final
answers agree with the event store.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Answer:
    status: int  # 0: no answer (transport error)
    body: Any = None

    @property
    def asks_retry(self) -> bool:
        if self.status == 0:
            return True
        retry = isinstance(self.body, dict) and self.body.get("retry") is True
        return (self.status == 503 and retry) or (
            self.status == 409 and retry and self.body.get("rule") == "concurrent_change")


@dataclass
class Command:
    path: str
    body: dict[str, Any]
    command_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    answers: list[Answer] = field(default_factory=list)

    @property
    def final(self) -> Answer:
        return self.answers[-1]

    @property
    def applied(self) -> bool:
        return self.final.status in (200, 201)

    def unexpected(self) -> list[Answer]:
        """Answers that are neither final nor a request to retry: a 500, a 503 without `retry`, and so on."""
        return [a for a in self.answers[:-1] if not a.asks_retry] + (
            [self.final] if self.final.status >= 500 or self.final.status == 0 else [])


def send(api: httpx.Client, command: Command, *, within: float = 90.0, pause: float = 0.2,
         attempts: int = 300) -> Command:
    """Sends until a final answer, or until `within` seconds or `attempts` tries have passed."""
    deadline = time.monotonic() + within
    for _ in range(attempts):
        try:
            response = api.post(command.path, json={**command.body, "command_id": command.command_id})
            answer = Answer(response.status_code, _json(response))
        except httpx.TransportError as error:
            answer = Answer(0, repr(error))
        command.answers.append(answer)
        if not answer.asks_retry or time.monotonic() > deadline:
            break
        time.sleep(pause)
    return command


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def member_step(name: str) -> dict[str, Any]:
    return {"action": "add_member", "name": name, "gender": "male", "birth_date": "1985-06-07",
            "education": "junior_college", "status": "formal", "relation_transferred": True}


def history(api: httpx.Client, case_id: str) -> list[dict[str, Any]]:
    answer = api.get(f"/organizations/{case_id}/history")
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()
    return entries


def members_added(entries: list[dict[str, Any]]) -> list[str]:
    return [e["data"]["name"] for e in entries if e["type"] == "MemberAdded"]


def csrf_token(page: httpx.Response) -> str:
    """The CSRF token of a page's form (the sign-in form, or the sign-out form of a signed-in page)."""
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text[-2000:]
    return found.group(1)


def signed_in(base_url: str, token: str) -> httpx.Client:
    """A browser session (cookie and CSRF token) signed in with `token` through the sign-in page."""
    browser = httpx.Client(base_url=base_url, timeout=60)
    signed = browser.post("/login", data={"token": token, "csrf": csrf_token(browser.get("/login")), "next": "/board"})
    assert signed.status_code == 303, signed.text
    return browser
