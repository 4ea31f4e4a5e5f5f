"""ふりがな: readings of the kanji in a text, computed with SudachiPy, with the site's own overrides.

Readings are the site's additions, never the document's: they are not written into the pages' HTML. The hook
`hooks/citizen.py` writes, per page, a JSON file that maps each text of the article (a DOM text node, exactly) to
the kanji words in it and their readings; `docs/javascripts/citizen.js` shows them as <ruby> only when the reader
turns ふりがな on. The overrides (`data/furigana.yaml`, a word -> reading list) take precedence over the
dictionary, for the proper nouns of the city (盛岡, 内丸, …). No MkDocs here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from .loader import DataError, Problem, load_file

FURIGANA_FILE = "data/furigana.yaml"

_KANJI = "\u3005\u3006\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff"
HAS_KANJI = re.compile(f"[{_KANJI}]")
_KANJI_RUN = re.compile(f"[{_KANJI}]+")
_KANA_ONLY = re.compile("^[\u3041-\u309f\u30a1-\u30ff\u30fc]+$")
# A run of text that SudachiPy reads as one piece: Japanese and alphanumerics.
_RUN = re.compile(f"[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3041-\u309f\u30a0-\u30ff{_KANJI}]+")

Segment = tuple[int, int, str]  # offset in the text, length, reading (hiragana) of text[offset:offset+length]


def hiragana(text: str) -> str:
    """Katakana to hiragana (ー and other characters are kept)."""
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


@functools.cache
def _morphemes() -> Callable[[str], list[tuple[str, str]]]:
    """SudachiPy split mode A (the units of the search index): (surface, reading in katakana) pairs."""
    from sudachipy import SplitMode

    from .sudachi import dictionary

    tok = dictionary().tokenizer(mode=SplitMode.A)
    return lambda text: [(m.surface(), m.reading_form()) for m in tok.tokenize(text)]


def align(surface: str, reading: str) -> list[tuple[int, int, str]] | None:
    """Split a word's reading over its kanji runs: 取り組み/とりくみ -> 取=と, 組=く. None if it does not fit."""
    parts = re.split(f"([{_KANJI}]+)", surface)
    pattern = "".join("(.+?)" if HAS_KANJI.match(p) else re.escape(hiragana(p)) for p in parts if p)
    match = re.fullmatch(pattern, reading)
    if match is None:
        return None
    out, offset, group = [], 0, 1
    for part in parts:
        if part and HAS_KANJI.match(part):
            out.append((offset, len(part), match.group(group)))
            group += 1
        offset += len(part)
    return out


@functools.lru_cache(maxsize=1 << 16)
def _sudachi_readings(text: str) -> tuple[Segment, ...]:
    """SudachiPy's readings of a text without overrides, from its start. Kept per text: every page repeats the
    same texts, and `mkdocs serve` rebuilds the whole site on every save."""
    out: list[Segment] = []
    offset = 0
    for surface, reading in _morphemes()(text):
        if HAS_KANJI.search(surface) and reading and _KANA_ONLY.match(reading):
            kana = hiragana(reading)
            aligned = align(surface, kana) or [(0, len(surface), kana)]
            out += [(offset + o, n, r) for o, n, r in aligned]
        offset += len(surface)
    return tuple(out)


class Reader:
    """Readings of texts: the overrides first (longest word first), SudachiPy for the rest."""

    def __init__(self, overrides: dict[str, str] | None = None) -> None:
        self.overrides = dict(overrides or {})
        words = sorted(self.overrides, key=len, reverse=True)
        self._override = re.compile("|".join(map(re.escape, words))) if words else None

    def segments(self, text: str) -> list[Segment]:
        """The kanji of a text with their readings, as (offset, length, reading), in order."""
        out: list[Segment] = []
        for run in _RUN.finditer(text):
            if HAS_KANJI.search(run[0]):
                out += self._run(run[0], run.start())
        return out

    def _run(self, run: str, base: int) -> list[Segment]:
        out: list[Segment] = []
        pos = 0
        pieces = list(self._override.finditer(run)) if self._override else []
        for match in [*pieces, None]:
            end = match.start() if match else len(run)
            if end > pos:
                out += self._sudachi(run[pos:end], base + pos)
            if match:
                out.append((base + match.start(), len(match[0]), self.overrides[match[0]]))
                pos = match.end()
        return out

    def _sudachi(self, text: str, base: int) -> list[Segment]:
        return [(base + o, n, r) for o, n, r in _sudachi_readings(text)]

    def ruby(self, text: str) -> str:
        """The text with readings in brackets, for tests and reviews: 盛岡(もりおか)市(し)."""
        out, pos = [], 0
        for offset, length, reading in self.segments(text):
            out.append(text[pos : offset + length] + f"({reading})")
            pos = offset + length
        return "".join(out) + text[pos:]

    def page(self, texts: Iterable[str]) -> dict[str, list[Segment]]:
        """The readings of a page's texts, by text (each distinct text once; texts without kanji left out)."""
        return {t: segs for t in dict.fromkeys(texts) if HAS_KANJI.search(t) and (segs := self.segments(t))}


def load_overrides(path: str | Path) -> dict[str, str]:
    """The override list: `word: reading` (hiragana or katakana), every problem at once with its line."""
    if not Path(path).exists():
        return {}
    loaded = load_file(path)
    problems = list(loaded.problems)
    data = loaded.data or {}
    out: dict[str, str] = {}
    if not isinstance(data, dict):
        problems.append(Problem(1, 1, "「語: よみ」の形の一覧にしてください。", loaded.path))
        data = {}
    for word, reading in data.items():
        line, column = loaded.locate((word,))
        if not isinstance(word, str) or not HAS_KANJI.search(word):
            problems.append(Problem(line, column, f"「{word}」には漢字がありません。", loaded.path))
        elif not isinstance(reading, str) or not _KANA_ONLY.match(reading):
            problems.append(
                Problem(
                    line,
                    column,
                    f"「{word}」のよみ「{reading}」は、ひらがなかカタカナだけで書いてください。",
                    loaded.path,
                )
            )
        else:
            out[word] = hiragana(reading)
    if problems:
        raise DataError(problems)
    return out
