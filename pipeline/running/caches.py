"""Caches that make re-runs cheap: compiled models and cut-down records.

**Compiled models.** A pickle cache for models compiled from their committed files.

Compiling a model for fast use (crfsuite weights into numpy tables, a word list into
prefix sets) takes seconds, and every workflow job that loads the model pays it. The
compiled object is pickled under :func:`pipeline.paths.cache_dir` keyed by the bytes of
every file it was built from (model files and the module that builds it), so a new model
or new code rebuilds it; an unreadable entry is simply rebuilt. Deleting the cache is safe.
Each kind keeps its ``KEEP_PER_KIND`` most recently used entries (a hit touches the file),
so new model and code versions do not pile up.

**Cut-down records** (:func:`read_reduced`): the few layers a whole-batch view needs.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Callable, Iterable, TypeVar

import orjson

from pipeline.paths import cache_dir
from pipeline.record.codec import line_digest, loads, read_lines
from pipeline.running.files import atomic_write_text

T = TypeVar("T")
KEEP_PER_KIND = 3  # a few versions side by side (branches, a test's model), not every one ever built


def cached(kind: str, sources: list[str | os.PathLike], build: Callable[[], T]) -> T:
    """``build()``, or its pickle from an earlier call with byte-identical ``sources``."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(Path(source).read_bytes())
    path = cache_dir("compiled") / f"{kind}-{digest.hexdigest()[:24]}.pkl"
    try:
        with open(path, "rb") as handle:
            loaded = pickle.load(handle)
        os.utime(path)  # recently used: kept when older versions are pruned
        return loaded
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    built = build()
    try:
        # atomic: a concurrent job sees the whole file or none
        atomic_write_text(path, pickle.dumps(built, protocol=pickle.HIGHEST_PROTOCOL), durable=False)
        _prune(path.parent, kind)
    except OSError:
        pass  # a read-only cache only costs the compile next time
    return built


def _prune(folder: Path, kind: str) -> None:
    """Delete all but the ``KEEP_PER_KIND`` most recently used entries of ``kind``. A job
    that loses an entry it was about to read just compiles it again."""
    entries = []
    for entry in folder.glob(f"{kind}-*.pkl"):
        if len(entry.name) != len(kind) + 1 + 24 + 4:  # another kind whose name starts the same
            continue
        try:
            entries.append((entry.stat().st_mtime, entry))
        except OSError:
            continue  # removed by a concurrent prune
    for _, stale in sorted(entries, reverse=True)[KEEP_PER_KIND:]:
        stale.unlink(missing_ok=True)


def read_reduced(paths: Iterable[str | os.PathLike], keep: tuple[str, ...], cache_file: Path | None = None) -> list[dict]:
    """The records of JSON-lines files cut down to the ``keep`` keys, in file order.

    Whole-batch views (entity index, report, audit) need a few small layers of every record,
    and parsing whole records (token lists) is what costs. The cut-down records are kept in
    ``cache_file`` under the digest of their line, so only lines not seen before are parsed.
    """
    try:
        stored = orjson.loads(Path(cache_file).read_bytes()) if cache_file else {}
        cache = stored["records"] if stored.get("keep") == list(keep) else {}
    except (OSError, orjson.JSONDecodeError, KeyError, AttributeError):
        cache = {}
    out, now = [], {}
    for path in paths:
        for number, line in enumerate(read_lines(path), 1):
            digest = line_digest(line)
            reduced = cache.get(digest)
            if reduced is None:
                record = loads(line, f"{path}:{number}")
                reduced = {key: record[key] for key in keep if key in record}
            now[digest] = reduced
            out.append(reduced)
    if cache_file:
        atomic_write_text(cache_file, orjson.dumps({"keep": list(keep), "records": now}), durable=False)
    return out
