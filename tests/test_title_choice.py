"""The headline chooser: one line per page, learnt on top of the line CRF."""

from __future__ import annotations

from pipeline.components.clean import page_roles, title_choice
from pipeline.components.clean.title_choice import TitleChooser
from pipeline.train import page_roles as training, page_titles

BODY = "第{n}篇文章的第{k}段讲了一件很长的事情，其中有许多细节，读者可以慢慢读完它，也可以跳过它去看别的。"


def _page(headline: str, n: int, menu_first: bool) -> dict:
    """A page with a headline under (or over) a menu line, a counter, then the article."""
    top = ["首页 > 科技 > 正文", headline] if menu_first else [headline, "首页 > 科技 > 正文"]
    lines = [*top, f"阅读 {n}", "", *(BODY.format(n=n, k=k) for k in range(3))]
    roles = ["furniture", "title"] if menu_first else ["title", "furniture"]
    return {"lines": lines, "roles": [*roles, "furniture", "blank", "body", "body", "body"]}


def test_candidates_are_the_lines_above_the_article_and_its_first_line():
    features = page_roles.page_features(["菜单", "标题在这里", "", BODY.format(n=1, k=1), BODY.format(n=1, k=2)])
    assert title_choice.candidates(features) == [0, 1, 2]  # positions among non-blank lines


def test_best_candidate_is_the_highest_score_and_ties_go_to_the_earlier_line():
    chooser = TitleChooser({"m_title": 4.0}, -2.0, threshold=0.5)
    features = [{"before_article": 1.0}, {"before_article": 1.0}, {}]
    marginals = [{"title": 0.2}, {"title": 0.9}, {"title": 0.0}]
    position, score = chooser.best(features, marginals, ["甲甲", "乙乙", "丙丙"])
    assert position == 1
    assert abs(score - 1 / (1 + 2.718281828 ** -(4.0 * 0.9 - 2.0))) < 1e-6
    even = [{"title": 0.5}, {"title": 0.5}, {"title": 0.5}]
    assert chooser.best(features, even, ["甲甲", "乙乙", "丙丙"])[0] == 0


def test_round_trip_through_json_keeps_the_scores():
    chooser = TitleChooser({"m_title": 1.5, "len=3": -0.25}, 0.1, threshold=0.6, name_threshold=0.05)
    again = TitleChooser.from_json(chooser.to_json())
    assert again.threshold == 0.6 and again.name_threshold == 0.05
    assert again.score({"m_title": 0.5, "len=3": 1.0}) == chooser.score({"m_title": 0.5, "len=3": 1.0})


def test_tiny_training_picks_the_headline_wherever_the_menu_is(tmp_path):
    pages = [_page(f"第{n}个新闻标题讲人工智能", n, menu_first=n % 2 == 0) for n in range(16)]
    variant = training.VARIANTS[training.DEFAULT_VARIANT]
    predictions = training.cross_validate(pages, variant, seed=1)
    rows = [row for page, prediction in zip(pages, predictions)
            for row in page_titles.examples(page, training._features(page, variant), prediction, lexical=False)]
    assert sum(label for _, label in rows) == 16  # one positive per page
    chooser = page_titles.fit(rows, c=1.0, lexical=False)
    training.train_crf(pages, variant, str(tmp_path / "m.crfsuite"), seed=1)
    model = page_roles.PageRoleModel(tmp_path / "m.crfsuite", {"body_floor": 0.5, "features": variant.get("features")},
                                     chooser)
    for menu_first in (True, False):
        held_out = _page("一个从没见过的新标题", 99, menu_first)
        roles, marginals, features = model.read_page(held_out["lines"])
        texts = [line for line in held_out["lines"] if line.strip()]
        position, _ = chooser.best(features, marginals, texts)
        assert texts[position] == "一个从没见过的新标题"


def test_copies_of_the_headline_are_dropped_as_furniture():
    texts = ["李开复谈人工智能的焦虑", "李开复谈人工智能的焦虑", "", "李开复谈人工智能的焦虑图1",
             "李开复谈人工智能的焦虑，这是他最近常说的话，也是正文的第一句。", "其他正文。"]
    roles = ["title", "body", "blank", "body", "body", "body"]
    page_roles._drop_copies_of_headline(texts, roles, [0])
    assert roles == ["title", "furniture", "blank", "furniture", "body", "body"]
