"""The API's signature on the commands it sends: the worker writes no event for a command without it.

The Temporal dev server of the embedded default asks no client who it is, so any local user could send a
case's workflow a step with any actor in it. Every command the API (or the CLI) sends carries an HMAC-SHA256,
under a key kept in the event store's database, over what it asks and where: its kind, the case's workflow
(for a step) and the command's JSON. The activities check it before they write; a worker built without a key
(the workflow tests' own) checks nothing. Older histories replay as they are: activities do not run again
on replay, and a command recorded without a signature reads as the empty one.
"""

from __future__ import annotations

import hashlib
import hmac

from pydantic import BaseModel
from temporalio.exceptions import ApplicationError

from branchflow.workflows.commands import WHOLE
from branchflow.workflows.failures import UNSIGNED, expected


def signature(key: bytes, kind: str, scope: str, command: BaseModel) -> str:
    """What the client puts in the command's `signature` field: over the command's whole form (every field, the
    defaults too), however lean it is written into the history (commands.StepCommand)."""
    body = command.model_dump_json(exclude={"signature"}, context={WHOLE: True})
    return hmac.new(key, f"{kind}\n{scope}\n{body}".encode(), hashlib.sha256).hexdigest()


def check_signature(key: bytes | None, kind: str, scope: str, command: BaseModel) -> None:
    """Raises the activity's refusal unless `command` carries the key's signature (any, without a key)."""
    if key is None:
        return
    given = str(getattr(command, "signature", ""))
    if not hmac.compare_digest(given, signature(key, kind, scope, command)):
        raise unsigned(kind)


def unsigned(kind: str) -> ApplicationError:
    return expected(f"{kind} refused: it does not carry the API's signature", type=UNSIGNED)
