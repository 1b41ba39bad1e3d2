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

import json
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

_UMASK = os.umask(0)
os.umask(_UMASK)

LAYERS = ("text", "meta", "sentences", "tok", "ner", "entities", "stance", "summary")


def dumps(obj) -> str:
    """Canonical JSON: readable Chinese, sorted keys, no trailing spaces."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def read_jsonl(path: str | os.PathLike) -> Iterator[dict]:
    """Yield the records of a JSON-lines file, naming the file and line on bad input."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: not a JSON object ({error.msg})") from None


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write via a temporary file and rename, so a killed job never leaves a partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644 & ~_UMASK)  # mkstemp creates 0600; artifacts are for reading
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(path: str | os.PathLike, records: Iterable[dict]) -> int:
    """Atomically write records as canonical JSON lines; returns the count."""
    lines = [dumps(record) for record in records]
    atomic_write_text(path, "".join(line + "\n" for line in lines))
    return len(lines)


def sentence_texts(record: dict) -> list[str]:
    """The sentences of a record as strings."""
    text = record["text"]
    return [text[begin:end] for begin, end in record.get("sentences", [])]
