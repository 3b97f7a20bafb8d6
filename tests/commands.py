"""A `branchflow` command run inside the test's process: the command line's own parser and command function,
with the settings a subprocess would read from its environment, its output and exit status captured.

A subprocess (`python -m branchflow ...`) spends 2-8 s on the machine's shared cores importing branchflow before
it does anything; a test that is about what a command does, not about its process, runs it here. The tests
about the process itself (exit by signal, `up`, the parts as processes, `verify` in tests/reliability) still
start one.
"""

from __future__ import annotations

import io
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from typing import Any, NoReturn

from branchflow.api import cli
from branchflow.runtime.settings import Settings, load_settings

# sys.stdout and sys.stderr are one per process: one command at a time captures them.
_ONE_AT_A_TIME = threading.Lock()


class _Exited(BaseException):
    """`os._exit` called by a command (`verify` leaves so, past interpreter finalization): its status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _exit_here(status: int) -> NoReturn:
    raise _Exited(status)


def run_command(args: tuple[str, ...], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`branchflow *args` with the variables `env` adds to this process's environment, as `subprocess.run`
    would answer it (argparse's refusals exit 2 here too).

    It runs in a thread of its own: a command runs its own event loop, and this thread may have one running
    (Playwright's). The environment itself is left alone: the server threads of the session's stack share it.
    """
    given = _settings_from(env)
    out, err = io.StringIO(), io.StringIO()
    status: list[int] = []
    failure: list[BaseException] = []

    def command() -> None:
        try:
            parsed = cli.parser().parse_args(list(args))
            status.append(int(parsed.run(load_settings(**given), parsed)))
        except SystemExit as exit_:
            status.append(exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 1)
        except _Exited as exited:
            status.append(exited.status)
        except BaseException as error:  # re-raised in the test's thread, with its traceback
            failure.append(error)

    with _ONE_AT_A_TIME, redirect_stdout(out), redirect_stderr(err), _os_exit_raises():
        thread = threading.Thread(target=command, name=f"branchflow {' '.join(args[:2])}", daemon=True)
        thread.start()
        thread.join(timeout)
        assert not thread.is_alive(), f"branchflow {' '.join(args)} did not finish in {timeout} s"
    if failure:
        raise failure[0]
    return subprocess.CompletedProcess(["branchflow", *args], status[0], out.getvalue(), err.getvalue())


def _settings_from(env: dict[str, str]) -> dict[str, Any]:
    """The settings' fields that the variables in `env` name (e.g. DATABASE_URL is `database_url`)."""
    by_variable = {str(field.validation_alias): name for name, field in Settings.model_fields.items()}
    unknown = set(env) - set(by_variable)
    assert not unknown, f"not branchflow settings: {unknown}"
    return {by_variable[variable]: value for variable, value in env.items()}


@contextmanager
def _os_exit_raises() -> Iterator[None]:
    """`os._exit` raises `_Exited` while a command runs (nothing else in this process calls it)."""
    saved = os._exit
    os._exit = _exit_here
    try:
        yield
    finally:
        os._exit = saved
