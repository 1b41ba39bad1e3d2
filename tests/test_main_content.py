"""HTML main content: trafilatura chooses the article, offsets still lead to the raw bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.components.clean import main_content
from pipeline.components.clean.cleaner import clean_unit
from pipeline.components.clean.readers import Unit
from pipeline.record.offsets import raw_index

PAGE = Path(__file__).parent / "fixtures" / "news_page.html"
BODY = [
    "在最近的一次采访中，马斯克表示人工智能将深刻改变人类社会的方方面面，他呼吁各国政府尽快建立监管框架，以免技术失控带来难以挽回的后果。",
    "他还说，人工智能的发展速度超出了大多数人的预期，行业需要更多的透明度和问责机制，才能赢得公众信任，这一点“非常重要”。",
    "业内专家对此看法不一，有人认为监管会抑制创新，也有人认为现在正是制定规则的最好时机，各方仍在激烈讨论之中。",
]
CLUTTER = ["首页", "科技频道", "登录注册", "分享到", "相关阅读", "科技巨头加码投资大模型", "版权所有", "脚本里的文字"]


def clean_html(source: str, lm) -> dict:
    [record] = clean_unit(Unit(id="page", text=source, source_file="page.html", encoding="utf-8", format="html"), lm)
    return record


@pytest.fixture(scope="module")
def source() -> str:
    return PAGE.read_bytes().decode("utf-8")


def test_body_kept_and_clutter_dropped(lm, source):
    pytest.importorskip("trafilatura")
    record = clean_html(source, lm)
    assert record["text"].split("\n") == BODY
    for clutter in CLUTTER:
        assert clutter not in record["text"]
    assert record["meta"]["title"] == "马斯克谈人工智能监管"
    assert any(r["action"] == "extract" and "trafilatura" in r["reason"] for r in record["repairs"])
    [related] = [r for r in record["repairs"] if r.get("text") == "科技巨头加码投资大模型"]
    assert related["reason"] == "outside the main content (trafilatura)"
    assert source[related["begin"]:related["end"]] == "科技巨头加码投资大模型"


def test_every_kept_character_maps_back_to_the_raw_bytes(lm, source):
    pytest.importorskip("trafilatura")
    record = clean_html(source, lm)
    raw = PAGE.read_bytes()
    for position, char in enumerate(record["text"]):
        if char == "\n":
            continue
        at = raw_index(record["offsets"], position)
        if char in "“”":  # an entity (&ldquo;) maps to its ampersand
            assert source[at] == "&"
            continue
        assert source[at] == char
        byte = len(source[:at].encode("utf-8"))
        assert raw[byte:byte + len(char.encode("utf-8"))] == char.encode("utf-8")


def test_extractor_finding_nothing_falls_back_to_the_walk(lm, source, monkeypatch):
    monkeypatch.setattr(main_content, "extract_main_text", lambda html: None)
    record = clean_html(source, lm)
    for paragraph in BODY:
        assert paragraph in record["text"]
    assert any(r["reason"] == "main content: visible-text walk (trafilatura found nothing)" for r in record["repairs"])
    assert not any(r.get("reason") == "outside the main content (trafilatura)" for r in record["repairs"])


def test_extracted_text_not_in_the_page_falls_back_to_the_walk(lm, source, monkeypatch):
    monkeypatch.setattr(main_content, "extract_main_text", lambda html: "完全不同的一段文字，页面上没有。")
    record = clean_html(source, lm)
    assert BODY[0] in record["text"]
    assert any("not found in the page" in r["reason"] for r in record["repairs"])


def test_align_ignores_whitespace_and_finds_re_punctuated_lines_in_pieces():
    walk = "导航 首页\n第一段 文字在这里。\n第二段的文字也在这里，而且比较长一些。\n页脚"
    covered, share = main_content.align(walk, "第一段文字在这里。\n第二段的文字也在这里,而且比较长一些。")
    lines, begin = [], 0
    for line in walk.split("\n"):
        visible = [i for i in range(begin, begin + len(line)) if not walk[i].isspace()]
        lines.append(sum(covered[i] for i in visible) / len(visible))
        begin += len(line) + 1
    assert lines[0] == 0 and lines[3] == 0  # navigation and footer: not in the extract
    assert lines[1] == 1.0  # found whole once spaces are ignored
    assert 0.5 < lines[2] < 1.0  # the re-punctuated line: found in pieces
    assert 0.5 < share < 1.0
