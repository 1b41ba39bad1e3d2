"""Files the jobs write: atomically (a temporary file and a rename), so a killed job never
leaves a partial artifact, and readable by everyone (mkstemp's 0600 is undone)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable

from pipeline.record.codec import dumps_bytes

_UMASK = os.umask(0)
os.umask(_UMASK)


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


def remove_stale_temporaries(folder: Path, names: list[str]) -> None:
    """Delete the temporary files a killed job left behind for these output names (only its
    own: jobs of other shards write into the same folder at the same time)."""
    for name in names:
        for stale in Path(folder).glob(f".{name}.*.tmp"):
            stale.unlink(missing_ok=True)


def write_jsonl(path: str | os.PathLike, records: Iterable[dict]) -> int:
    """Atomically write records as canonical JSON lines; returns the count."""
    lines = [dumps_bytes(record) for record in records]
    write_lines(path, lines)
    return len(lines)


def write_lines(path: str | os.PathLike, lines: list[bytes]) -> None:
    """Atomically write already-serialised JSON lines."""
    atomic_write_text(path, b"".join(line + b"\n" for line in lines))
