"""NER on traditional script, Latin and dotted names, token agreement, the cross-document
index and the page-level scorer: hand-made data and a tiny CRF trained here in a second."""

import pycrfsuite
import pytest

from pipeline.components import annotate_with
from pipeline.views import corpus
from pipeline.components import ner
from pipeline.evaluate import ner_docs
from pipeline.paths import CONFIG_DIR
from pipeline.train import ner as train


def _tags(text, names):
    """BMES tags for ``text`` with (type, surface) names, each at its first occurrence."""
    tags = ["O"] * len(text)
    for kind, name in names:
        b = text.index(name)
        e = b + len(name)
        tags[b:e] = [f"S-{kind}"] if e - b == 1 else [f"B-{kind}"] + [f"M-{kind}"] * (e - b - 2) + [f"E-{kind}"]
    return tags


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """Trained on simplified sentences only, some with spaced Latin names."""
    lexicon = ner.Lexicon({"北京": {"LOC"}, "上海": {"LOC"}, "张": {"SUR"}, "李": {"SUR"}})
    sentences = [
        ("张明在北京工作。", [("PER", "张明"), ("LOC", "北京")]),
        ("李华在上海工作。", [("PER", "李华"), ("LOC", "上海")]),
        ("Susan Rice在北京说了话。", [("PER", "Susan Rice"), ("LOC", "北京")]),
        ("Geoffrey Hinton在上海说了话。", [("PER", "Geoffrey Hinton"), ("LOC", "上海")]),
        ("Yann LeCun说了很多话。", [("PER", "Yann LeCun")]),
        ("他们用AI说了很多话。", []),
    ] * 5
    trainer = pycrfsuite.Trainer(verbose=False)
    for text, names in sentences:
        trainer.append(ner.sentence_features(text, lexicon), _tags(text, names))
    trainer.set_params({"max_iterations": 60})
    path = tmp_path_factory.mktemp("crf") / "crf.model"
    trainer.train(str(path))
    tagger = pycrfsuite.Tagger()
    tagger.open(str(path))
    nlp, table = ner.build_ruler(CONFIG_DIR / "gazetteer.yaml")
    return ner.NerModel(tagger, lexicon, nlp, table)


def test_ner_tagging_copy_keeps_length_and_unifies_dots():
    text = "理查・布蘭森與比爾•蓋茨"
    copy = ner.tagging_copy(text)
    assert len(copy) == len(text)
    assert copy == "理查·布兰森与比尔·盖茨"


def test_ner_traditional_script_offsets_point_into_the_original(tiny_model):
    text = "張明在北京工作。馬斯克與OpenAI合作。"
    (out,) = annotate_with(ner, [{"id": "t", "text": text}], tiny_model)
    found = [tuple(m) for m in out["ner"]]
    assert ("張明", "PER", 0, 2) in found           # learned from simplified 张明
    assert ("馬斯克", "PER", 8, 11) in found        # gazetteer alias 马斯克, matched on the copy
    assert all(text[b:e] == surface for surface, _, b, e in found)
    names = {e["name"] for e in out["entities"]}
    assert {"张明", "埃隆·马斯克"} <= names          # canonical names are simplified


def test_ner_latin_full_name_is_one_mention(tiny_model):
    text = "Stuart Russell在北京说了话。"
    (out,) = annotate_with(ner, [{"id": "l", "text": text}], tiny_model)
    assert ["Stuart Russell", "PER", 0, 14] in out["ner"]
    assert not [m for m in out["ner"] if m[1] == "PER" and m[2:] != [0, 14]]


def test_ner_join_names_dots_and_latin_spaces():
    plain = ner.tagging_copy("理查 · 布蘭森和Susan Rice及张三 李四")
    spans = [("PER", 0, 2), ("PER", 5, 8), ("PER", 9, 14), ("PER", 15, 19), ("PER", 20, 22), ("PER", 23, 25)]
    assert ner.join_names(spans, plain) == [("PER", 0, 8), ("PER", 9, 19), ("PER", 20, 22), ("PER", 23, 25)]


def test_ner_canonical_name_is_simplified_with_a_plain_dot():
    text = "理查 · 布蘭森說，布蘭森"
    (entity,) = ner.cluster(text, [("PER", 0, 8), ("PER", 10, 13)], {})
    assert entity["name"] == "理查·布兰森" and entity["aliases"] == ["布蘭森", "理查 · 布蘭森"]   # surface forms kept
    assert entity["mentions"] == [[0, 8], [10, 13]]


def test_ner_tokens_agree_with_entity_spans():
    text = "吴恩达说谷歌大脑很好"
    tok = [["吴", 0, 1], ["恩达", 1, 3], ["说", 3, 4], ["谷歌", 4, 6], ["大", 6, 7], ["脑很", 7, 9], ["好", 9, 10]]
    spans = [("PER", 0, 3), ("ORG", 4, 8)]             # the second span cuts 脑很: left alone
    assert ner.tokens_agreeing(tok, spans, text) == [["吴恩达", 0, 3]] + tok[2:]


def test_ner_entity_index_links_forms_across_documents():
    records = [
        {"id": "a", "entities": [{"name": "埃隆·马斯克", "type": "PER", "mentions": [[0, 6], [9, 12]],
                                  "aliases": ["马斯克"]}]},
        {"id": "b", "entities": [{"name": "馬斯克", "type": "PER", "mentions": [[0, 3]]},
                                 {"name": "盖茨", "type": "PER", "mentions": [[4, 6]]}]},
        {"id": "c", "entities": [{"name": "比尔·盖茨", "type": "PER", "mentions": [[0, 5]]},
                                 {"name": "梅琳达·盖茨", "type": "PER", "mentions": [[6, 12]]}]},
    ]
    rows = {r["name"]: r for r in corpus.entity_index(records)}
    assert rows["埃隆·马斯克"]["docs"] == ["a", "b"] and rows["埃隆·马斯克"]["mentions"] == 3
    assert rows["埃隆·马斯克"]["aliases"] == ["马斯克"]
    assert rows["盖茨"]["docs"] == ["b"]               # two people called 盖茨: not linked
    assert "马斯克" not in rows and "馬斯克" not in rows


def test_ner_train_spaced_latin_puts_the_space_back():
    text, tags = train.spaced_latin("是BenBell说", ["O", "B-PER"] + ["M-PER"] * 5 + ["E-PER", "O"])
    assert text == "是Ben Bell说"
    assert tags == ["O", "B-PER"] + ["M-PER"] * 6 + ["E-PER", "O"]
    assert train.spaced_latin("iPhone和eBay", ["O"] * 10) == ("iPhone和eBay", ["O"] * 10)


def test_ner_docs_scorer_found_and_correct():
    text = "辛顿和杰弗里·辛顿在谷歌大脑。北京"
    gold = {"PER": ["杰弗里·辛顿", "辛顿"], "ORG": ["谷歌大脑"], "LOC": []}
    mentions = [("辛顿", "PER", 0, 2), ("杰弗里·辛", "PER", 3, 8), ("谷歌", "ORG", 10, 12), ("北京", "LOC", 15, 17)]
    counts = ner_docs.page_matches(text, gold, mentions)
    # 杰弗里·辛 overlaps 杰弗里·辛顿 by 5 of 6 (≥ 60 %); 谷歌 covers only half of 谷歌大脑.
    assert counts["PER"] == (2, 2, 2, 2)
    assert counts["ORG"] == (0, 1, 0, 1)
    assert counts["LOC"] == (0, 0, 0, 1)


@pytest.mark.skipif(not (CONFIG_DIR.parent / "models" / "segmenter" / "model.crfsuite").exists(),
                    reason="needs the trained segmenter")
def test_segmenter_reads_traditional_script_through_the_simplified_copy():
    from pipeline.components import segment

    model = segment.load({"processes": 1})
    assert model.segment("人類認為") == ["人類", "認為"]


def test_ner_name_pieces_cut_spaces_outside_latin_names():
    chunk = "何宏军 邹加怡和Susan Rice"
    assert list(ner._name_pieces(chunk, 0, 7)) == [(0, 3), (4, 7)]
    assert list(ner._name_pieces(chunk, 8, 18)) == [(8, 18)]
    assert list(ner._name_pieces("理查 · 布兰森", 0, 8)) == [(0, 2), (3, 4), (5, 8)]
