"""Each cleaning rule on a small hand-made case."""

from __future__ import annotations

import pytest

from pipeline.components.clean.cleaner import clean_unit, split_sentences
from pipeline.record.offsets import offset_runs, raw_index
from pipeline.record.text import to_halfwidth
from pipeline.components.clean.readers import Unit

WECHAT = """# 标题：人工智能的未来

文章作者: 某公众号
发布时间: 2023-06-05 10:02
发布地: 上海
原文链接: http://mp.weixin.qq.com/s?__biz=abc#rd

封面图链接: https://example.com/cover/300

![](https://example.com/a.png)

图｜张三  
文｜李四

在最近的采访中，**他说**人工智能很重要。

  * 第一点很关键。

> “引用的一段话。”

END

![](https://example.com/qr.png)

扫码加入读者群，

和作者及时互动，

**点这里****👇 关注我，记得标星哦～**
"""


def clean_text(text: str, lm, fmt: str = "text") -> list[dict]:
    return clean_unit(Unit(id="doc", text=text, source_file="doc.txt", encoding="utf-8", format=fmt), lm)


def test_clean_wechat_header_goes_to_meta(lm):
    [record] = clean_text(WECHAT, lm)
    meta = record["meta"]
    assert meta["title"] == "标题：人工智能的未来"
    assert meta["author"] == "某公众号"
    assert meta["date"] == "2023-06-05 10:02"
    assert meta["place"] == "上海"
    assert meta["url"] == "http://mp.weixin.qq.com/s?__biz=abc#rd"
    assert meta["cover_url"] == "https://example.com/cover/300"


@pytest.mark.parametrize(
    "boilerplate",
    ["文章作者", "https://", "![", "图｜", "文｜", "END", "扫码加入读者群", "和作者及时互动", "点这里", "关注我", "**", "> ", "* "],
)
def test_clean_wechat_boilerplate_removed(lm, boilerplate):
    [record] = clean_text(WECHAT, lm)
    assert boilerplate not in record["text"]


def test_clean_keeps_body_and_title(lm):
    [record] = clean_text(WECHAT, lm)
    assert record["text"].splitlines() == [
        "标题：人工智能的未来",
        "在最近的采访中，他说人工智能很重要。",
        "第一点很关键。",
        "“引用的一段话。”",
    ]


def test_clean_line_broken_inside_sentence_is_joined(lm):
    [record] = clean_text("第一段很完整。\n\n它的治理不负责其LLM\nAGI（假设由公司开发）。\n", lm)
    assert "不负责其LLM AGI（假设由公司开发）。" in record["text"]
    space = record["text"].index("LLM AGI") + 3
    assert raw_index(record["offsets"], space) == "第一段很完整。\n\n它的治理不负责其LLM\n".rindex("\n")


def test_clean_splits_two_articles_at_bylines(lm):
    text = (
        "第一篇的标题\n\n本报记者 张三 李四 北京报道\n\n第一篇的正文说了一件事。\n\n"
        "第二篇的标题\n\n本报记者 王五 上海报道\n\n第二篇的正文说了另一件事。\n"
    )
    first, second = clean_text(text, lm)
    assert (first["id"], second["id"]) == ("doc-1", "doc-2")
    assert first["meta"]["title"] == "第一篇的标题" and second["meta"]["title"] == "第二篇的标题"
    assert first["meta"]["author"] == "张三 李四" and first["meta"]["place"] == "北京"
    assert second["meta"]["author"] == "王五" and second["meta"]["place"] == "上海"
    assert "另一件事" not in first["text"] and "第二篇的正文说了另一件事。" in second["text"]


def test_clean_rejoins_paragraph_cut_by_layout(lm):
    text = (
        "马斯克在公司发展中也解除了职务，直至离\n\n"
        "这是另一个完整的段落，讲的是别的事情。\n\n"
        "开。2017年，马斯克买回了这个域名。\n"
    )
    [record] = clean_text(text, lm)
    assert "直至离开。2017年" in record["text"]
    assert "这是另一个完整的段落" in record["text"]
    assert any(r["action"] == "join" for r in record["repairs"])


def test_clean_does_not_join_a_complete_paragraph(lm):
    text = "第一段到此结束。\n\n的第二段看起来像续接但第一段已经完整。\n"
    [record] = clean_text(text, lm)
    assert record["text"] == "第一段到此结束。\n的第二段看起来像续接但第一段已经完整。"


def test_clean_never_joins_a_paragraph_that_opens_with_a_connective(lm):
    text = "他们正在与相关组织和机构合作\n\n需要指出的是，这一段是新的开始。\n"
    [record] = clean_text(text, lm)
    assert record["text"].splitlines()[1] == "需要指出的是，这一段是新的开始。"


def test_clean_drops_pull_quote_repeating_body(lm):
    text = (
        "正文第一段讲了很多内容。\n\n“马斯克的思维武器是第一性原理。”\n\n"
        "龚斌认为，“马斯克的思维武器是第一性原理。从他做的事可以看出来。”\n"
    )
    [record] = clean_text(text, lm)
    assert record["text"].count("思维武器") == 1
    assert any(r["reason"] == "pull quote repeating body text" for r in record["repairs"])


def test_clean_completes_paragraph_from_pull_quote(lm):
    text = (
        "小标题\n\n“从当下来看，生成式AI对社会的冲击还很有限。”\n\n"
        "律师认为，这不可能。从当下来看，生成式AI对\n\n另一段完整的正文。\n"
    )
    [record] = clean_text(text, lm)
    assert "律师认为，这不可能。从当下来看，生成式AI对社会的冲击还很有限。" in record["text"]
    assert record["text"].count("冲击") == 1


def test_clean_removes_image_caption_after_layout_gap(lm):
    text = "第一段正文写完了。\n\n\n\n亚马逊一口气上线了四项技术创新。\n\n第二段正文也写完了。\n"
    [record] = clean_text(text, lm)
    assert "四项技术创新" not in record["text"]
    assert record["meta"]["captions"] == ["亚马逊一口气上线了四项技术创新。"]


def test_clean_normalises_width_but_keeps_chinese_punctuation(lm):
    [record] = clean_text("ＧＰＴ－４和Ｘ．ａｉ在２０２３年发布，很重要！\n", lm)
    assert record["text"] == "GPT-4和X.ai在2023年发布，很重要！"


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("他说：“危险。”然后走了。", ["他说：“危险。”", "然后走了。"]),
        ("真的吗？！是的。", ["真的吗？！", "是的。"]),
        ("第一行没有句号\n第二行。", ["第一行没有句号", "第二行。"]),
        ("（括号里的话。）后面", ["（括号里的话。）", "后面"]),
        ("", []),
    ],
)
def test_clean_split_sentences(text, sentences):
    assert [text[b:e] for b, e in split_sentences(text)] == sentences


def test_clean_offsets_map_every_character_back(lm):
    raw = WECHAT.replace("人工智能很重要", "ＡＩ很重要")
    [record] = clean_text(raw, lm)
    for position, char in enumerate(record["text"]):
        source = raw[raw_index(record["offsets"], position)]
        assert to_halfwidth(source) == char or (char.isspace() and source.isspace()), (position, char, source)


def test_clean_offset_runs_round_trip():
    index = [5, 6, 7, 20, 21, 3]
    runs = offset_runs(index)
    assert runs == [[0, 5, 3], [3, 20, 2], [5, 3, 1]]
    assert [raw_index(runs, i) for i in range(len(index))] == index


def test_clean_html_drops_script_and_style(lm):
    html = (
        "<html><head><title>新闻标题</title><style>p{color:red}</style>"
        "<script>var x = '不要我';</script></head><body><p>人工智能&amp;安全很重要。</p>"
        "<p>第二段。</p></body></html>"
    )
    [record] = clean_text(html, lm, fmt="html")
    assert record["meta"]["title"] == "新闻标题"
    assert record["text"] == "人工智能&安全很重要。\n第二段。"
    assert "不要我" not in record["text"]
    ampersand = record["text"].index("&")
    assert html[raw_index(record["offsets"], ampersand)] == "&"


@pytest.mark.parametrize("damage", ["truncated", "not_gzip", "not_json"])
def test_a_damaged_character_model_is_named_with_how_to_restore_it(tmp_path, damage):
    import gzip

    from pipeline.components.clean.charlm import CharTrigramLM

    good = gzip.compress(b'{"": 10, "\\u4eba": 3}')
    data = {"truncated": good[:-6], "not_gzip": b"plain bytes", "not_json": gzip.compress(b"{oops")}[damage]
    (tmp_path / "ngrams.json.gz").write_bytes(data)
    with pytest.raises(RuntimeError, match=r"ngrams\.json\.gz: missing or corrupt.*git checkout -- models/charlm"):
        CharTrigramLM.load(tmp_path)
    (tmp_path / "ngrams.json.gz").write_bytes(good)
    assert CharTrigramLM.load(tmp_path).counts == {"": 10, "人": 3}
