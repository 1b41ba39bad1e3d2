"""The lexical line model (character n-gram logistic regression) and its place in the page-role CRF."""

from __future__ import annotations

import pytest

from pipeline.components.clean import line_lexicon, page_roles
from pipeline.train import page_roles as training

FURNITURE = ["点击分享到朋友圈", "分享至微博", "点击阅读原文", "扫码分享给好友", "点击这里订阅", "分享到微信"]
BODY = ["专家认为人工智能的发展需要更多监管。", "这家公司今年发布了新的语言模型。", "研究人员在论文中报告了新的结果。",
        "政府部门表示将加快制定相关规则。", "许多学者对这一技术的前景看法不一。", "业内人士指出数据安全问题值得重视。"]


def _fit(**kwargs):
    texts = FURNITURE + BODY
    return line_lexicon.fit(texts, ["furniture"] * len(FURNITURE) + ["body"] * len(BODY), **kwargs)


def test_ngrams_mark_the_ends_and_read_traditional_and_digits_alike():
    grams = line_lexicon.ngrams("點擊3")
    assert {"^", "$", "^点", "点击", "击0$"} <= grams
    assert line_lexicon.ngrams("点击7") == grams  # simplified, digits as 0


def test_lexicon_separates_two_obvious_classes():
    lexicon = _fit(c=10.0, min_lines=2)
    share = lexicon.probabilities("点击分享本文")
    sentence = lexicon.probabilities("研究人员认为这一技术需要监管。")
    assert sum(share.values()) == pytest.approx(1.0)
    assert share["furniture"] > 0.6 and sentence["body"] > 0.6


def test_min_lines_prunes_ngrams_of_one_line():
    lexicon = _fit(c=1.0, min_lines=2)
    assert "订阅" not in lexicon.weights  # in one training line only
    assert "分享" in lexicon.weights


def test_lexicon_round_trips_through_its_file(tmp_path):
    lexicon = _fit(c=1.0)
    lexicon.save(tmp_path / "lex.json")
    again = line_lexicon.LineLexicon.load(tmp_path / "lex.json")
    for text in ("分享至微信", "专家表示监管很重要。"):
        assert again.probabilities(text) == pytest.approx(lexicon.probabilities(text), abs=1e-4)


def test_fit_is_deterministic():
    assert _fit(c=1.0).to_json() == _fit(c=1.0).to_json()


def _page(n: int) -> dict:
    lines = [f"第{n}条新闻的标题", "点击分享到朋友圈", "",
             *(f"第{n}篇文章第{k}段讲了一件事情，其中有许多细节，读者可以慢慢读完它。" for k in range(3)),
             "扫码分享给好友"]
    return {"doc": f"p{n}", "lines": lines, "roles": ["title", "furniture", "blank", "body", "body", "body", "furniture"]}


def test_stacked_training_gives_a_crf_that_reads_the_lexicon(tmp_path):
    pages = [_page(n) for n in range(15)]
    variant = {**training.VARIANTS[training.DEFAULT_VARIANT], "lexicon": {"c": 3.0, "min_lines": 2}}
    out_of_fold = training.stacked_lexical(pages, variant["lexicon"], seed=1)
    assert [len(p) for p in out_of_fold] == [6] * 15  # one P(role) per non-blank line
    lexicon = training.train_role_model(pages, variant, str(tmp_path / "m.crfsuite"), seed=1)
    assert lexicon is not None
    model = page_roles.PageRoleModel(tmp_path / "m.crfsuite", {"body_floor": 0.5, "features": variant["features"]},
                                     lexicon=lexicon)
    held_out = _page(99)
    assert model.predict_roles(held_out["lines"]) == held_out["roles"]
    features = model.read_page(held_out["lines"])[2]
    assert features[1]["lex_furniture"] > features[1]["lex_body"]  # the share line, by its words


def test_committed_model_ships_its_lexicon_and_reads_a_share_line_as_furniture():
    model = page_roles.load()
    assert model.lexicon is not None and model.config["lexicon"] == "line_lexicon.json"
    share = model.lexicon.probabilities("分享到：微信 微博 QQ空间")
    assert share["furniture"] > share["body"]
