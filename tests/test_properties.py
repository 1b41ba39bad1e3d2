"""Property-based tests (hypothesis): arbitrary Unicode never breaks the cleaner, the
sentence splitter or the offset map; models that cannot load say which file and how to
get it back."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.running import shard_job as runner
from pipeline.components.clean.cleaner import clean_unit, split_sentences
from pipeline.record.offsets import raw_index
from pipeline.record.text import to_halfwidth
from pipeline.components.clean.readers import Unit

# Text that looks like messy input: Chinese, Latin, digits, punctuation, markup, breaks.
pieces = st.sampled_from(["人工智能", "马斯", "克", "。", "，", "！", "？", "“", "”", "\n", "\n\n", "\r\n", "\n\n\n\n",
                          "# ", "**", "![](http://x/a.png)", "END", "本报记者 张三 北京报道", "ＧＰＴ－４", "X.ai", " ", "\t", "<p>", "&amp;"])
messy = st.lists(st.one_of(pieces, st.text(max_size=8)), max_size=40).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=messy, fmt=st.sampled_from(["text", "html"]))
def test_property_clean_never_raises_and_maps_back(lm, text, fmt):
    for record in clean_unit(Unit("doc", text, "doc.txt", "utf-8", fmt), lm):
        cleaned = record["text"]
        for position, char in enumerate(cleaned):
            source = text[raw_index(record["offsets"], position)]
            # A line break comes from a raw line break, or in HTML from the tag that made it.
            assert to_halfwidth(source) == char or (char.isspace() and (source.isspace() or fmt == "html" and source == "<"))
        for begin, end in record["sentences"]:
            assert 0 <= begin < end <= len(cleaned)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(messy, st.text()))
def test_property_sentences_rejoin_to_the_text(text):
    spans = split_sentences(text)
    rebuilt, position = [], 0
    for begin, end in spans:
        assert position <= begin < end
        assert text[position:begin].isspace() or position == begin  # only whitespace between sentences
        rebuilt.append(text[position:end])
        position = end
    rebuilt.append(text[position:])
    assert "".join(rebuilt) == text
    assert text[position:].strip() == ""


def test_missing_model_names_the_file_and_the_fix(monkeypatch):
    from pipeline.components import segment

    def broken_load(params):
        raise FileNotFoundError(2, "No such file or directory", params["model"] + "/config.json")

    monkeypatch.setattr(segment, "load", broken_load)
    with pytest.raises(RuntimeError) as error:
        runner.build_component("segment", "zh.segment.crf_lexicon.v2", {"model": "models/segmenter"})
    message = str(error.value)
    assert "models/segmenter/config.json" in message and "git checkout -- models/segmenter" in message
