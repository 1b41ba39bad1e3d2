"""The stage API: load/annotate on a tiny CRF trained here in milliseconds."""

import json

import pycrfsuite
import pytest

from pipeline.components import annotate_with
from pipeline.components import segment

TINY_CORPUS = [
    ["我们", "在", "北京", "工作", "。"],
    ["他", "在", "上海", "学习", "人工", "智能", "。"],
    ["马斯克", "创办", "了", "新", "公司", "。"],
    ["我们", "学习", "，", "他们", "工作", "。"],
] * 5


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("segmenter")
    lexicon = segment.Lexicon.from_words(w for words in TINY_CORPUS for w in words)
    trainer = pycrfsuite.Trainer(verbose=False)
    for words in TINY_CORPUS:
        trainer.append(segment.char_features("".join(words), lexicon), segment.words_to_tags(words))
    trainer.set_params({"max_iterations": 30})
    trainer.train(str(folder / "model.crfsuite"))
    (folder / "lexicon.txt").write_text("\n".join(sorted(lexicon.words)), encoding="utf-8")
    (folder / "config.json").write_text(json.dumps({"version": segment.VERSION}), encoding="utf-8")
    user_dict = folder / "user_dict.txt"
    user_dict.write_text("# comment\nX.ai\n人工智能\n", encoding="utf-8")
    return segment.load({"model": str(folder), "user_dict": str(user_dict), "processes": 1})


def check_tokens_cover_text(record):
    text, tokens = record["text"], record["tok"]
    covered = set()
    for word, begin, end in tokens:
        assert text[begin:end] == word
        assert word.strip() == word and word, f"whitespace inside token {word!r}"
        covered.update(range(begin, end))
    assert covered == {i for i, ch in enumerate(text) if not ch.isspace()}
    assert [t[1] for t in tokens] == sorted(t[1] for t in tokens)


@pytest.mark.parametrize(
    "text",
    [
        "我们在北京工作。",
        "他在 上海学习人工智能。\n马斯克创办了X.ai。",  # spaces and newline are not tokens
        "ＧＰＴ－４在２０２３年发布",  # full-width input: offsets still index the original
        "",
        "   ",
    ],
)
def test_segment_tokens_cover_every_non_space_character(tiny_model, text):
    (record,) = annotate_with(segment, [{"id": "d", "text": text}], tiny_model)
    check_tokens_cover_text(record)


def test_segment_user_dict_and_latin_runs_apply(tiny_model):
    (record,) = annotate_with(segment, [{"id": "d", "text": "他学习人工智能和X.ai。"}], tiny_model)
    words = [w for w, _, _ in record["tok"]]
    assert "人工智能" in words and "X.ai" in words


def test_segment_uses_sentence_spans(tiny_model):
    text = "我们工作他们学习"
    (record,) = annotate_with(segment, [{"id": "d", "text": text, "sentences": [[0, 4], [4, 8]]}], tiny_model)
    check_tokens_cover_text(record)
    assert 4 in {begin for _, begin, _ in record["tok"]}  # a sentence edge is a word edge


def test_segment_text_outside_sentence_spans_is_still_tokenised(tiny_model):
    text = "标题\n我们工作。他们学习"
    (record,) = annotate_with(segment, [{"id": "d", "text": text, "sentences": [[3, 8]]}], tiny_model)
    check_tokens_cover_text(record)


def test_segment_annotate_is_pure_and_pool_matches_serial(tiny_model):
    records = [{"id": str(i), "text": "我们在北京工作。他在上海学习。", "meta": {}} for i in range(6)]
    serial = annotate_with(segment, records, tiny_model)
    pooled = annotate_with(segment, records, segment.Segmenter(**{**tiny_model.__dict__, "processes": 2}))
    assert all("tok" not in r for r in records)
    assert [r["tok"] for r in pooled] == [r["tok"] for r in serial]
    assert serial[0]["meta"] == {} and serial[0]["id"] == "0"


def test_segment_compiled_crf_matches_crfsuite_tagger(tiny_model):
    tagger = pycrfsuite.Tagger()
    tagger.open(str(tiny_model.crf.model_path))
    texts = ["我们在北京工作。", "他学习人工智能", "马斯克创办了新公司，我们学习。", "新"]
    expected = [tagger.tag(segment.char_features(t, tiny_model.lexicon)) for t in texts]
    scores = [tiny_model.crf.emissions(t, tiny_model.lexicon) for t in texts]
    assert tiny_model.crf.decode(scores) == expected
