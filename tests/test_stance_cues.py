"""The stance rules on sentences written for these tests (not from the dev set)."""

from __future__ import annotations

import pytest

from pipeline.components.stance import cues as stance


@pytest.fixture(scope="module")
def model():
    return stance.load({})


@pytest.mark.parametrize(
    "sentence, label",
    [
        ("辛顿警告说，AI可能在未来几十年内导致人类灭绝。", "concerned"),
        ("多國政府呼籲對人工智能實施更嚴格的監管。", "concerned"),  # traditional characters
        ("欧盟通过《人工智能法案》，对高风险AI系统实施严格限制。", "concerned"),
        ("他认为，人工智能威胁论被严重夸大了。", "dismissive"),
        ("他直言，所謂AI毀滅人類的說法純屬危言聳聽。", "dismissive"),
        ("杨立昆多次表示，担心AI毁灭人类为时过早。", "dismissive"),
        ("这家公司发布了新一代大模型，性能提升明显。", "neutral"),
        ("百度发布文心一言4.0，支持多模态输入。", "neutral"),
        ("该平台已接入DeepSeek大模型，提供智能客服服务。", "neutral"),
        ("过度监管只会扼杀创新，AI的风险被严重高估了。", "dismissive"),  # regulation is harmful
        ("AI并没有那么可怕，它不足为惧。", "dismissive"),
        ("专家担心AI将取代大量工作岗位。", "concerned"),
        ("大模型上线前必须通过安全评估。", "concerned"),
    ],
)
def test_plain_cues(model, sentence, label):
    assert stance.classify(sentence, model).label == label


def test_negation_reverses_a_risk_cue(model):
    assert stance.classify("人工智能会毁灭人类。", model).label == "concerned"
    assert stance.classify("人工智能不会毁灭人类。", model).label == "dismissive"


def test_negation_reaches_over_the_verb(model):
    assert stance.classify("黄仁勋称，AI不会导致大规模失业。", model).label == "dismissive"
    assert stance.classify("人工智能不会对人类构成威胁。", model).label == "dismissive"


def test_words_that_only_look_negative_do_not_negate(model):
    assert stance.classify("大家都在担心AI会不会失控。", model).label == "concerned"  # 会不会 asks
    assert stance.classify("AI可能带来不可逆转的巨大风险。", model).label == "concerned"
    assert stance.classify("未来AI可能带来巨大的风险。", model).label == "concerned"  # 未来 is not 未
    assert stance.classify("专家认为AI非常危险。", model).label == "concerned"  # 非常 is not 非
    assert stance.classify("经过不断的炒作，AI觉醒成了热门话题。", model).label == "dismissive"  # 不断 is not 不


def test_negated_dismissal_is_concerned(model):
    assert stance.classify("这一关于AI失控的警告并非空穴来风。", model).label == "concerned"


def test_clause_after_contrast_wins(model):
    sentence = "有人担心AI会统治世界，但这种担忧毫无科学依据。"
    assert stance.classify(sentence, model).label == "dismissive"


def test_conceded_risk_that_is_manageable_stays_concerned(model):
    assert stance.classify("虽然AI带来了一些风险，但这些风险是可以控制的。", model).label == "concerned"
    assert stance.classify("人类已经能够控制和应对AI的风险。", model).label == "dismissive"


def test_asserted_harm_outweighs_a_dismissal(model):
    sentence = "有人说AI威胁是炒作，但深度伪造诈骗已经造成了实际损失。"
    assert stance.classify(sentence, model).label == "concerned"


def test_plain_question_takes_no_position(model):
    assert stance.classify("人工智能是否会威胁人类？", model).label == "neutral"
    assert stance.classify("我们为何要担心AI统治人类呢？", model).label == "dismissive"


def test_generic_criticism_needs_a_target(model):
    assert stance.classify("按照这种荒唐的推测，X.ai将发布新模型。", model).label == "neutral"
    assert stance.classify("AI毁灭人类的说法十分荒唐。", model).label == "dismissive"


def test_score_confidence_and_cue_span(model):
    sentence = "马斯克直言“人工智能比核武器更危险”。"
    result = stance.classify(sentence, model)
    assert result.label == "concerned"
    assert 0 < result.score <= 1 and 0 <= result.confidence <= 1
    begin, end = result.cue
    assert sentence[begin:end] in ("危险", "核武器", "比核武器更危险")
    assert stance.classify("AI会讓人類滅絕。", model).score > 0
    assert stance.classify("这种恐惧属于杞人忧天。", model).score < 0


@pytest.mark.parametrize(
    "sentence, about_ai",
    [
        ("OpenAI发布了GPT-4。", True),
        ("台灣的人工智慧產業快速成長。", True),  # the Taiwanese term
        ("大模型训练需要大量算力。", True),
        ("北京冬奥会向全球展现中华文化海纳百川的气度。", False),
        ("今年春耕期间农机装备投入使用。", False),
    ],
)
def test_ai_detection(model, sentence, about_ai):
    assert stance.is_about_ai(sentence, model) is about_ai
