"""macros/usercache.py: entries in the user's cache directory, the most recently used kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from macros import usercache


def test_only_the_most_recently_used_entries_stay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = usercache.folder("test")
    assert folder == tmp_path / "morioka-strategy" / "test"
    for i in range(5):
        usercache.write(folder / f"{i}.bin", bytes([i]), keep=None)  # no pruning yet
        os.utime(folder / f"{i}.bin", (1000 + i, 1000 + i))
    assert len(list(folder.iterdir())) == 5
    assert usercache.read(folder / "0.bin") == b"\x00"  # the oldest, used again: now the newest
    assert usercache.read(folder / "missing.bin") is None
    stale = folder / ".9.bin.123.tmp"  # a writer that died long ago
    stale.write_bytes(b"half")
    os.utime(stale, (0, 0))
    usercache.write(folder / "5.bin", b"\x05", keep=3)
    assert sorted(p.name for p in folder.iterdir()) == ["0.bin", "4.bin", "5.bin"]


def test_a_folder_that_cannot_be_written_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    path = usercache.folder("test") / "a.bin"
    usercache.write(path, b"a", keep=1)  # no error: the next build makes the entry again
    assert usercache.read(path) is None


def test_a_failed_write_leaves_no_file_and_folders_are_the_users(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = usercache.folder("test")
    usercache.write(folder / "a.bin", b"a", keep=3)
    assert folder.stat().st_mode & 0o777 == 0o700  # other users can neither write nor read entries

    def full(path: Path, data: bytes) -> None:  # a disk that fills up halfway through the write
        with path.open("wb") as out:
            out.write(data[:1])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    usercache.write(folder / "b.bin", b"bb", keep=3)
    assert sorted(p.name for p in folder.iterdir()) == ["a.bin"]
