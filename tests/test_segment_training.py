"""Training helpers: the jackknifed lexicon and the tags the CRF learns from."""

from pipeline.components.segment import tags_to_cuts, words_to_tags
from pipeline.train.segment import full_lexicon, jackknife_lexicons

CORPUS = [["北京", "欢迎", "你"], ["上海", "欢迎", "我"], ["北京", "很", "大"], ["广州", "人"]]


def test_segment_jackknife_lexicon_hides_words_seen_only_in_own_fold():
    lexicons = jackknife_lexicons(CORPUS, folds=2, min_count=1)
    # fold 0 = sentences 0 and 2, fold 1 = sentences 1 and 3
    assert "北京" not in lexicons[0].words  # both 北京 sentences are in fold 0
    assert "北京" in lexicons[1].words
    assert "上海" in lexicons[0].words and "上海" not in lexicons[1].words
    assert "欢迎" in lexicons[0].words and "欢迎" in lexicons[1].words
    assert "你" not in lexicons[0].words  # single characters are never lexicon words


def test_segment_lexicon_prefixes_allow_early_stop():
    lexicon = jackknife_lexicons([["中华人民共和国"], ["x"]], folds=2, min_count=1)[1]
    assert "中华人民共和国" in lexicon.words
    assert {"中华", "中华人", "中华人民共和"} <= lexicon.prefixes


def test_segment_full_lexicon_respects_min_count():
    assert full_lexicon(CORPUS, min_count=2) == ["北京", "欢迎"]


def test_segment_tags_round_trip():
    words = ["中华人民共和国", "成立", "了"]
    tags = words_to_tags(words)
    assert tags == ["B", "M", "M", "M", "M", "M", "E", "B", "E", "S"]
    assert [i for i, cut in enumerate(tags_to_cuts(tags)) if cut] == [0, 7, 9]


def test_segment_overlap_check_splits_sentences_with_closing_quotes():
    from pipeline.train.segment import _sentences

    # closing quotes stay with their sentence; pieces of punctuation only are not compared
    assert _sentences("他说：“你好。”我们走吧！*****") == ["他说：“你好。”", "我们走吧！"]
