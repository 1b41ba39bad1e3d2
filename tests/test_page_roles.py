"""Page roles: the line model, its training, and its place in cleaning."""

from __future__ import annotations

import pytest

from pipeline.components.clean.cleaner import clean_unit
from pipeline.record.offsets import raw_index
from pipeline.components.clean import page_roles
from pipeline.components.clean.readers import Unit
from pipeline.train import page_roles as training

BODY = [
    "在最近的一次采访中，马斯克表示人工智能将深刻改变人类社会的方方面面，他呼吁各国政府尽快建立监管框架。",
    "他还说，人工智能的发展速度超出了大多数人的预期，行业需要更多的透明度和问责机制，才能赢得公众信任。",
    "业内专家对此看法不一，有人认为监管会抑制创新，也有人认为现在正是制定规则的最好时机。",
]
HEADLINE = "马斯克谈人工智能的未来"
PAGE = "\n".join([HEADLINE, "2023-05-01 10:00 来源：新华社 作者：张三", "分享到：微信 微博 QQ空间", "", *BODY, ""])


def clean_page(text: str, lm) -> dict:
    [record] = clean_unit(Unit(id="page", text=text, source_file="page.txt", encoding="utf-8", format="text"), lm)
    return record


def test_committed_model_drops_share_line_and_keeps_body(lm):
    record = clean_page(PAGE, lm)
    assert "分享到" not in record["text"]
    for paragraph in BODY:
        assert paragraph in record["text"]
    [share] = [r for r in record["repairs"] if r["reason"].endswith("(role model)") and "分享到" in r["text"]]
    assert PAGE[share["begin"]:share["end"]] == "分享到：微信 微博 QQ空间"


def test_title_and_byline_go_to_meta_not_text(lm):
    record = clean_page(PAGE, lm)
    assert record["meta"]["title"] == HEADLINE
    assert record["meta"]["date"] == "2023-05-01 10:00"
    assert record["meta"]["source"] == "新华社"
    assert HEADLINE not in record["text"] and "来源" not in record["text"]


def test_headline_without_end_punctuation_is_not_glued_to_first_sentence(lm):
    record = clean_page(PAGE, lm)
    first = record["text"][slice(*record["sentences"][0])]
    assert first == BODY[0]
    assert not record["text"].startswith(HEADLINE)


def test_offsets_still_lead_back_to_the_raw_page(lm):
    record = clean_page(PAGE, lm)
    for position in (0, len(BODY[0]) + 3, len(record["text"]) - 1):
        assert PAGE[raw_index(record["offsets"], position)] == record["text"][position]


def test_jsonl_title_field_is_kept(lm):
    unit = Unit(id="j", text=PAGE, source_file="a.jsonl", encoding="utf-8", format="jsonl", source_line=1,
                meta={"title": "给定的标题"})
    [record] = clean_unit(unit, lm)
    assert record["meta"]["title"] == "给定的标题"


def test_parse_meta_line_reads_generic_labels():
    assert page_roles.parse_meta_line("2024年3月5日 09:30 来源：人民网 编辑：李四") == {
        "date": "2024年3月5日 09:30", "source": "人民网", "author": "李四"}
    assert page_roles.parse_meta_line("阅读 1,024") == {}


def test_split_page_keeps_body_and_takes_one_title_once():
    lines = ["标题甲", "标题甲", "作者：王五", "正文。", "", "分享"]
    roles = ["title", "title", "meta", "body", "blank", "furniture"]
    body, meta, dropped = page_roles.split_page(lines, roles)
    assert body == [3]
    assert meta["title"] == "标题甲" and meta["author"] == "王五"
    assert [(d["line"], d["role"]) for d in dropped] == [(0, "title"), (1, "title"), (2, "meta"), (5, "furniture")]


def test_decision_floor_keeps_doubtful_lines_in_the_body():
    marginals = {"body": 0.3, "furniture": 0.7, "title": 0.0, "meta": 0.0}
    assert page_roles.decide_line("furniture", marginals, 0.25) == "body"
    assert page_roles.decide_line("furniture", marginals, 0.5) == "furniture"
    assert page_roles.decide_line("body", marginals, 0.5) == "furniture"  # a floor over P(body) drops it


def _synthetic_page(headline: str, number: int) -> dict:
    lines = [headline, f"2023-0{number % 9 + 1}-1{number % 10} 来源：某报", "分享到：微信 微博", "",
             *(f"第{number}篇文章的第{k}段讲了一件很长的事情，其中有许多细节，读者可以慢慢读完它。" for k in range(3)),
             "责任编辑：某某"]
    roles = ["title", "meta", "furniture", "blank", "body", "body", "body", "meta"]
    return {"lines": lines, "roles": roles}


def test_tiny_training_learns_roles(tmp_path):
    pages = [_synthetic_page(f"第{n}个新闻标题在这里", n) for n in range(12)]
    variant = training.VARIANTS[training.DEFAULT_VARIANT]
    training.train_crf(pages, variant, str(tmp_path / "m.crfsuite"), seed=1)
    model = page_roles.PageRoleModel(tmp_path / "m.crfsuite", {"body_floor": 0.5, "features": variant.get("features")})
    held_out = _synthetic_page("一个从没见过的新标题", 42)
    assert model.predict_roles(held_out["lines"]) == held_out["roles"]


def test_label_page_gives_lines_the_role_of_their_units():
    doc = {"doc": "x", "text": "标题\n正文一句。正文二句。\n\n阅读 3", "sentences": [
        {"text": "标题", "role": "title"}, {"text": "正文一句。", "role": "body"},
        {"text": "正文二句。", "role": "body"}, {"text": "阅读 3", "role": "furniture"}]}
    page = training.label_page(doc)
    assert page["roles"] == ["title", "body", "blank", "furniture"]
    assert [u["line"] for u in page["units"]] == [0, 1, 1, 3]


@pytest.mark.parametrize("lines", [["只有一行正文没有标点"], ["第一行", "第二行。"]])
def test_too_short_pages_are_left_alone(lm, lines):
    record = clean_page("\n".join(lines), lm)
    assert record["text"].replace("\n", "") == "".join(lines)


def test_a_file_of_many_articles_is_left_to_the_rules(lm):
    paragraphs = [f"第{k}篇文章说，人工智能的发展需要规则，也需要耐心和时间。" for k in range(500)]
    text = "\n".join(["分享到：微信 微博", *paragraphs])  # 501 lines: no single page
    record = clean_page(text, lm)
    assert "分享到" in record["text"]
    assert any("page roles not read" in r["reason"] for r in record["repairs"])


def test_eval_clean_with_other_gold_prints_one_json_object_last(tmp_path, capsys):
    import json

    from pipeline.evaluate import clean as evaluation

    units = [{"text": HEADLINE, "role": "title"}, {"text": "2023-05-01 10:00 来源：新华社 作者：张三", "role": "meta"},
             {"text": "分享到：微信 微博 QQ空间", "role": "furniture"}, *({"text": b, "role": "body"} for b in BODY)]
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"doc": "p1", "text": PAGE, "sentences": units}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert evaluation.main(["--gold", str(gold), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["cross_validated"] is False
    assert result["ours"]["body_kept"] == 1.0 and result["ours"]["titles_right"] == 1.0
    assert result["ours"]["meta_removed"] == 1.0 and result["ours"]["furniture_removed"] == 1.0
    assert result["peer_rules_only"]["furniture_removed"] == 0.0  # the rules keep the share line


def _article(headline: str, n: int) -> list[str]:
    return [headline, *(f"第{n}篇文章的第{k}段说，人工智能的发展需要规则，也需要耐心和时间，各方意见并不一致。" for k in range(3))]


def test_a_file_of_articles_parted_by_separator_lines_is_split_at_them(lm):
    lines = [*_article("第一篇的标题在这里", 1), "", "------", "", *_article("第二篇的标题在这里", 2), "",
             "* * *", *_article("第三篇的标题", 3)]
    text = "\n".join(lines)
    records = clean_unit(Unit(id="many", text=text, source_file="many.txt", encoding="utf-8", format="text"), lm)
    assert [r["id"] for r in records] == ["many-1", "many-2", "many-3"]
    assert [r["meta"]["title"] for r in records[1:]] == ["第二篇的标题在这里", "第三篇的标题"]
    for n, record in enumerate(records, 1):
        assert all(f"第{n}篇文章的第{k}段" in record["text"] for k in range(3))
        assert "------" not in record["text"] and "* * *" not in record["text"]
        assert text[raw_index(record["offsets"], len(record["text"]) - 1)] == record["text"][-1]


def test_a_separator_followed_by_body_text_is_a_section_break_not_an_article(lm):
    lines = [*_article("标题在这里", 1), "* * *", *_article("", 2)[1:]]
    records = clean_unit(Unit(id="one", text="\n".join(lines), source_file="one.txt", encoding="utf-8", format="text"), lm)
    assert len(records) == 1
    assert "第2篇文章的第0段" in records[0]["text"]


def test_a_headline_guess_kept_in_the_text_is_not_glued_to_the_next_line(lm, monkeypatch):
    """A headline the chooser is unsure of stays in the text, but as its own paragraph."""
    from pipeline.components.clean.title_choice import TitleChooser

    model = page_roles.load()
    unsure = TitleChooser({"candidate=0": 5.0}, -5.5, threshold=0.99, name_threshold=0.1)  # line 0 scores 0.38
    monkeypatch.setattr(model, "title_chooser", unsure)
    monkeypatch.setitem(model.config, "body_floor", 0.0)  # the CRF keeps every line in the body
    monkeypatch.setitem(model.config, "body_floor_long", 0.0)
    text = "\n".join([HEADLINE, *BODY, "另一段正文，讲的是别的事情，也有不少细节，需要慢慢读完。"])
    with page_roles.using_model(model):
        record = clean_page(text, lm)
    assert record["meta"]["title"] == HEADLINE
    assert record["text"].split("\n")[:2] == [HEADLINE, BODY[0]]
    assert any(r["reason"].startswith("headline guess") for r in record["repairs"])
