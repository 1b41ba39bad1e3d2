"""The learned holder model: loading, continuation on a hand-made document, a tiny training
run that round-trips through its files, and mapping to the NER clusters' canonical names."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.components.stance import holders
from pipeline.components.stance.holders import HolderModel
from pipeline.paths import MODELS_DIR
from pipeline.train import stance_holders as training
from pipeline.train.holder_data import annotate_stages

MUSK = "马斯克表示，人工智能比核武器更危险。他还说，监管必须跟上。"


def sentence_spans(text: str) -> list[list[int]]:
    spans, start = [], 0
    for index, char in enumerate(text):
        if char in "。\n":
            if index + 1 > start and text[start:index].strip():
                spans.append([start, index + 1])
            start = index + 1
    return spans


def hand_record(text: str, people: dict[str, list[str]] = (), gold=None) -> dict:
    """A record with a hand-made NER layer: ``people`` maps a canonical name to its forms."""
    ner, entities = [], []
    for number, (name, forms) in enumerate(dict(people).items()):
        mentions = []
        for form in forms:
            at = text.find(form)
            while at >= 0:
                if not any(b <= at < e for b, e in mentions):
                    ner.append([form, "PER", at, at + len(form)])
                    mentions.append([at, at + len(form)])
                at = text.find(form, at + 1)
        entities.append({"id": f"E{number}", "name": name, "type": "PER", "mentions": sorted(mentions),
                         "aliases": sorted(f for f in forms if f != name)})
    record = {"id": "hand", "text": text, "sentences": sentence_spans(text), "ner": sorted(ner, key=lambda m: m[2]),
              "entities": entities, "script": "hans"}
    if gold is not None:
        record["gold"] = gold
    return record


@pytest.fixture(scope="module")
def model():
    return HolderModel.load()


def test_committed_model_loads_with_the_features_this_code_computes(model):
    assert (MODELS_DIR / "stance_holder" / "MODEL_CARD.md").exists()
    assert tuple(model.config["features"]) == holders.FEATURES
    assert model.config["learner"] in training.FITTERS


def test_speaker_and_pronoun_continuation(model):
    record = hand_record(MUSK, {"马斯克": ["马斯克"]})
    assert model.predict(record, [0, 1], ["concerned", "concerned"]) == ["马斯克", "马斯克"]


def test_speaker_through_the_real_segment_and_ner_stages(model):
    (record,) = annotate_stages([{"id": "d", "text": MUSK, "sentences": sentence_spans(MUSK)}])
    assert model.predict(record, [0, 1], ["concerned", "concerned"]) == ["马斯克", "马斯克"]


def test_no_name_gives_no_holder(model):
    text = "很多人担心人工智能将来会威胁人类。"
    assert model.predict(hand_record(text), [0], ["concerned"]) == [None]


def test_holders_map_to_the_canonical_entity_name():
    record = hand_record("埃隆·马斯克是特斯拉的老板。马斯克表示，人工智能比核武器更危险。",
                         {"埃隆·马斯克": ["埃隆·马斯克", "马斯克"]})
    assert HolderModel.canonical(record, ["马斯克", None]) == ["埃隆·马斯克", None]


def tiny_corpus() -> list[dict]:
    """Six documents: a speaker, a pronoun continuation, a narrator sentence."""
    names = ["张伟", "李娜", "王强", "赵敏", "刘洋", "陈静"]
    records = []
    for number, name in enumerate(names):
        text = f"{name}表示，人工智能可能失控。他认为必须加强监管。据统计，AI产品越来越多。"
        gold = [{"ai": True, "stance": "concerned", "holder": name, "cue": None},
                {"ai": True, "stance": "concerned", "holder": name, "cue": None},
                {"ai": True, "stance": "neutral", "holder": None, "cue": None}]
        record = hand_record(text, {name: [name]}, gold)
        record["id"] = f"tiny-{number}"
        records.append(record)
    return records


@pytest.mark.parametrize("learner, sentences", [("listwise_lr", 3), ("two_stage", 2)])
def test_tiny_training_run_learns_and_round_trips(tmp_path, learner, sentences):
    """The two-stage gate's trees need 20 rows a leaf, so on 15 sentences only its ranker learns."""
    corpus = tiny_corpus()
    kind, weights, vocabulary = training.fit(corpus[:5], learner, "gold", seed=0)
    training.write_model(tmp_path, kind, weights, "# tiny\n", {"learner": learner, "previous_in_training": "gold",
                                                                "seed": 0, "vocabulary": vocabulary})
    trained = HolderModel.load(tmp_path)
    held_out = corpus[5]
    predicted = trained.predict(held_out, [0, 1, 2], ["concerned", "concerned", "neutral"])
    assert predicted[:sentences] == ["陈静", "陈静", None][:sentences]


def test_tree_scorer_matches_scikit_learn():
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4))
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(int)
    clf = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(x, y)
    scorer = holders.make_scorer("trees", training.export_trees(clf))
    assert np.allclose(scorer(x), clf.decision_function(x))
