"""macros/modelcache.py: the validated model kept between builds, by the data file's bytes and the code."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

import macros
import macros.loader
import macros.model
from macros import modelcache
from macros.loader import DataError
from tests.conftest import DATA, ROOT, build_site


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the real data file, and an empty user cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    copy = tmp_path / "strategy.yaml"
    shutil.copyfile(DATA, copy)
    return copy


def entries(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "cache" / "morioka-strategy" / "models"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def no_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any validation fail loudly: what is loaded after this came from the cache."""

    def refuse(*args: object) -> None:
        raise AssertionError("validated again instead of read from the cache")

    monkeypatch.setattr(macros.model, "load", refuse)


def test_a_hit_gives_the_model_a_fresh_validation_gives(data: Path, tmp_path: Path, monkeypatch):
    fresh = macros.model.load(str(data))
    first = modelcache.load(str(data), digest(data))  # a miss: validated, then stored
    assert first == fresh
    [entry] = entries(tmp_path)
    no_validation(monkeypatch)
    kept = modelcache.load(str(data), digest(data))
    assert kept == fresh and kept is not first
    assert kept.model_dump() == fresh.model_dump()
    assert entries(tmp_path) == [entry]


def test_a_changed_byte_misses(data: Path, tmp_path: Path):
    before = modelcache.load(str(data), digest(data))
    text = data.read_text(encoding="utf-8")
    title = before.meta.title
    data.write_text(text.replace(f"title: {title}\n", f"title: {title[:-1]}Ｘ\n", 1), encoding="utf-8")
    after = modelcache.load(str(data), digest(data))
    assert after.meta.title == title[:-1] + "Ｘ"
    assert after == macros.model.load(str(data))
    assert len(entries(tmp_path)) == 2


def test_a_change_to_the_model_code_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The key covers the model package (macros/model/), not only macros/*.py."""
    package = tmp_path / "macros"
    shutil.copytree(ROOT / "macros", package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(modelcache, "PACKAGE", package)
    modelcache.code_digest.cache_clear()
    try:
        before = modelcache.code_digest()
        schema = package / "model" / "schema.py"
        schema.write_text(schema.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
        modelcache.code_digest.cache_clear()
        assert modelcache.code_digest() != before
    finally:
        modelcache.code_digest.cache_clear()


def test_a_corrupt_entry_is_made_again(data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fresh = modelcache.load(str(data), digest(data))
    [entry] = entries(tmp_path)
    good = entry.read_bytes()
    for damaged in (b"not a pickle", good[: len(good) // 2], b"\x80\x05N."):  # garbage, half a file, None
        entry.write_bytes(damaged)
        assert modelcache.load(str(data), digest(data)) == fresh
        assert entry.read_bytes() == good  # stored again
    no_validation(monkeypatch)
    assert modelcache.load(str(data), digest(data)) == fresh


def test_a_cache_that_cannot_be_written_does_not_fail(data: Path, tmp_path: Path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert modelcache.load(str(data), digest(data)) == macros.model.load(str(data))
    assert modelcache.load(str(data), digest(data)) == macros.model.load(str(data))


def test_bad_input_is_never_stored_and_gets_todays_errors(data: Path, tmp_path: Path):
    text = data.read_text(encoding="utf-8")
    data.write_text(text.replace("title:", "title: [", 1), encoding="utf-8")
    with pytest.raises(DataError) as expected:
        macros.model.load(str(data))
    for _ in range(2):
        with pytest.raises(DataError) as got:
            modelcache.load(str(data), digest(data))
        assert [str(p) for p in got.value.problems] == [str(p) for p in expected.value.problems]
        assert str(got.value.problems[0]).startswith(f"{data}:")
    assert entries(tmp_path) == []


def test_a_second_build_reads_the_model_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Two builds of the same data: the first parses the YAML once, the second not at all, same pages."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    calls: list[str] = []
    real = macros.loader.load_text
    monkeypatch.setattr(
        macros.loader, "load_text", lambda text, path="": calls.append(path) or real(text, path)
    )
    macros.load_strategy.cache_clear()
    first = build_site(ROOT, tmp_path / "first")
    assert calls.count("data/strategy.yaml") == 1
    macros.load_strategy.cache_clear()  # a new build process: only the user cache is left
    calls.clear()
    second = build_site(ROOT, tmp_path / "second")
    assert "data/strategy.yaml" not in calls
    for page in ("index.html", "guidelines/index.html", "data/strategy.json"):
        assert (first / page).read_bytes() == (second / page).read_bytes()
