"""Holder rules: speech-verb subjects, continuation, unnamed groups, name matching."""

from __future__ import annotations

import pytest

from pipeline.components.stance.names import canonical_holder, same_holder
from pipeline.components.stance import speakers
from pipeline.views import corpus
from pipeline.components import annotate_with
from pipeline.components.stance import cues as stance


@pytest.fixture(scope="module")
def model():
    return stance.load({})


def holders(sentences, model, persons=()):
    """``persons``: the document's PER names, as the NER layer gives them in the pipeline."""
    return speakers.sentence_holders(sentences, [stance.classify(s, model) for s in sentences], model, persons=persons)


@pytest.mark.parametrize(
    "sentence, holder",
    [
        ("北京大学人工智能研究院教授张伟明认为，AI的风险被严重低估了。", "张伟明"),
        ("图灵奖得主 Yoshua Bengio 近日在接受采访时表示，AI可能失控。", "Yoshua Bengio"),
        ("萨姆·奥尔特曼在国会听证会上呼吁加强对AI的监管。", "萨姆·奥尔特曼"),
        ("非营利组织“人工智能安全中心”发出声明，呼吁降低AI灭绝风险。", "人工智能安全中心"),
        ("工业和信息化部日前印发通知，要求加强人工智能安全治理。", "工业和信息化部"),
        ("“AI不会取代人类，”黄仁勋在演讲中说。", "黄仁勋"),
        ("苹果公司CEO库克接受采访时说，AI应该以人为本。", "库克"),
        ("美国前国务卿基辛格生前曾多次警告AI的危险。", "基辛格"),
        ("继千位科学家联名发表公开信，呼吁暂停AI实验。", None),
        ("本吉奥表示，AI可能对人类构成威胁。", "本吉奥"),  # jieba alone tags only 吉奥
        ("周鸿祎认为，大模型的安全问题不容忽视。", "周鸿祎"),
        ("在杨立昆看来，AI末日论纯属杞人忧天。", "杨立昆"),
        ("微软表示，将为Copilot增加更多安全防护措施。", "微软"),  # a gazetteer organisation
        ("就在微软宣布裁员之后，马斯克发文称AI将造成大规模失业。", "马斯克"),
        ("很多人担心人工智能将来会威胁人类。", None),
        ("业内人士认为，AI泡沫正在形成。", None),
        ("据外媒报道，该公司发布了新的大模型。", None),
    ],
)
def test_speaker_of_one_sentence(model, sentence, holder):
    assert holders([sentence], model) == [holder]


def test_pronoun_and_elided_subject_continue_the_speaker(model):
    doc = ["王立新指出，生成式AI会带来新的安全风险。", "他认为，监管应当尽快跟上。", "同时也表示，AI不会取代人类。"]
    assert holders(doc, model) == ["王立新", "王立新", "王立新"]


def test_quotation_continues_until_it_closes(model):
    doc = ["李华表示：“大模型的风险不容忽视。", "我们必须加强监管。”", "该公司上周发布了新的AI产品。"]
    assert holders(doc, model) == ["李华", "李华", None]


def test_numbered_points_belong_to_the_proposer(model):
    doc = ["刘洋围绕人工智能发展提出两点建议。", "一是加强人工智能治理。", "二是推动AI技术普惠。"]
    assert holders(doc, model, persons=["刘洋"]) == ["刘洋", "刘洋", "刘洋"]


def test_people_are_the_names_the_ner_layer_found(model):
    doc = ["闵海峰在论坛上提出，人工智能的风险需要警惕。"]
    assert holders(doc, model) == [None]  # not a title, foreign or stand-alone surname name
    assert holders(doc, model, persons=["闵海峰"]) == ["闵海峰"]


def test_known_person_spans_prefer_the_longer_name():
    spans = speakers._known_person_spans("杰弗里·辛顿说，辛顿认为", ("杰弗里·辛顿", "辛顿"))
    assert spans == [(0, 6), (8, 10)]


def test_a_record_s_ner_people_reach_the_holder_rules(model):
    text = "闵海峰在论坛上提出，人工智能的风险需要警惕。"
    record = {"id": "d", "text": text, "sentences": [[0, len(text)]],
              "entities": [{"name": "闵海峰", "type": "PER", "aliases": [], "mentions": [[0, 3]]}]}
    [annotated] = annotate_with(stance, [record], model)
    assert annotated["stance"]["sentences"][0]["holder"] == "闵海峰"


def test_traditional_name_is_reported_as_written(model):
    assert holders(["馬斯克稱AI將造成大規模失業。"], model) == ["馬斯克"]


def test_same_holder_maps_short_forms_and_scripts():
    assert same_holder("马斯克", "埃隆·马斯克")
    assert same_holder("LeCun", "Yann LeCun")
    assert same_holder("辛頓", "杰弗里·辛顿")
    assert same_holder(None, None)
    assert not same_holder("马斯克", None)
    assert not same_holder("辛顿", "马斯克")


def test_canonical_holder_prefers_the_entity_cluster():
    record = {"text": "马斯克表示AI很危险。", "entities": [{"id": "E0", "name": "埃隆·马斯克", "type": "PER", "mentions": [[0, 3]], "aliases": ["马斯克"]}]}
    assert canonical_holder("马斯克", record) == "埃隆·马斯克"
    without_entities = {"text": "埃隆·马斯克在推特上发文。马斯克表示AI很危险。"}
    assert canonical_holder("马斯克", without_entities) == "埃隆·马斯克"
    assert canonical_holder(None, record) is None


@pytest.mark.parametrize(
    ("sentence", "holder"),
    [
        # The verb before an organisation is not part of its name (发布|国家网信办, 11个|工信部).
        ("《智能体规范应用与创新发展实施意见》发布国家网信办等三部门日前联合印发《实施意见》，明确智能体发展要坚持安全可控。", "国家网信办"),
        ("全国人工智能创新应用先导区数量增至11个工信部日前公布，将加强人工智能安全治理。", "工信部"),
    ],
)
def test_stance_holder_organisation_starts_after_the_verb(sentence, holder):
    model = stance.load({})
    assert speakers.sentence_holders([sentence], [stance.classify(sentence, model)], model) == [holder]


def test_holder_keys_pick_the_first_matching_holder_like_a_linear_scan():
    """The indexed lookup against the plain rule: compare with every key so far, in order."""
    import random

    rng = random.Random(7)
    letters = list("马斯克埃隆·辛顿杰弗里頓LeCunYa ")
    for _ in range(2000):
        names = ["".join(rng.choice(letters) for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(1, 12))]
        expected, keys_so_far = [], []
        for name in names:
            key = next((k for k in keys_so_far if same_holder(k, name)), name)
            if key not in keys_so_far:
                keys_so_far.append(key)
            expected.append(key)
        keys = corpus.HolderKeys()
        assert [keys.key(name) for name in names] == expected, names


def test_names_chosen_below_the_confidence_floor_become_no_holder():
    from pipeline.components.stance.holders import HolderModel

    scored = [("马斯克", 0.9), ("吴恩达", 0.35), (None, 0.6)]
    model = HolderModel(config={"min_confidence": 0.5})
    assert model.confident(scored) == ["马斯克", None, None]
    assert model.confident(scored, min_confidence=0.0) == ["马斯克", "吴恩达", None]
    assert HolderModel().confident(scored) == ["马斯克", "吴恩达", None]  # no floor configured: unchanged


def test_profile_evidence_prefers_sentences_that_name_the_holder():
    from pipeline.components.stance.profile import profile

    entries = [
        {"holder": "埃隆·马斯克", "stance": "concerned", "score": 0.98, "text": "此外，这些操作可能会侵犯用户的权利。"},
        {"holder": "埃隆·马斯克", "stance": "concerned", "score": 0.85, "text": "马斯克直言“人工智能比核武器更危险”。"},
        {"holder": "埃隆·马斯克", "stance": "neutral", "score": 0.05, "text": "马斯克注册了X公司。"},
    ]
    (row,) = profile(entries)["holders"]
    assert row["evidence"] == ["马斯克直言“人工智能比核武器更危险”。", "此外，这些操作可能会侵犯用户的权利。"]
    assert row["stance"] == "concerned" and row["sentences"] == 3
