"""The embedded default's data folders are for their owner alone: 0700 folders, 0600 files.

Members' names and birth dates are in Temporal's SQLite file and PostgreSQL's cluster, the password and the
actor key beside them: no other local user may read any of it.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, text: str) -> None:
    """Writes `text` to `path`, readable by its owner only (also when the file existed with wider modes)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def make_private(folder: Path) -> None:
    """`folder` and everything in it for its owner only: folders made before this rule were 0755, files 0644."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            (Path(root) / name).chmod(0o700)
        for name in files:
            path = Path(root) / name
            if not path.is_symlink():
                path.chmod(0o600)
