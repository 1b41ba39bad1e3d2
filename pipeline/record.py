"""The document record: one JSON object per article, carried from stage to stage.

Worked example (what the clean stage writes; later stages add one layer each)::

    {"id": "002_666ca9bd639e9b56-1",
     "text": "马斯克矛盾的AI观：一边呼吁暂停训练 一边成立X.AI入局\\n本报记者 曲忠芳 李正豪 北京报道\\n…",
     "meta": {"title": "马斯克矛盾的AI观：…", "author": "曲忠芳 李正豪", "place": "北京",
              "source_file": "002_666ca9bd639e9b56.txt", "encoding": "utf-8", …},
     "sentences": [[0, 29], [30, 47], …],
     "offsets": [[0, 2, 29], …],          # runs [clean_begin, raw_begin, length]
     "repairs": [{"action": "join", …}],
     "tok": [["马斯克", 0, 3], …],           # segment
     "ner": [["马斯克", "PER", 0, 3], …],     # ner (+ "entities" clusters)
     "stance": {…}, "summary": {…}}

Every span is a character offset into ``text``, end exclusive. Records are written as JSON
lines with ``ensure_ascii=False`` and sorted keys, so the same record gives the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

import orjson

_UMASK = os.umask(0)
os.umask(_UMASK)

LAYERS = ("text", "meta", "sentences", "tok", "ner", "entities", "stance", "summary")


def dumps_bytes(obj) -> bytes:
    """Canonical JSON as UTF-8: readable Chinese, sorted keys, no spaces. orjson, because
    shards are tens of megabytes and the stdlib's encoder and decoder dominated re-runs."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def dumps(obj) -> str:
    """:func:`dumps_bytes` as a string."""
    return dumps_bytes(obj).decode("utf-8")


def loads(line: bytes | str, where: str = "") -> dict:
    """One JSON value; a bad one raises ValueError naming ``where`` (file:line)."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"{where}: not a JSON object ({error.msg})") from None


def read_lines(path: str | os.PathLike) -> list[bytes]:
    """The non-blank lines of a JSON-lines file, as bytes (no decoding yet)."""
    return [line for line in Path(path).read_bytes().split(b"\n") if line.strip()]


def line_digest(line: bytes) -> str:
    """A record line's identity: equal digests mean byte-identical records."""
    return hashlib.blake2b(line, digest_size=16).hexdigest()


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


def read_jsonl(path: str | os.PathLike) -> Iterator[dict]:
    """Yield the records of a JSON-lines file, naming the file and line on bad input."""
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield loads(line, f"{path}:{number}")


def atomic_write_text(path: str | os.PathLike, text: str | bytes, durable: bool = True) -> None:
    """Write via a temporary file and rename, so a killed job never leaves a partial file.

    ``durable`` also syncs the bytes to disk before the rename, so a power cut cannot leave
    an empty artifact; report pages, rebuilt from the artifacts at will, skip it (thousands
    of syncs cost seconds)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644 & ~_UMASK)  # mkstemp creates 0600; artifacts are for reading
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(path: str | os.PathLike, records: Iterable[dict]) -> int:
    """Atomically write records as canonical JSON lines; returns the count."""
    lines = [dumps_bytes(record) for record in records]
    write_lines(path, lines)
    return len(lines)


def write_lines(path: str | os.PathLike, lines: list[bytes]) -> None:
    """Atomically write already-serialised JSON lines."""
    atomic_write_text(path, b"".join(line + b"\n" for line in lines))


def sentence_texts(record: dict) -> list[str]:
    """The sentences of a record as strings."""
    text = record["text"]
    return [text[begin:end] for begin, end in record.get("sentences", [])]
