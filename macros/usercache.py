"""Files kept between builds in the user's own cache directory, by a digest of what they are made from.

Two kinds live there: the open data files of a text (macros/export.py) and the share images of page titles
(hooks/citizen.py). A build reads back what it made before; `mkdocs serve` adds an entry at every save that changes
the data. Each folder keeps its most recently used entries only (`keep`): reading an entry marks it used, and
writing one removes the oldest beyond the limit.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def folder(name: str) -> Path:
    """`$XDG_CACHE_HOME/morioka-strategy/<name>` (default `~/.cache`)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "morioka-strategy" / name


def read(path: Path) -> bytes | None:
    """An entry's bytes (and the entry marked as just used), or None if there is none."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)
    return data


def write(path: Path, data: bytes, keep: int | None) -> None:
    """Store an entry (never half a file under its name), then leave only the `keep` most recently used entries
    of its folder (None: the caller prunes, once after many writes). A folder that cannot be written to is left
    alone: the next build makes the entry again."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the user's own (models are pickles)
        temp.write_bytes(data)
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):  # e.g. a full disk: no half-written file left behind
            temp.unlink()
        return
    if keep is not None:
        prune(path.parent, keep)


def prune(where: Path, keep: int) -> None:
    """Remove all but the `keep` most recently used entries of a folder (and temporary files of writers that are
    gone, once they are an hour old)."""
    entries: list[tuple[float, Path]] = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(where):
            with contextlib.suppress(OSError):
                entries.append((entry.stat().st_mtime, Path(entry.path)))
    entries.sort(reverse=True)
    newest = entries[0][0] if entries else 0.0
    kept = 0
    for mtime, path in entries:
        if path.name.startswith("."):
            if newest - mtime > 3600:
                with contextlib.suppress(OSError):
                    path.unlink()
            continue
        kept += 1
        if kept > keep:
            with contextlib.suppress(OSError):
                path.unlink()
