"""Rules on top of the CRF: Latin runs never split, user-dictionary words forced whole."""

import pytest
from pipeline.components.segment import apply_rules, cuts_to_spans, tags_to_cuts, UserDictionary, words_to_tags


def words_after_rules(words, user_words=()):
    """Apply the rules to a given (possibly bad) segmentation and return the words."""
    text = "".join(words)
    cuts = apply_rules(text, tags_to_cuts(words_to_tags(words)), UserDictionary.from_words(user_words) if user_words else None)
    return [text[b:e] for b, e in cuts_to_spans(cuts)]


@pytest.mark.parametrize(
    "shredded, expected",
    [
        # model output that cuts inside a Latin/digit run → the run is glued back
        (["X", ".", "ai", "是", "公司"], ["X.ai", "是", "公司"]),
        (["GPT", "-", "4", "发布"], ["GPT-4", "发布"]),
        (["e", "Bay", "收购"], ["eBay", "收购"]),
        (["20", "24", "年"], ["2024", "年"]),
        (["访问", "https", "://", "x", ".com/a", "。"], ["访问", "https://x.com/a", "。"]),
        # Chinese words are left as the model cut them
        (["我们", "在", "北京"], ["我们", "在", "北京"]),
    ],
)
def test_segment_latin_runs_stay_whole(shredded, expected):
    assert words_after_rules(shredded) == expected


def test_segment_latin_run_rule_does_not_glue_across_slash_or_space():
    assert words_after_rules(["Google", "/", "DeepMind"]) == ["Google", "/", "DeepMind"]


def test_segment_user_dict_words_are_forced_whole():
    words = ["埃隆", "·", "马", "斯克", "创办", "亚马逊云", "科技"]
    assert words_after_rules(words, {"埃隆·马斯克", "亚马逊云科技"}) == ["埃隆·马斯克", "创办", "亚马逊云科技"]


def test_segment_user_dict_splits_a_model_word_that_hides_it():
    # the model glued 了 onto the name; the dictionary word gets its own edges
    assert words_after_rules(["马斯克了"], {"马斯克"}) == ["马斯克", "了"]


def test_segment_user_dict_never_cuts_a_latin_run():
    # GPT-4 is in the dictionary but GPT-4o is a different, longer Latin run
    assert words_after_rules(["GPT-4o", "上线"], {"GPT-4"}) == ["GPT-4o", "上线"]
