"""The validated model kept between builds in the user's cache (`~/.cache/morioka-strategy/models/`).

Reading and validating data/strategy.yaml is the same work whenever the file's bytes and the code that reads
them are the same: 0.03 s for today's text, about 6 s for the 100× benchmark data. A build whose file validated
without problems stores the model (pickled) under a digest of the file's bytes and of that code (every module of
this package, pydantic, PyYAML, Python); the next build with the same bytes reads it back. A file with problems
is never stored, so bad input always goes through the loader and gets its Japanese messages with lines and
columns. The loader emits nothing for a valid file but the model (no warnings), so a hit loses nothing.

The cache is the user's own folder, as trusted as the code (pickle); an entry that is absent, unreadable,
partial or of another version is made again, and a folder that cannot be written leaves the build as it was.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import pickle
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from . import usercache

if TYPE_CHECKING:
    from .model import Strategy

KEEP = 8  # models kept (one per data version: the real data is ~100 kB pickled, the 100× benchmark's ~6 MB)
PACKAGE = Path(__file__).parent


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of the code that turns a data file into a model: this package (the loader, the model package,
    the migrations and everything they import from here), pydantic, PyYAML and Python."""
    import pydantic  # its version pins pydantic-core's exactly
    import yaml

    from .migrations import MODEL_VERSION

    digest = hashlib.sha256(
        f"{sys.version}\0{pydantic.VERSION}\0{yaml.__version__}\0{MODEL_VERSION}".encode()
    )
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def entry(data_digest: str) -> Path:
    """Where the model of a data file with this SHA-256 is kept."""
    key = hashlib.sha256(f"{data_digest}\0{code_digest()}".encode()).hexdigest()
    return usercache.folder("models") / f"{key}.pickle"


def load(path: str, raw: bytes) -> Strategy:
    """The validated model of the data file at `path` whose bytes are `raw` (read once by the caller: the model
    validated and the key it is kept under come from the same bytes, whatever happens to the file meanwhile):
    read back from the cache, or validated (raising the loader's DataError) and then stored."""
    from .model import Strategy  # imported late: macros/editions.py imports this module
    from .model import load as validate

    kept = entry(hashlib.sha256(raw).hexdigest())
    stored = usercache.read(kept)
    strategy = None
    if stored is not None:
        with contextlib.suppress(Exception):  # partial, corrupt or from other code: made again below
            strategy = pickle.loads(stored)
        if isinstance(strategy, Strategy):
            return strategy
    strategy = validate(path, raw)
    usercache.write(kept, pickle.dumps(strategy, protocol=pickle.HIGHEST_PROTOCOL), keep=KEEP)
    return strategy
