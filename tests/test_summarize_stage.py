"""The summarize stage on hand-built records: spans, budget, compression, stance, title."""

import copy

import pytest

from pipeline.components import annotate_with
from pipeline.components import summarize


@pytest.fixture(scope="module")
def settings():
    return summarize.load({"budget_chars": 60})


def make_record(text: str, **layers) -> dict:
    return {"id": "t", "text": text, "meta": layers.pop("meta", {}),
            "sentences": summarize.split_sentences(text), **layers}


NEWS = (
    "国土部副部长胡存智25日表示，今年全国房地产用地供应同比增加34.4%。"
    "但是，北上广深等供需紧张的城市仍需持续增加住宅用地供应。"
    "胡存智说，国土部将要求北上广深持续增加住宅用地供应量，保持市场稳定（新华社）。"
    "记者注意到，住宅用地供应在多个城市仍然偏紧。"
)


def assert_traceable(record: dict, summary: dict) -> None:
    text = record["text"]
    begins = [begin for _, begin, _ in summary["sentences"]]
    assert begins == sorted(begins), "summary pieces keep document order"
    for piece, begin, end in summary["sentences"]:
        assert text[begin:end] == piece


def test_summary_pieces_are_spans_of_the_text_within_budget(settings):
    record = make_record(NEWS)
    summary = summarize.summarize(record, settings)
    assert summary["sentences"]
    assert_traceable(record, summary)
    assert len(summary["text"]) <= summary["budget_chars"] == 60
    assert summary["method"] == summarize.VERSION


def test_annotate_adds_the_layer_without_mutating_input(settings):
    records = [make_record(NEWS), make_record("单独一句话，没有别的内容了。")]
    before = copy.deepcopy(records)
    out = annotate_with(summarize, records, settings)
    assert records == before
    assert [r["id"] for r in out] == ["t", "t"]
    assert all("summary" in r for r in out) and all("summary" not in r for r in records)


@pytest.mark.parametrize(
    "text, dropped",
    [
        ("但是，北上广深等供需紧张的城市仍需增加供应。", "但是"),  # leading connective
        ("北上广深（一线城市）仍需增加住宅用地供应。", "（一线城市）"),  # parenthetical
    ],
)
def test_compression_drops_connectives_and_parentheticals(settings, text, dropped):
    record = make_record(text)
    summary = summarize.summarize(record, settings)
    assert_traceable(record, summary)
    assert dropped not in summary["text"]
    assert summary["text"]


def test_parenthetical_splits_a_clause_into_two_spans(settings):
    record = make_record("北上广深（一线城市）仍需增加住宅用地供应。")
    pieces = [piece for piece, _, _ in summarize.summarize(record, settings)["sentences"]]
    assert pieces == ["北上广深", "仍需增加住宅用地供应。"]


def test_speech_introduction_stays_with_what_was_said(settings):
    record = make_record("国土部副部长胡存智表示，北上广深要持续增加住宅用地供应。")
    summary = summarize.summarize(record, settings)
    assert summary["sentences"][0][0].startswith("国土部副部长胡存智表示，北上广深")


def test_repeated_clause_is_not_picked_twice(settings):
    clause = "特斯拉宣布在上海建设新的超级工厂"
    record = make_record(f"{clause}。{clause}。另外，工厂预计明年投产并雇用三千名员工。")
    summary = summarize.summarize(record, settings)
    assert summary["text"].count(clause) == 1


def test_title_sentence_is_not_repeated_in_the_summary(settings):
    title = "马斯克成立新的人工智能公司"
    record = make_record(f"{title}\n马斯克在内华达州注册了一家人工智能公司，名为X.AI。", meta={"title": title})
    summary = summarize.summarize(record, settings)
    assert title not in summary["text"]
    assert "内华达州" in summary["text"]


def test_budget_below_every_clause_cuts_the_best_one(settings):
    record = make_record("这是一个相当长而且没有任何标点可以切分的句子用来测试预算")
    summary = summarize.summarize(record, settings, budget=10)
    assert len(summary["text"]) == 10
    assert_traceable(record, summary)


@pytest.mark.parametrize("text", ["", "。", "短。"])
def test_degenerate_texts_do_not_fail(settings, text):
    summary = summarize.summarize(make_record(text), settings)
    assert len(summary["text"]) <= 60


STANCE_TEXT = (
    "特斯拉今天发布了新款电动汽车，售价比上一代便宜一万元。"
    "新车将在上海工厂生产，预计下个月开始交付，首批订单已经超过十万辆。"
    "马斯克在发布会上谈到人工智能。"
    "他警告说，人工智能可能比核武器更危险，必须尽快立法监管。"
    "律师夏海龙认为，生成式人工智能只是对语言的机械模仿，不会产生意识。"
    "分析师预计，这款新车将进一步扩大特斯拉在中国市场的份额。"
)


def stance_layer(text: str) -> dict:
    def statement(sentence: str, stance: str, holder: str, score: float) -> dict:
        begin = text.index(sentence)
        return {"sent": 0, "begin": begin, "end": begin + len(sentence), "text": sentence,
                "stance": stance, "score": score, "confidence": 0.9, "holder": holder}

    return {"sentences": [
        statement("他警告说，人工智能可能比核武器更危险，必须尽快立法监管。", "concerned", "马斯克", 0.9),
        statement("律师夏海龙认为，生成式人工智能只是对语言的机械模仿，不会产生意识。", "dismissive", "夏海龙", -0.8),
    ]}


def test_stance_aware_summary_holds_warning_and_dismissal_with_holders():
    settings = summarize.load({"budget_chars": 90})
    record = make_record(STANCE_TEXT, stance=stance_layer(STANCE_TEXT))
    summary = summarize.summarize(record, settings)
    assert_traceable(record, summary)
    assert "马斯克：他警告说" in summary["text"]  # holder named before the pronoun statement
    assert "夏海龙认为" in summary["text"]
    assert len(summary["text"]) <= 90


def test_stance_aware_off_leaves_selection_to_salience():
    settings = summarize.load({"budget_chars": 90, "stance_aware": False})
    record = make_record(STANCE_TEXT, stance=stance_layer(STANCE_TEXT))
    summary = summarize.summarize(record, settings)
    assert "马斯克：" not in summary["text"]


def test_stance_statement_is_condensed_to_holder_and_cue_clauses():
    settings = summarize.load({"budget_chars": 60})
    text = "马斯克周二出席纽约论坛，公司今年业绩不错，但人工智能可能毁灭人类文明，各国必须立法。"
    cue = "毁灭人类文明"
    statement = {"sent": 0, "begin": 0, "end": len(text), "text": text, "stance": "concerned",
                 "score": 0.9, "confidence": 1.0, "holder": "马斯克",
                 "cue": [cue, text.index(cue), text.index(cue) + len(cue)]}
    record = make_record(text, stance={"sentences": [statement]})
    pieces = [piece for piece, _, _ in summarize.summarize(record, settings)["sentences"]]
    # the 43-character sentence is over the 30-character stance share: it fits only condensed
    assert {"马斯克周二出席纽约论坛，", "但人工智能可能毁灭人类文明，"} <= set(pieces)


def test_holder_found_through_entity_mentions():
    settings = summarize.load({"budget_chars": 120})
    text = "埃隆·马斯克出席了发布会。他警告说，人工智能可能比核武器更危险。"
    begin = text.index("他警告说")
    statement = {"sent": 1, "begin": begin, "end": len(text), "text": text[begin:], "stance": "concerned",
                 "score": 0.9, "confidence": 1.0, "holder": "埃隆·马斯克", "cue": None}
    entities = [{"id": "E0", "name": "埃隆·马斯克", "type": "PER", "mentions": [[0, 6]], "aliases": ["马斯克"]}]
    record = make_record(text, stance={"sentences": [statement]}, entities=entities)
    summary = summarize.summarize(record, settings)
    assert_traceable(record, summary)
    assert "埃隆·马斯克" in summary["text"] and "他警告说" in summary["text"]


def test_load_rejects_unknown_config_keys():
    with pytest.raises(ValueError, match="budget_char"):
        summarize.load({"budget_char": 100})


def test_idf_table_is_read_then_served_from_the_cache_until_its_file_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHNLP_CACHE", str(tmp_path / "cache"))
    table = tmp_path / "idf.txt"
    table.write_text("人工智能 9.5\n风险 7.0\n的 0.5\n", encoding="utf-8")
    first = summarize.load({"idf_path": str(table)})
    again = summarize.load({"idf_path": str(table)})
    assert first.idf == again.idf == {"人工智能": 9.5, "风险": 7.0, "的": 0.5}
    assert first.default_idf == again.default_idf == 7.0  # the median
    table.write_text("人工智能 3.0\n", encoding="utf-8")
    changed = summarize.load({"idf_path": str(table)})
    assert changed.idf == {"人工智能": 3.0} and changed.default_idf == 3.0
