"""The import's and the demo's progress on the terminal: rows done of all, rows/s and the time left."""

from __future__ import annotations

import io
import re
import time

from rich.console import Console

from branchflow.api.cli import progress_bar


def test_the_progress_bar_shows_rows_their_rate_and_the_time_left() -> None:
    terminal = Console(file=io.StringIO(), record=True, width=120, force_terminal=True)
    with progress_bar("importing", terminal) as show:
        for done in range(0, 1001, 100):
            show(done, 1000)
            time.sleep(0.05)  # 2,000 rows/s: 500 rows left take about a quarter of a second
    drawn = terminal.export_text()
    # Rich redraws on its own clock (10 a second), so which midway counts are drawn depends on the machine's
    # load: any of them shows rows done of all, the rate and the time left.
    assert re.search(r"importing \S+ +[1-9]00/1000 [\d,]+ rows/s 0:00:0[01]", drawn), drawn
    assert re.search(r"1000/1000 [\d,]+ rows/s 0:00:00", drawn), drawn


def test_off_a_terminal_only_the_last_state_is_written() -> None:
    log = io.StringIO()
    with progress_bar("demo", Console(file=log, width=120)) as show:
        for done in range(0, 401, 100):
            show(done, 400)
    assert re.fullmatch(r"demo \S+ 400/400 [\d,-]+ rows/s 0:00:00\n", log.getvalue()), log.getvalue()
