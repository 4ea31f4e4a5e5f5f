"""macros/modelcache.py: the validated model kept between builds, by the data file's bytes and the code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import macros
import macros.loader
import macros.model
from macros import modelcache
from macros.loader import DataError
from tests.conftest import DATA, ROOT, build_site


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
    first = modelcache.load(str(data), data.read_bytes())  # a miss: validated, then stored
    assert first == fresh
    [entry] = entries(tmp_path)
    no_validation(monkeypatch)
    kept = modelcache.load(str(data), data.read_bytes())
    assert kept == fresh and kept is not first
    assert kept.model_dump() == fresh.model_dump()
    assert entries(tmp_path) == [entry]


def test_a_changed_byte_misses(data: Path, tmp_path: Path):
    before = modelcache.load(str(data), data.read_bytes())
    text = data.read_text(encoding="utf-8")
    title = before.meta.title
    data.write_text(text.replace(f"title: {title}\n", f"title: {title[:-1]}Ｘ\n", 1), encoding="utf-8")
    after = modelcache.load(str(data), data.read_bytes())
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
    fresh = modelcache.load(str(data), data.read_bytes())
    [entry] = entries(tmp_path)
    good = entry.read_bytes()
    for damaged in (b"not a pickle", good[: len(good) // 2], b"\x80\x05N."):  # garbage, half a file, None
        entry.write_bytes(damaged)
        assert modelcache.load(str(data), data.read_bytes()) == fresh
        assert entry.read_bytes() == good  # stored again
    no_validation(monkeypatch)
    assert modelcache.load(str(data), data.read_bytes()) == fresh


def test_a_cache_that_cannot_be_written_does_not_fail(data: Path, tmp_path: Path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert modelcache.load(str(data), data.read_bytes()) == macros.model.load(str(data))
    assert modelcache.load(str(data), data.read_bytes()) == macros.model.load(str(data))


def test_bad_input_is_never_stored_and_gets_todays_errors(data: Path, tmp_path: Path):
    text = data.read_text(encoding="utf-8")
    data.write_text(text.replace("title:", "title: [", 1), encoding="utf-8")
    with pytest.raises(DataError) as expected:
        macros.model.load(str(data))
    for _ in range(2):
        with pytest.raises(DataError) as got:
            modelcache.load(str(data), data.read_bytes())
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


def test_the_model_is_kept_under_the_bytes_it_was_validated_from(data: Path, tmp_path: Path):
    """The caller reads the file once; a file saved again meanwhile (and put back) can never leave the model of
    other bytes under these bytes' key: what is validated is what is hashed."""
    first = data.read_bytes()
    text = first.decode("utf-8")
    title = macros.model.load(str(data)).meta.title
    data.write_text(text.replace(f"title: {title}\n", "title: 保存途中の題名\n", 1), encoding="utf-8")
    kept = modelcache.load(str(data), first)  # the file on disk is other text now
    assert kept.meta.title == title
    data.write_bytes(first)
    assert modelcache.load(str(data), data.read_bytes()).meta.title == title


def test_the_open_data_key_is_the_running_codes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The open data's cache key uses the digest of the code this process runs (taken once), not the files on disk
    now: `mkdocs serve` keeps the modules it imported when a developer edits one."""
    from macros import export

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(export, "_last", [])
    strategy = macros.model.load(str(DATA))
    export.render(strategy, data_digest="c" * 64)
    [entry] = (tmp_path / "cache" / "morioka-strategy" / "export").iterdir()
    package = tmp_path / "macros"
    shutil.copytree(ROOT / "macros", package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "export.py").write_text("# edited on disk\n", encoding="utf-8")
    monkeypatch.setattr(modelcache, "PACKAGE", package)  # the files on disk change; the digest was taken
    export._last.clear()
    export.render(strategy, data_digest="c" * 64)
    assert [p.name for p in (tmp_path / "cache" / "morioka-strategy" / "export").iterdir()] == [entry.name]
