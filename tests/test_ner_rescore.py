"""The page-level NER rescorer: page lexicon statistics (leave one out), candidates, decoding,
gloss pairing, a tiny training run and the JSON round trip; hand-made pages, no shared data."""

import json
from types import SimpleNamespace

import numpy as np

from pipeline.components import ner
from pipeline.components import ner_rescore as rescore
from pipeline.train import ner_rescore as train


def _page(text, **entities):
    return {"id": text[:4], "text": text, "entities": {t: entities.get(t, []) for t in rescore.TYPES}}


PAGES = [
    _page("馬斯克在上海说话。", PER=["馬斯克"], LOC=["上海"]),
    _page("马斯克和中国。", PER=["马斯克"]),
    _page("中国的Acme公司。", ORG=["Acme"]),
]


def test_page_lexicon_counts_pages_in_the_simplified_copy_and_leaves_one_out():
    lexicon = rescore.PageLexicon.build(PAGES)
    assert lexicon.occurs["马斯克"] == 2          # the traditional page matches the simplified key
    assert lexicon.listed["PER"]["马斯克"] == 2
    assert lexicon.occurs["acme"] == 1 and lexicon.listed["ORG"]["acme"] == 1   # lower-cased keys
    assert "中国" not in lexicon.keys            # occurs, but no page lists it
    held_out = lexicon.without(PAGES[0])
    assert held_out.occurs["马斯克"] == 1 and held_out.listed["PER"]["马斯克"] == 1
    assert held_out.occurs["上海"] == 0 and held_out.listed["LOC"]["上海"] == 0
    again = rescore.PageLexicon.from_json(json.loads(json.dumps(lexicon.to_json())))
    assert again.occurs == lexicon.occurs and again.listed == lexicon.listed


def test_candidates_latin_runs_glosses_and_lexicon_forms_with_original_offsets():
    lexicon = rescore.PageLexicon.build(PAGES)
    text = "英國外相柯維立(James Cleverly)與馬斯克見面,OpenAIs不算。"
    cands = rescore.candidates(text, [("LOC", 0, 2)], lexicon)
    assert cands[(0, 2)]["stage"] == "LOC"
    assert cands[(8, 22)]["latin"]                               # James Cleverly as one run
    assert {(b, e) for (b, e), c in cands.items() if c.get("gloss")} == {(5, 7), (4, 7), (3, 7), (2, 7)}
    assert cands[(24, 27)]["lexicon"] and text[24:27] == "馬斯克"   # offsets into the original
    assert not any(text[b:e] == "Acme" for b, e in cands)


def test_page_lexicon_forms_do_not_cut_latin_words():
    copy = rescore.match_copy("acmex和acme")
    keys = {"acme"}
    prefixes = {"a", "ac", "acm", "acme"}
    assert rescore.find_forms(copy, prefixes, keys) == [(6, 10, "acme")]


def test_decode_threshold_overlaps_and_protected_spans():
    cands = [(0, 2), (0, 4), (5, 7)]
    probs = np.array([[0.1, 0.9, 0.0, 0.0],     # (0,2) PER, sure
                      [0.3, 0.0, 0.7, 0.0],     # (0,4) ORG, less sure but longer
                      [0.6, 0.0, 0.0, 0.4]])    # (5,7) O wins
    assert rescore.decode(cands, probs) == [("PER", 0, 2)]
    assert rescore.decode(cands, probs, longer_first=True) == [("ORG", 0, 4)]
    assert rescore.decode(cands, probs, threshold=0.3) == [("PER", 0, 2), ("LOC", 5, 7)]
    assert rescore.decode(cands, probs, protected={(5, 7): "LOC"}) == [("PER", 0, 2), ("LOC", 5, 7)]


def test_pair_glosses_gives_the_han_transliteration_the_latin_names_type():
    plain = "外相柯维立(James Cleverly)说"
    cands = {(2, 5): {"gloss": True}, (3, 5): {"gloss": True}, (6, 20): {"latin": True}}
    probs = np.array([[0.6, 0.3, 0.1, 0.0], [0.5, 0.2, 0.3, 0.0], [0.1, 0.9, 0.0, 0.0]])
    assert rescore.pair_glosses([("PER", 6, 20)], cands, probs, plain) == [("PER", 2, 5), ("PER", 6, 20)]
    # a mention already ending at the parenthesis keeps its place
    assert rescore.pair_glosses([("ORG", 3, 5), ("PER", 6, 20)], cands, probs, plain) == \
        [("ORG", 3, 5), ("PER", 6, 20)]


def test_protected_spans_keep_unseen_forms_and_single_characters():
    lexicon = rescore.PageLexicon.build(PAGES)
    text = "中美和马斯克"
    cands = {(0, 1): {"stage": "LOC"}, (3, 6): {"stage": "PER"}, (1, 2): {"stage": None}}
    assert rescore.protected_spans(text, cands, lexicon, 0) == {}
    assert rescore.protected_spans(text, cands, lexicon, 0, keep_single=True) == {(0, 1): "LOC"}
    assert rescore.protected_spans(text, cands, lexicon, 3) == {(0, 1): "LOC", (3, 6): "PER"}


def test_label_is_the_listed_type_equal_or_overlapping():
    page = _page("杰弗里·辛顿说,辛顿走了。", PER=["杰弗里·辛顿", "辛顿"])
    assert train.label(page["text"], page["entities"], 0, 6) == "PER"
    assert train.label(page["text"], page["entities"], 1, 6) == "PER"   # 5 of 6 characters
    assert train.label(page["text"], page["entities"], 7, 8) == "O"


def test_tiny_training_learns_the_page_lists_and_survives_the_json_round_trip(tmp_path):
    model = SimpleNamespace(lexicon=ner.Lexicon({}), gazetteer={})
    pages = [_page(f"第{i}天Zeta Corp宣布,Omega也说了。", ORG=["Zeta Corp"]) for i in range(6)]
    lexicon, rows, labels = train.training_rows(pages, [train.StageOutput([], []) for _ in pages], model)
    assert labels.count("ORG") == 6 and "O" in labels          # Omega is never listed
    names, weights = train.fit(rows, labels, c=1.0)
    spec = {"features": names, "weights": weights.tolist(), "page_lexicon": lexicon.to_json(), "threshold": 0.5,
            "params": dict(train.SHIPPED, uncertain_below=0.0)}
    path = tmp_path / "rescore.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    rescorer = rescore.Rescorer.read(path)
    out = rescorer.apply("新的一天Zeta Corp和Omega。", [], model.lexicon, {})
    assert out == [("ORG", 4, 13)]


def test_shipped_model_has_a_rescorer_off_by_default_and_the_switch_turns_it_on():
    assert ner.load({}).rescorer is None             # measured lower than the CRF alone on pages
    assert ner.load({"rescore": True}).rescorer is not None


def test_statistical_spans_reports_unsure_runs_by_the_o_marginal():
    model = ner.load({"rescore": False})
    text = " 张明在北京工作 "
    runs: list = []
    ner.statistical_spans(text, [(0, len(text))], model, runs, uncertain_below=1.01)   # every P(O) < 1.01
    assert runs == [(1, 8)]                                                           # trimmed
    runs = []
    ner.statistical_spans(text, [(0, len(text))], model, runs, uncertain_below=0.0)
    assert runs == []


def test_sparse_scores_are_the_softmax_of_the_weighted_features():
    weights = np.array([[0.0, 1.0, 0.0, 0.0],    # bias
                        [0.5, 0.0, 2.0, 0.0]])   # a
    scorer = rescore.Rescorer({"bias": 0, "a": 1}, weights, None, 0.5)
    probs = scorer.probabilities([{"bias": 1.0, "a": 2.0}, {"unknown": 1.0}])
    z = np.array([[1.0, 1.0, 4.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert np.allclose(probs, expected)


def test_statistical_spans_writes_the_o_marginal_of_each_tagged_character():
    model = ner.load({"rescore": False})
    text = "他说张明在北京工作。"
    outside = [1.0] * (len(text) + 3)
    ner.statistical_spans(text + "   ", [(0, len(text))], model, outside=outside)
    assert all(0.0 <= p <= 1.0 for p in outside)
    assert outside[-3:] == [1.0, 1.0, 1.0]               # outside every sentence: untouched
    assert max(outside[2:4]) < 0.5 < min(outside[0:2])    # 张明 is a name, 他说 is not


def test_confidence_features_bin_the_o_marginal_inside_and_at_the_edges():
    text = "甲乙丙丁"
    cands = {(1, 3): {"stage": "PER", "latin": False, "lexicon": False, "word": False}}
    outside = [0.99, 0.01, 0.5, 0.9]
    row = rescore.features(text, text, cands, rescore.PageLexicon.build([]), {}, {}, outside)[0]
    assert row["po_in=0"] == 1.0                           # min P(O) inside 0.01
    assert row["po_edges=43"] == 1.0                       # left 0.99, right 0.9
    assert row["stage=PER&po_in=0"] == 1.0
    plain = rescore.features(text, text, cands, rescore.PageLexicon.build([]), {}, {})[0]
    assert not any(name.startswith("po_") for name in plain)
