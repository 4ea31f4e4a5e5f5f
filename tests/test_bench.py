"""The benchmark's synthetic data generator: 2× the real document validates through the model (no timing)."""

from __future__ import annotations

import yaml

from bench.synth import scale
from macros.loader import load_file, load_text
from macros.model import parse
from macros.pages import all_pages
from tests.conftest import DATA


def test_twice_the_document_validates_with_unique_ids():
    real = parse(load_file(DATA))
    data = scale(load_file(DATA).data, 2)
    doubled = parse(load_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False)))
    assert len(doubled.ids) > 1.8 * len(real.ids)
    assert len(doubled.remarks) == 2 * len(real.remarks)
    assert [r.number for r in doubled.remarks] == list(range(1, len(doubled.remarks) + 1))
    assert len(list(all_pages(doubled))) == 2 * len(list(all_pages(real)))
