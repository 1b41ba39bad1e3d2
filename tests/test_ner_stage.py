"""The NER stage's parts on hand-made data: decoding, features, gazetteer, precedence, clusters.

A tiny CRF is trained here in well under a second, so the end-to-end test needs no model files.
"""

import copy

import pycrfsuite
import pytest

from pipeline.views import corpus
from pipeline.components import annotate_with
from pipeline.components import ner
from pipeline.paths import CONFIG_DIR


@pytest.fixture(scope="module")
def ruler():
    return ner.build_ruler(CONFIG_DIR / "gazetteer.yaml")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, ruler):
    """A CRF trained on a few sentences: enough to tag 张明 and 北京 in similar contexts."""
    lexicon = ner.Lexicon({"北京": {"LOC"}, "上海": {"LOC"}, "张": {"SUR"}, "李": {"SUR"}})
    sentences = [
        ("张明在北京工作。", "B-PER E-PER O B-LOC E-LOC O O O".split()),
        ("李华在上海工作。", "B-PER E-PER O B-LOC E-LOC O O O".split()),
        ("他们说了很多话。", ["O"] * 8),
    ] * 5
    trainer = pycrfsuite.Trainer(verbose=False)
    for text, tags in sentences:
        trainer.append(ner.sentence_features(text, lexicon), tags)
    trainer.set_params({"max_iterations": 50})
    path = tmp_path_factory.mktemp("crf") / "crf.model"
    trainer.train(str(path))
    tagger = pycrfsuite.Tagger()
    tagger.open(str(path))
    nlp, table = ruler
    return ner.NerModel(tagger, lexicon, nlp, table)


@pytest.mark.parametrize("tags, spans", [
    ("B-PER E-PER O S-LOC".split(), [("PER", 0, 2), ("LOC", 3, 4)]),
    ("B-ORG M-ORG M-ORG E-ORG".split(), [("ORG", 0, 4)]),
    ("O M-LOC E-LOC O".split(), [("LOC", 1, 3)]),            # lenient: stray M opens a span
    ("B-PER E-LOC".split(), [("PER", 0, 1), ("LOC", 1, 2)]),   # type change closes the span
    ("B-PER M-PER".split(), [("PER", 0, 2)]),                  # unterminated at sentence end
    ([], []),
])
def test_ner_bmes_spans(tags, spans):
    assert ner.bmes_spans(tags) == spans


def test_ner_lexicon_features_mark_matches_and_suffixes():
    lexicon = ner.Lexicon({"北京大学": {"ORG"}, "北京": {"LOC"}, "王": {"SUR"}})
    feats = lexicon.match_features("王在北京大学")
    assert feats[0] == {"SUR"}
    assert {"LLOCB", "LORGB"} <= feats[2]
    assert "LORGM" in feats[3] and "LLOCE" in feats[3]
    assert {"LORGE", "XORG"} <= feats[5]   # 大学 is an organisation ending


def test_ner_lexicon_roundtrip(tmp_path):
    lexicon = ner.Lexicon({"北京": {"LOC", "ORG"}, "欧阳": {"SUR"}})
    lexicon.write(tmp_path / "lexicon.tsv")
    again = ner.Lexicon.read(tmp_path / "lexicon.tsv")
    assert again.words == lexicon.words and again.surnames == {"欧阳"}
    ner.Lexicon({}).write(tmp_path / "empty.tsv")
    assert ner.Lexicon.read(tmp_path / "empty.tsv").words == {}


def test_ner_features_one_list_per_character():
    feats = ner.sentence_features("X.ai成立", ner.Lexicon({}))
    assert len(feats) == 6
    assert "c=X" in feats[0] and "c-1=^" in feats[0] and "c+2=$" in feats[5]


@pytest.mark.parametrize("text, expected", [
    ("OpenAI与微软合作", [("ORG", 0, 6), ("ORG", 7, 9)]),
    ("马斯克成立了X.AI", [("PER", 0, 3), ("ORG", 6, 10)]),
    ("ＸＡＩ和Character.ai", [("ORG", 0, 3), ("ORG", 4, 16)]),   # alias xAI; generic X.ai pattern
    ("亚马逊云科技发布Bedrock", [("ORG", 0, 6), ("PRODUCT", 8, 15)]),   # longest match wins
    ("OpenAIX不是公司", []),                                   # never inside a Latin word
])
def test_ner_gazetteer_spans(tiny_model, text, expected):
    assert ner.gazetteer_spans(text, tiny_model) == expected


def test_ner_gazetteer_is_width_and_case_insensitive(tiny_model):
    assert ner.gazetteer_spans("ＯｐｅｎＡＩ发布", tiny_model) == [("ORG", 0, 6)]
    assert ner.gazetteer_spans("openai发布", tiny_model) == [("ORG", 0, 6)]


def test_ner_merge_precedence():
    statistical = [("PER", 0, 4), ("ORG", 5, 9), ("LOC", 10, 12)]
    gazetteer = [("ORG", 2, 5), ("ORG", 5, 7)]
    # (2,5) overlaps the PER span and wins; (5,7) lies inside a same-type ORG span, which is kept.
    assert ner.merge(statistical, gazetteer) == [("ORG", 2, 5), ("ORG", 5, 9), ("LOC", 10, 12)]
    # A statistical span swallowing two gazetteer matches is a run-on, not a fuller form.
    assert ner.merge([("PER", 0, 6)], [("PER", 0, 2), ("ORG", 3, 6)]) == [("PER", 0, 2), ("ORG", 3, 6)]


def test_ner_snap_to_words_widens_latin_edges():
    text = "OpenAI发布"
    assert ner.snap_to_words([("ORG", 0, 4)], text, None) == [("ORG", 0, 6)]
    tok = [["OpenAI", 0, 6], ["发布", 6, 8]]
    assert ner.snap_to_words([("ORG", 2, 6)], text, tok) == [("ORG", 0, 6)]
    assert ner.snap_to_words([("ORG", 6, 7)], text, tok) == [("ORG", 6, 7)]   # Han edges untouched


def test_ner_cluster_links_short_forms_and_variants():
    text = "埃隆·马斯克说，马斯克和埃隆都在X.AI。X.ai的张三和张三丰。"
    spans = [("PER", 0, 6), ("PER", 8, 11), ("PER", 12, 14), ("ORG", 16, 20), ("ORG", 21, 25),
             ("PER", 26, 28), ("PER", 29, 32)]
    gazetteer = {"x.ai": ("X.ai", "ORG")}
    entities = ner.cluster(text, spans, gazetteer)
    by_name = {e["name"]: e for e in entities}
    assert by_name["埃隆·马斯克"]["mentions"] == [[0, 6], [8, 11], [12, 14]]
    assert by_name["埃隆·马斯克"]["aliases"] == ["埃隆", "马斯克"]
    assert by_name["X.ai"]["mentions"] == [[16, 20], [21, 25]]
    assert by_name["X.ai"]["type"] == "ORG"
    # 张三 is contained in 张三丰: linked (longest full form is canonical).
    assert by_name["张三丰"]["mentions"] == [[26, 28], [29, 32]]
    assert [e["id"] for e in entities] == [f"E{i}" for i in range(len(entities))]


def test_ner_cluster_company_ending_joins_gazetteer_entry():
    text = "特斯拉公司和特斯拉"
    entities = ner.cluster(text, [("ORG", 0, 5), ("ORG", 6, 9)], {"特斯拉": ("特斯拉", "ORG")})
    assert [(e["name"], e["aliases"], e["mentions"]) for e in entities] == [
        ("特斯拉", ["特斯拉公司"], [[0, 5], [6, 9]])]


def test_ner_cluster_keeps_types_apart():
    text = "中国银行在中国"
    entities = ner.cluster(text, [("ORG", 0, 4), ("LOC", 5, 7)], {})
    assert [(e["name"], e["type"]) for e in entities] == [("中国银行", "ORG"), ("中国", "LOC")]


@pytest.mark.parametrize("with_tok", [False, True])
def test_ner_annotate_end_to_end(tiny_model, with_tok):
    text = "张明在北京工作。马斯克与OpenAI合作。"
    record = {"id": "d1", "text": text, "meta": {}, "sentences": [[0, 8], [8, 21]]}
    if with_tok:
        record["tok"] = [[w, b, b + len(w)] for w, b in
                         [("张明", 0), ("在", 2), ("北京", 3), ("工作", 5), ("。", 7), ("马斯克", 8),
                          ("与", 11), ("OpenAI", 12), ("合作", 18), ("。", 20)]]
    before = copy.deepcopy(record)
    (out,) = annotate_with(ner, [record], tiny_model)
    assert record == before                                   # input not mutated
    assert all(text[b:e] == name for name, _, b, e in out["ner"])
    found = {(name, kind) for name, kind, _, _ in out["ner"]}
    assert {("张明", "PER"), ("北京", "LOC"), ("马斯克", "PER"), ("OpenAI", "ORG")} <= found
    names = {e["name"]: e["type"] for e in out["entities"]}
    assert names["埃隆·马斯克"] == "PER" and names["OpenAI"] == "ORG"


def test_ner_annotate_without_sentences_and_empty(tiny_model):
    (out,) = annotate_with(ner, [{"id": "d", "text": "张明在北京工作。李华在上海"}], tiny_model)
    assert ("李华", "PER", 8, 10) in [tuple(m) for m in out["ner"]]
    (empty,) = annotate_with(ner, [{"id": "e", "text": ""}], tiny_model)
    assert empty["ner"] == [] and empty["entities"] == []


def test_ner_entity_index_counts_documents_and_mentions():
    records = [
        {"id": "a", "entities": [{"name": "OpenAI", "type": "ORG", "mentions": [[0, 6], [9, 15]]}]},
        {"id": "b", "entities": [{"name": "OpenAI", "type": "ORG", "mentions": [[3, 9]]},
                                 {"name": "北京", "type": "LOC", "mentions": [[0, 2]]}]},
    ]
    assert corpus.entity_index(records) == [
        {"name": "OpenAI", "type": "ORG", "docs": ["a", "b"], "mentions": 3},
        {"name": "北京", "type": "LOC", "docs": ["b"], "mentions": 1},
    ]
