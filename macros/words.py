"""Where the text of a table cell may break: between words, never inside one.

WeasyPrint (the council PDF) has no `word-break: keep-all`, and Japanese text breaks between any two characters,
so a narrow column printed 「市民・企業ヒアリ／ング」 and 「デ／ジ田」. `words()` cuts a cell's text into runs that a
line may not break (each printed as `<span class="sd-word">`, `white-space: nowrap` in strategy.css and
print.css); a line breaks only between runs:

- the source's own separators first: spaces, 「、」「。」「・」「/」 and closing brackets end a run, an opening
  bracket starts one;
- a piece between separators of up to SHORT characters, punctuation not counted (a label: 「企業ヒアリング」;
  「第1期アクションプラン」 is longer), is one run;
- a longer piece (a phrase of prose) is cut into words with SudachiPy (mode C, the longest units), each content
  word carrying its particles, auxiliaries, suffixes and closing punctuation (「交付金へ」, 「デジ田」, 「みられた」),
  and a number or Latin word with its neighbours in one token (「2019~2028」, 「第1期」, 「3点」).

The text is never changed: the runs joined are the text.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

SHORT = 8
_ATOMIC = re.compile(r"[0-9A-Za-z]+(?:[~〜.,:\-][0-9A-Za-z]+)*")
_DIGITS = re.compile(r"[0-9]+")
OPENING = set("(（「『【［[〔〈《“‘")
CLOSING = set(")）」』】］]〕〉》”’")
_SEPARATOR = set("、。・/／,，") | CLOSING
_PUNCTUATION = OPENING | _SEPARATOR
_PARTICLE = re.compile(r"[ぁ-ん]{1,2}")
_ATTACHED = {"助詞", "助動詞", "接尾辞"}


@cache
def _tokenizer() -> Any:
    from sudachipy import SplitMode

    from .sudachi import dictionary

    return dictionary().tokenizer(mode=SplitMode.C)


def _tokens(text: str) -> list[tuple[str, str]]:
    """(surface, kind) in order: kind is open, close, space, attached, prefix or word."""
    atomic = [m.span() for m in _ATOMIC.finditer(text)]
    out: list[tuple[str, str]] = []
    for morpheme in _tokenizer().tokenize(text):
        surface, pos = morpheme.surface(), morpheme.part_of_speech()
        begin = morpheme.begin()
        if any(a < begin < b for a, b in atomic) and out:  # inside a number or Latin word: one token
            out[-1] = (out[-1][0] + surface, out[-1][1])
            continue
        if pos[0] == "空白" or surface.isspace():
            kind = "space"
        elif pos[0] == "補助記号":
            kind = "open" if surface in OPENING else "close"
        elif pos[0] in _ATTACHED or (pos[0] == "動詞" and pos[1] == "非自立可能" and out):
            kind = "attached"  # particles, auxiliaries, suffixes, する・いる after their word
        elif out and _DIGITS.fullmatch(out[-1][0]) and len(surface) == 1:
            kind = "attached"  # a counter after a number: 3点, 10月
        elif pos[0] == "接頭辞" or (pos[0] == "名詞" and len(surface) == 1 and not surface.isdigit()):
            kind = "prefix"  # prefixes, and one-character nouns, stay with the next word: 見守り, 他自治体
        else:
            kind = "word"
        out.append((surface, kind))
    return out


LONGEST = 2000  # characters of a piece given to SudachiPy (it refuses input over 49 149 bytes)


def _phrase_runs(piece: str) -> list[str]:
    if len(piece) > LONGEST:
        return list(piece)  # breaks anywhere, as without runs
    runs: list[str] = []
    joined = True  # the next token joins the last run (at the start: there is none)
    for surface, kind in _tokens(piece):
        if runs and (joined or kind in ("close", "attached", "space")):
            runs[-1] += surface
        else:
            runs.append(surface)
        joined = kind in ("open", "prefix")
    return runs if "".join(runs) == piece else list(piece)


def _pieces(text: str) -> list[str]:
    """The text cut after each separator and space, and before each opening bracket."""
    out, current = [], ""
    for i, ch in enumerate(text):
        if ch in OPENING and current and not (current[-1] in OPENING):
            out.append(current)
            current = ""
        current += ch
        after = text[i + 1] if i + 1 < len(text) else ""
        if (ch in _SEPARATOR or ch.isspace()) and after and not after.isspace() and after not in _SEPARATOR:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return out


def words(text: str) -> list[str]:
    """The runs of `text` that a line may not break, in order; "".join(words(text)) == text."""
    runs: list[str] = []
    for piece in _pieces(text):
        core = [c for c in piece if not c.isspace() and c not in _PUNCTUATION]
        if len(core) <= SHORT:
            runs.append(piece)
        else:
            phrase = _phrase_runs(piece)
            if runs and runs[-1][-1:] in CLOSING and _PARTICLE.fullmatch(phrase[0]):
                runs[-1] += phrase.pop(0)  # 「予算措置」の: a particle stays with the bracket it follows
            runs.extend(phrase)
    return runs
