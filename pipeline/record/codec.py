"""The document record and its codec: one JSON object per article, carried from stage to stage.

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
from pathlib import Path
from typing import Iterator

import orjson

LAYERS = ("text", "meta", "sentences", "tok", "ner", "entities", "stance", "summary")


def dumps_bytes(obj) -> bytes:
    """Canonical JSON as UTF-8: readable Chinese, sorted keys, no spaces. orjson, because
    shards are tens of megabytes and the stdlib's encoder and decoder dominated re-runs."""
    data = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    # U+2028/U+2029 are legal inside JSON strings, but str.splitlines() and many readers cut
    # lines there: write them escaped, so a record is always exactly one line for everyone.
    if b"\xe2\x80\xa8" in data or b"\xe2\x80\xa9" in data:
        data = data.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
    return data


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


def read_jsonl(path: str | os.PathLike) -> Iterator[dict]:
    """Yield the records of a JSON-lines file, naming the file and line on bad input."""
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield loads(line, f"{path}:{number}")


def sentence_texts(record: dict) -> list[str]:
    """The sentences of a record as strings."""
    text = record["text"]
    return [text[begin:end] for begin, end in record.get("sentences", [])]
