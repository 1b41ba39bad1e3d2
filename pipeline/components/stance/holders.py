"""Who holds the stance of each AI sentence: a learned choice among candidates.

The holder rules of ``pipeline.components.stance`` (speech-verb subjects, pronoun and quotation
continuation) were written against the dev sentences and get the named holder right for
under half of the sentences of other documents. Here the rules' structure becomes features
and a model trained on whole labelled documents (``train_docs.jsonl``) makes the choice:

1. **Candidates** for an AI sentence: the record's PER/ORG/LOC NER mentions in it and in the
   :data:`WINDOW` sentences before it; names the rules' patterns find there (``person_names``,
   title+name, government bodies, quoted organisations, gazetteer names, the subjects of
   speech verbs and official acts, a bare name before a verb, 《document》 titles, an ``X:``
   interviewee); the rules' own answer; the document's most frequent speakers; the holder
   predicted for the previous AI sentence and the last named one (continuation); and one
   "none / narrator" candidate. Candidates are distinct surface forms; forms of one NER
   entity (辛顿, Geoffrey Hinton) share a group.
2. **Features** per candidate (:data:`FEATURES`): where its mentions sit relative to speech
   verbs and quotation marks, distance in characters and sentences, first mention, entity
   type, frequency in the document, agreement with the rules and with the previous / last
   named holder (same paragraph?), affiliation (…的, a title after it), nested in a longer
   name; on the none candidate, the sentence's own traits (starts with 他/她/其/该 or an open
   quote, speech verbs, unnamed groups, paragraph start, stance label). Plus one-hot lexical
   contexts learned in training (the tokens after and before a mention, the sentence's first
   tokens; ``config.json["vocabulary"]``).
3. **Scoring**: a linear, tree or two-stage (ranker + named-or-none gate) model
   (``config.json["scorer"]``, weights in ``weights.json``) scores every candidate; the best
   one is the holder, in document order, so the next sentence sees this one's choice
   (``config.json["beam"]`` > 1 keeps several histories instead).

The holder comes back as the document writes it; :meth:`HolderModel.canonical` maps it to
the canonical entity of the record's NER clusters (``pipeline.components.stance.names.canonical_holder``).
Everything runs on the 1:1 simplified, half-width copy of the text (``stance.normalise``).
The rules' private helpers (``_speakers``, ``_HolderState``, patterns) are reused so that the
features see exactly the structure the rules see.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.components.stance import cues
from pipeline.components.stance import speakers as speaker_rules
from pipeline.components.stance import lexicon
from pipeline.components.stance import names
from pipeline.record.text import normalise
from pipeline.paths import REPO_ROOT

DEFAULT_PATH = "models/stance_holder"
WINDOW = 3  # sentences before the AI sentence whose names are candidates

_SPEECH = re.compile(speaker_rules._SPEECH_VERBS)
_CLAUSE_END = set(speaker_rules._CLAUSE_END)
_TITLE_BEFORE = re.compile(rf"(?:{speaker_rules._TITLES})\s*$")
_OBJECT_MARKERS = set("对向与和跟被让给据将把从替为")
_PRONOUN_START = re.compile(r"^\s*(?:他们|她们|他|她|其|该|这位|此外|同时|并|也|还)")
_SUBJECT_PRONOUN = re.compile(r"^\s*(?:他|她|其|该|这位)(?!们)")
_INTERVIEWEE = speaker_rules._INTERVIEWEE
_LATIN = re.compile(r"^[A-Za-z][A-Za-z .\-]*$")
_STANCES = ("concerned", "neutral", "dismissive")
_TYPES = ("PER", "ORG", "LOC")
_SOURCES = ("ner", "person", "title", "government", "quoted", "gazetteer", "speaker", "interviewee", "verb_subject",
            "act_subject", "document_title", "doc_speaker", "rules", "previous", "last_named")
_OFFICIAL = re.compile(speaker_rules._OFFICIAL_ACTS)
_DOCUMENT_TITLE = re.compile(r"《([^》]{2,20})》")  # a declaration or framework speaking in its own voice
# What may stand before a speech verb as its whole subject (蓋茲表示, 警方指出) when no pattern named it.
_SUBJECT_RUN = re.compile(r"[\u4e00-\u9fff·A-Za-z0-9 ]{2,10}")
_AFTER_TITLE = re.compile(rf"(?:{speaker_rules._TITLES})([\u4e00-\u9fff·]{{2,4}})$")
DOC_SPEAKERS = 2  # the document's most frequent speakers are candidates everywhere (long quotations)

# The candidate features, then the sentence features (the latter set on the none candidate).
CANDIDATE_FEATURES = (
    "in_sentence", "sentence_distance", "mentions_in_sentence", "first_in_sentence", "relative_position",
    "clause_start_distance", "speech_verb_after", "speech_verb_distance", "speech_verb_before",
    "rules_speaker", "rules_first_speaker", "in_quote", "affiliation_after", "de_after", "title_before",
    "in_brackets", "object_marker_before", "doc_mentions", "doc_speaker_count", "name_length", "latin",
    "is_rules_answer", "is_previous_holder", "previous_gap", "is_last_named", "last_named_gap", "last_named_nones",
    "last_named_same_paragraph", "is_previous_rules_holder",
    "in_previous_sentence", "group_in_sentence", "interviewee_here", "nested",
    *(f"type_{t}" for t in (*_TYPES, "other")), *(f"source_{s}" for s in _SOURCES),
)
SENTENCE_FEATURES = (
    "s_pronoun_start", "s_subject_pronoun", "s_quote_start", "s_numbered_point", "s_speech_verbs",
    "s_rules_none", "s_unnamed_group", "s_hearsay", "s_first_person", "s_question", "s_length",
    "s_first_sentence", "s_previous_none", "s_candidates_here", "s_quote_open_before", "s_interview_question",
    "s_paragraph_start", "s_same_paragraph_as_previous", "s_no_last_named", "s_paragraphs_known",
    *(f"s_stance_{label}" for label in _STANCES),
)
FEATURES = (*CANDIDATE_FEATURES, "is_none", *SENTENCE_FEATURES)
_COLUMNS = {name: k for k, name in enumerate(FEATURES)}


@dataclass
class Candidate:
    form: str | None  # normalised surface form (None: narrator / unnamed)
    group: str  # forms of one entity share a group
    surface: str | None = None  # as the document writes it
    etype: str = "other"
    sources: set = field(default_factory=set)
    mentions: list = field(default_factory=list)  # (begin, end) in the record text
    nested: bool = False  # every mention inside a longer candidate's mention


# ---------------------------------------------------------------- per-document context


class _Document:
    """What every sentence of one record needs: normalised text, sentence index of a
    position, NER mentions and entity groups, the rules' holders and speakers."""

    def __init__(self, record: dict, stances_all: list[str], rule_model: lexicon.StanceModel):
        self.record = record
        self.text = record["text"]
        self.norm = normalise(self.text)
        self.spans = [tuple(s) for s in (record.get("sentences") or [[0, len(self.text)]])]
        self.starts = [b for b, _ in self.spans]
        entities = record.get("entities") or []
        self.entity_of_span = {}
        self.entity_forms = []  # (normalised form, entity id, type)
        for entity in entities:
            if entity.get("type") not in _TYPES:
                continue
            for begin, end in entity.get("mentions", []):
                self.entity_of_span[(begin, end)] = entity["id"]
            for name in [entity["name"], *entity.get("aliases", [])]:
                self.entity_forms.append((_key(name), entity["id"], entity["type"]))
        self.mentions = [(b, e, kind) for _, kind, b, e in record.get("ner") or [] if kind in _TYPES]
        self.mention_starts = [b for b, _, _ in self.mentions]
        self._mentions_by_sentence: dict[int, list] | None = None
        names = [n for ent in entities if ent.get("type") in ("PER", "ORG") for n in [ent["name"], *ent.get("aliases", [])]]
        persons = [n for ent in entities if ent.get("type") == "PER" for n in [ent["name"], *ent.get("aliases", [])]]
        sentences = [self.text[b:e] for b, e in self.spans]
        stance_objects = [lexicon.SentenceStance(label, 0.0, 1.0, None) for label in stances_all]
        self.rules_holders = speaker_rules.sentence_holders(sentences, stance_objects, rule_model, names, persons)
        known = {normalise(n) for n in names if len(n) >= 2} | set(rule_model.known_names)
        self.state = speaker_rules._HolderState(
            entity_names=tuple(sorted(known, key=len, reverse=True)),
            persons=tuple(sorted({normalise(n) for n in persons if len(n) >= 2}, key=lambda n: (-len(n), n))),
        )
        self.model = rule_model
        self.bodies = [self.norm[b:e] for b, e in self.spans]
        self._speakers = {}
        self._groups: dict[str, str] = {}
        self.form_count: dict[str, int] = {}
        for begin, end, _ in self.mentions:
            key = _key(self.text[begin:end])
            self.form_count[key] = self.form_count.get(key, 0) + 1
        self.speaker_count: dict[str, int] = {}
        self.group_form: dict[str, str] = {}  # a group's first speaker form as written
        for index in range(len(self.spans)):
            for _, kind, name in self.speakers(index):
                if kind == "name":
                    group = self.group(_key(name))
                    self.speaker_count[group] = self.speaker_count.get(group, 0) + 1
                    at = self.bodies[index].find(name)
                    start = self.spans[index][0] + at
                    self.group_form.setdefault(group, self.text[start : start + len(name)] if at >= 0 else name)
        ranked = sorted(self.speaker_count.items(), key=lambda item: (-item[1], item[0]))
        self.top_speakers = [group for group, count in ranked[:DOC_SPEAKERS] if count >= 2]

        # a sentence file (one sentence a line) says nothing about paragraphs; a page does
        self.paragraphs_known = any(self.same_paragraph(k - 1, k) for k in range(1, len(self.spans)))
        tokens = record.get("tok") or []
        self.token_starts = [b for _, b, _ in tokens]
        self.token_ends = [e for _, _, e in tokens]
        self.tokens = [normalise(word).strip() for word, _, _ in tokens]

    def token_after(self, position: int, count: int = 1) -> str:
        """The ``count`` tokens starting at or after ``position`` (normalised), '' past the end."""
        k = bisect.bisect_left(self.token_starts, position)
        words = [w for w in self.tokens[k : k + count + 2] if w][:count]
        return "".join(words)

    def token_before(self, position: int) -> str:
        k = bisect.bisect_right(self.token_ends, position) - 1
        while k >= 0 and not self.tokens[k]:
            k -= 1
        return self.tokens[k] if k >= 0 else ""

    def paragraph_start(self, index: int) -> bool:
        return index == 0 or "\n" in self.text[self.spans[index - 1][1] : self.spans[index][0]]

    def same_paragraph(self, earlier: int, later: int) -> bool:
        return "\n" not in self.text[self.spans[earlier][0] : self.spans[later][0]]

    def sentence_of(self, position: int) -> int:
        return max(0, bisect.bisect_right(self.starts, position) - 1)

    def mentions_in(self, index: int) -> list:
        """The NER mentions of one sentence (indexed once: scanning every mention of the
        document for every candidate made long documents quadratic)."""
        if self._mentions_by_sentence is None:
            self._mentions_by_sentence = {}
            for mention in self.mentions:
                self._mentions_by_sentence.setdefault(self.sentence_of(mention[0]), []).append(mention)
        return self._mentions_by_sentence.get(index, [])

    def speakers(self, index: int) -> list:
        if index not in self._speakers:
            self._speakers[index] = speaker_rules._speakers(self.bodies[index], self.model, speaker_rules._SPEECH_VERBS, self.state)
        return self._speakers[index]

    def group(self, form: str, span: tuple[int, int] | None = None) -> str:
        """Entity id for a form (by its NER mention, else by name match), else a name group."""
        if span and span in self.entity_of_span:
            return self.entity_of_span[span]
        if form in self._groups:
            return self._groups[form]
        group = next((eid for name, eid, _ in self.entity_forms if names.same_holder(form, name)), None)
        if group is None:
            group = next((g for f, g in self._groups.items() if g.startswith("N:") and names.same_holder(form, f)), "N:" + form)
        self._groups[form] = group
        return group

    def entity_type(self, form: str) -> str | None:
        return next((kind for name, _, kind in self.entity_forms if name == form), None)


def _verb_subject(body: str, verb_at: int) -> tuple[int, int] | None:
    """The clause head before a speech verb when it is a bare name-like run (蓋茲表示 →
    蓋茲), or the 2-4 characters after a title ending it (…警司陳純青:); else None."""
    clause_begin = max((i + 1 for i in range(verb_at) if body[i] in _CLAUSE_END), default=0)
    head = body[clause_begin:verb_at]
    stripped = speaker_rules._strip_adverbials(head.strip().strip("“”「」"))
    stripped = stripped.strip()
    if not stripped:
        return None
    if _SUBJECT_RUN.fullmatch(stripped) and len(stripped) <= 6 and not speaker_rules._PRONOUN.match(stripped):
        at = body.rfind(stripped, clause_begin, verb_at)
        return (at, at + len(stripped)) if at >= 0 else None
    after_title = _AFTER_TITLE.search(stripped)
    if after_title:
        at = body.rfind(after_title.group(1), clause_begin, verb_at)
        return (at, at + len(after_title.group(1))) if at >= 0 else None
    return None


def _key(name: str) -> str:
    return re.sub(r"\s+", "", normalise(name))


# ---------------------------------------------------------------- history


@dataclass
class History:
    """What the sentences before leave to this one: the previous AI sentence's holder and the
    last named holder (which survives sentences given no holder)."""

    previous: str | None = None
    previous_index: int | None = None
    last_named: str | None = None
    last_named_index: int | None = None
    nones_since_named: int = 0

    def after(self, index: int, holder: str | None) -> "History":
        if holder:
            return History(holder, index, holder, index, 0)
        return History(None, index, self.last_named, self.last_named_index, self.nones_since_named + 1)


# ---------------------------------------------------------------- candidates


def candidates(doc: _Document, index: int, history: History) -> list[Candidate]:
    """All candidates of sentence ``index`` (the none candidate first)."""
    found: dict[str, Candidate] = {}
    first = max(0, index - WINDOW)

    def add(form_text: str, source: str, begin: int | None = None, end: int | None = None, etype: str | None = None):
        form = _key(form_text)
        if len(form) < 2 or form in ("他们", "她们", "我们"):
            return
        candidate = found.get(form)
        if candidate is None:
            span = (begin, end) if begin is not None else None
            candidate = found[form] = Candidate(form, doc.group(form, span), form_text.strip())
        candidate.sources.add(source)
        if etype and candidate.etype == "other":
            candidate.etype = etype
        if begin is not None and (begin, end) not in candidate.mentions:
            candidate.mentions.append((begin, end))
            if doc.sentence_of(begin) == index:
                candidate.surface = doc.text[begin:end].strip()

    window_begin, window_end = doc.spans[first][0], doc.spans[index][1]
    lo = bisect.bisect_left(doc.mention_starts, window_begin)
    for begin, end, kind in doc.mentions[lo:]:
        if begin >= window_end:
            break
        add(doc.text[begin:end], "ner", begin, end, kind)
    for k in range(first, index + 1):
        offset, body = doc.spans[k][0], doc.bodies[k]
        for at, name in speaker_rules.person_names(body, speakers_only=False, persons=doc.state.persons):
            add(doc.text[offset + at : offset + at + len(name)], "person", offset + at, offset + at + len(name), "PER")
        for pattern, source, group in ((speaker_rules._TITLE_NAME, "title", 1), (speaker_rules._QUOTED_NAME, "quoted", 1),
                                       (speaker_rules._GOVERNMENT, "government", 0), (speaker_rules._STANDALONE_HOLDERS, "government", 0)):
            for match in pattern.finditer(body):
                begin, end = match.span(group)
                add(doc.text[offset + begin : offset + end], source, offset + begin, offset + end)
        for name in doc.state.entity_names:
            at = body.find(name)
            if at >= 0:
                add(doc.text[offset + at : offset + at + len(name)], "gazetteer", offset + at, offset + at + len(name))
        for _, kind, name in doc.speakers(k):
            if kind == "name":
                at = body.find(name)
                add(name if at < 0 else doc.text[offset + at : offset + at + len(name)], "speaker",
                    *((offset + at, offset + at + len(name)) if at >= 0 else (None, None)))
        for pattern, source in ((_SPEECH, "verb_subject"), (_OFFICIAL, "act_subject")):
            for verb in pattern.finditer(body):
                subject = _verb_subject(body, verb.start())
                if subject:
                    begin, end = subject
                    add(doc.text[offset + begin : offset + end], source, offset + begin, offset + end)
        for match in _DOCUMENT_TITLE.finditer(body):
            begin, end = match.span(1)
            add(doc.text[offset + begin : offset + end], "document_title", offset + begin, offset + end)
        interviewee = _INTERVIEWEE.match(body)
        if interviewee:
            begin, end = interviewee.span(1)
            add(doc.text[offset + begin : offset + end], "interviewee", offset + begin, offset + end)
    for group in doc.top_speakers:
        add(doc.group_form[group], "doc_speaker")
    if doc.rules_holders[index]:
        add(doc.rules_holders[index], "rules")
    if history.previous:
        add(history.previous, "previous")
    if history.last_named:
        add(history.last_named, "last_named")
    for candidate in found.values():
        if candidate.etype == "other":
            candidate.etype = doc.entity_type(candidate.form) or "other"
    return [Candidate(None, "none")] + _without_nested(list(found.values()))


_CARRIED = {"rules", "previous", "last_named", "doc_speaker"}  # sources that are not a mention in the window


def _without_nested(found: list[Candidate]) -> list[Candidate]:
    """Mark a candidate every mention of which lies strictly inside another candidate's
    mention (李飞 in 李飞飞, ai in Character.ai): a feature, since the longer span may be noise."""
    spans = [(b, e) for c in found for b, e in c.mentions]
    for candidate in found:
        candidate.nested = bool(candidate.mentions) and all(
            any(ob <= b and e <= oe and (ob, oe) != (b, e) for ob, oe in spans) for b, e in candidate.mentions)
    return found


# ---------------------------------------------------------------- features


def _quote_depth(body: str, position: int) -> int:
    return sum(body.count(c, 0, position) for c in speaker_rules._QUOTE_OPEN) - sum(body.count(c, 0, position) for c in speaker_rules._QUOTE_CLOSE)


def sentence_features(doc: _Document, index: int, stance_label: str, history: History, n_here: int) -> dict:
    body = doc.bodies[index].strip()
    previous_index = history.previous_index
    quote_open = previous_index is not None and _quote_depth(doc.bodies[previous_index], len(doc.bodies[previous_index])) > 0
    return {
        "s_pronoun_start": float(bool(_PRONOUN_START.match(body))),
        "s_subject_pronoun": float(bool(_SUBJECT_PRONOUN.match(body))),
        "s_quote_start": float(body[:1] in speaker_rules._QUOTE_OPEN),
        "s_numbered_point": float(bool(speaker_rules._NUMBERED_POINT.match(body))),
        "s_speech_verbs": float(len(_SPEECH.findall(body))),
        "s_rules_none": float(doc.rules_holders[index] is None),
        "s_unnamed_group": float(bool(doc.model.unnamed_groups.search(body))),
        "s_hearsay": float(bool(speaker_rules._HEARSAY.search(body))),
        "s_first_person": float("我" in body),
        "s_question": float(body.rstrip("”」』) ").endswith(("?", "？"))),
        "s_length": math.log1p(len(body)),
        "s_first_sentence": float(index == 0),
        "s_previous_none": float(history.previous is None),
        "s_candidates_here": float(n_here),
        "s_quote_open_before": float(quote_open),
        "s_interview_question": float(bool(speaker_rules._INTERVIEW_QUESTION.match(body))),
        "s_paragraph_start": float(doc.paragraph_start(index)),
        "s_same_paragraph_as_previous": float(previous_index is not None and doc.same_paragraph(previous_index, index)),
        "s_no_last_named": float(history.last_named is None),
        "s_paragraphs_known": float(doc.paragraphs_known),
        **{f"s_stance_{label}": float(stance_label == label) for label in _STANCES},
    }


def candidate_features(doc: _Document, index: int, candidate: Candidate, history: History,
                       previous_group: str | None, last_group: str | None) -> tuple[dict, list[str]]:
    """Named features of one candidate and its lexical context (tokens around its mention)."""
    offset, body = doc.spans[index][0], doc.bodies[index]
    here = sorted((b - offset, e - offset) for b, e in candidate.mentions if doc.sentence_of(b) == index)
    if not here and candidate.form:  # a rules/previous name written in the sentence without a mention
        at = body.find(candidate.form)
        if at >= 0:
            here = [(at, at + len(candidate.form))]
    before = [doc.sentence_of(b) for b, _ in candidate.mentions if doc.sentence_of(b) <= index]
    distance = index - max(before) if before else WINDOW + 2
    speakers = doc.speakers(index)
    speaker_groups = [doc.group(_key(name)) for _, kind, name in speakers if kind == "name"]
    is_last = last_group is not None and last_group == candidate.group
    features = dict.fromkeys(CANDIDATE_FEATURES, 0.0)
    features.update({
        "in_sentence": float(bool(here)),
        "sentence_distance": float(0 if here else min(distance, WINDOW + 2)),
        "mentions_in_sentence": float(len(here)),
        "doc_mentions": math.log1p(doc.form_count.get(candidate.form, 0)),
        "doc_speaker_count": math.log1p(doc.speaker_count.get(candidate.group, 0)),
        "name_length": float(len(candidate.form)),
        "latin": float(bool(_LATIN.match(candidate.form))),
        "rules_speaker": float(candidate.group in speaker_groups),
        "rules_first_speaker": float(bool(speaker_groups) and speaker_groups[0] == candidate.group),
        "is_rules_answer": float(bool(doc.rules_holders[index]) and names.same_holder(doc.rules_holders[index], candidate.form)),
        "is_previous_holder": float(previous_group is not None and previous_group == candidate.group),
        "previous_gap": float(min(index - history.previous_index, 10)) if previous_group == candidate.group else 0.0,
        "is_last_named": float(is_last),
        "last_named_gap": float(min(index - history.last_named_index, 10)) if is_last else 0.0,
        "last_named_nones": float(min(history.nones_since_named, 5)) if is_last else 0.0,
        "last_named_same_paragraph": float(is_last and doc.same_paragraph(history.last_named_index, index)),
        "is_previous_rules_holder": float(index > 0 and bool(doc.rules_holders[index - 1])
                                          and doc.group(_key(doc.rules_holders[index - 1])) == candidate.group),
        "in_previous_sentence": float(any(doc.sentence_of(b) == index - 1 for b, _ in candidate.mentions)),
        "nested": float(candidate.nested),
        f"type_{candidate.etype if candidate.etype in _TYPES else 'other'}": 1.0,
        **{f"source_{s}": 1.0 for s in candidate.sources},
    })
    lexical = []
    if here:
        begin, end = here[0]
        verb = _SPEECH.search(body, end)
        clause_end = next((i for i in range(end, len(body)) if body[i] in _CLAUSE_END), len(body))
        clause_begin = max((i + 1 for i in range(begin) if body[i] in _CLAUSE_END), default=0)
        first_mention = min((b - offset for b, _, _ in doc.mentions_in(index)), default=begin)
        features.update({
            "first_in_sentence": float(begin <= first_mention),
            "relative_position": begin / max(len(body), 1),
            "clause_start_distance": float(min(begin - clause_begin, 30)),
            "speech_verb_after": float(bool(verb) and verb.start() <= clause_end),
            "speech_verb_distance": float(min(verb.start() - end, 60)) if verb else 60.0,
            "speech_verb_before": float(bool(_SPEECH.search(body, 0, begin))),
            "in_quote": float(_quote_depth(body, begin) > 0),
            "affiliation_after": float(bool(speaker_rules._AFFILIATION_AFTER.match(body, end))),
            "de_after": float(body[end : end + 1] == "的"),
            "title_before": float(bool(_TITLE_BEFORE.search(body[:begin]))),
            "in_brackets": float(body[begin - 1 : begin] in ("(", "（")),
            "object_marker_before": float(body[begin - 1 : begin] in _OBJECT_MARKERS),
            "group_in_sentence": 1.0,
            "interviewee_here": float("interviewee" in candidate.sources and begin <= 1),
        })
        lexical = [f"next={doc.token_after(offset + end)}", f"prev={doc.token_before(offset + begin)}",
                   f"next2={doc.token_after(offset + end, 2)}"]
    elif any(doc.group(_key(doc.text[b:e])) == candidate.group for b, e, _ in doc.mentions_in(index)):
        features["group_in_sentence"] = 1.0
    return features, lexical


def feature_rows(doc: _Document, index: int, stance_label: str, history: History
                 ) -> tuple[list[Candidate], np.ndarray, list[list[str]]]:
    """The candidates of one sentence, their named features (columns: :data:`FEATURES`) and
    their lexical contexts (the none candidate's: the sentence's first tokens)."""
    found = candidates(doc, index, history)
    previous_group = doc.group(_key(history.previous)) if history.previous else None
    last_group = doc.group(_key(history.last_named)) if history.last_named else None
    n_here = 0
    rows, lexical = [], [[f"first={doc.token_after(doc.spans[index][0])}",
                          f"first2={doc.token_after(doc.spans[index][0], 2)}"]]
    for candidate in found[1:]:
        values, context = candidate_features(doc, index, candidate, history, previous_group, last_group)
        n_here += values["in_sentence"]
        rows.append(values)
        lexical.append(context)
    sentence = sentence_features(doc, index, stance_label, history, n_here)
    matrix = np.zeros((len(found), len(FEATURES)), dtype=np.float32)
    matrix[0, _COLUMNS["is_none"]] = 1.0
    for name, value in sentence.items():
        matrix[0, _COLUMNS[name]] = value
    for row, values in enumerate(rows, 1):
        for name, value in values.items():
            matrix[row, _COLUMNS[name]] = value
    return found, matrix, lexical


def lexical_matrix(lexical: list[list[str]], vocabulary: dict[str, int]) -> np.ndarray:
    """One-hot columns for the lexical contexts found in ``vocabulary`` (learned in training)."""
    matrix = np.zeros((len(lexical), len(vocabulary)), dtype=np.float32)
    for row, context in enumerate(lexical):
        for item in context:
            column = vocabulary.get(item)
            if column is not None:
                matrix[row, column] = 1.0
    return matrix


# ---------------------------------------------------------------- scorers


class LinearScorer:
    """score = standardised features · weights (+ bias)."""

    def __init__(self, weights: dict):
        self.mean = np.asarray(weights["mean"], dtype=np.float64)
        self.scale = np.asarray(weights["scale"], dtype=np.float64)
        self.coef = np.asarray(weights["coef"], dtype=np.float64)
        self.bias = float(weights.get("bias", 0.0))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef + self.bias


class TreeScorer:
    """Sum of regression trees (exported from scikit-learn's HistGradientBoosting): each tree
    is parallel arrays feature/threshold/left/right/value/leaf; a row goes left when its
    feature is ≤ the threshold (inputs have no NaN)."""

    def __init__(self, weights: dict):
        self.trees = [{k: np.asarray(v) for k, v in tree.items()} for tree in weights["trees"]]
        self.bias = float(weights.get("bias", 0.0))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        scores = np.full(len(x), self.bias)
        rows = np.arange(len(x))
        for tree in self.trees:
            node = np.zeros(len(x), dtype=np.int64)
            while True:
                inner = ~tree["leaf"][node]
                if not inner.any():
                    break
                go_left = x[rows, tree["feature"][node]] <= tree["threshold"][node]
                node = np.where(inner, np.where(go_left, tree["left"][node], tree["right"][node]), node)
            scores += tree["value"][node]
        return scores


class TwoStageScorer:
    """A ranker chooses among the named candidates (rows 1…), then a gate decides between
    that choice and the none candidate (row 0) from the sentence's features, the chosen
    candidate's features and the ranker's margin (:func:`gate_features`)."""

    def __init__(self, weights: dict):
        self.ranker = make_scorer(weights["ranker_kind"], weights["ranker"])
        self.gate = make_scorer(weights["gate_kind"], weights["gate"])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        scores = np.full(len(x), -np.inf)
        if len(x) == 1:
            scores[0] = 0.0
            return scores
        ranked = self.ranker(x[1:])
        gate = float(self.gate(gate_features(x, ranked)[None, :])[0])
        scores[1:] = ranked
        scores[0] = np.inf if gate <= 0 else -np.inf
        return scores


def gate_features(x: np.ndarray, ranked: np.ndarray) -> np.ndarray:
    """Row 0 (the sentence), the best named candidate's row, its score, margin and count."""
    order = np.argsort(-ranked)
    best = ranked[order[0]]
    margin = best - ranked[order[1]] if len(order) > 1 else 10.0
    return np.concatenate([x[0], x[1 + order[0]], [best, margin, len(ranked)]])


def log_probabilities(scorer, x: np.ndarray) -> np.ndarray:
    """Log-probability of each candidate: the two-stage gate times the ranker's softmax, or a
    softmax over the scores."""
    if isinstance(scorer, TwoStageScorer):
        out = np.full(len(x), 0.0 if len(x) == 1 else -np.inf)
        if len(x) > 1:
            ranked = scorer.ranker(x[1:])
            gate = float(scorer.gate(gate_features(x, ranked)[None, :])[0])
            log_named = -np.logaddexp(0.0, -gate)
            out[0] = -np.logaddexp(0.0, gate)
            out[1:] = log_named + ranked - np.logaddexp.reduce(ranked)
        return out
    scores = scorer(x)
    return scores - np.logaddexp.reduce(scores)


def make_scorer(kind: str, weights: dict):
    return {"linear": LinearScorer, "trees": TreeScorer, "two_stage": TwoStageScorer}[kind](weights)


# ---------------------------------------------------------------- the model


class HolderModel:
    """Load with :meth:`load`; :meth:`predict` gives the holders of a record's AI sentences."""

    def __init__(self, scorer=None, vocabulary: list[str] = (), rule_model: lexicon.StanceModel | None = None,
                 config: dict | None = None):
        self.scorer = scorer  # None: candidates and features only (training)
        self.vocabulary = {item: k for k, item in enumerate(vocabulary)}
        self.config = config or {}
        self.rule_model = rule_model or cues.load({})

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> "HolderModel":
        folder = Path(path)
        folder = folder if folder.is_absolute() else REPO_ROOT / folder
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        if tuple(config["features"]) != FEATURES:
            raise ValueError(f"{folder}: trained with other features than this code computes; retrain")
        weights = json.loads((folder / config.get("weights_file", "weights.json")).read_text(encoding="utf-8"))
        return cls(make_scorer(config["scorer"], weights), config.get("vocabulary", []), config=config)

    def predict(self, record: dict, ai_sentence_indices: list[int], stances: list[str]) -> list[str | None]:
        """Holders (as the document writes them, None for narrator/unnamed) of the sentences
        ``ai_sentence_indices`` of ``record`` (its ``sentences`` spans), whose stance labels are
        ``stances``, in order."""
        beam = int(self.config.get("beam", 1))
        if beam > 1 and self.scorer is not None:
            return self.beam_search(record, ai_sentence_indices, stances, beam)
        return self.confident(self.predict_with_confidence(record, ai_sentence_indices, stances))

    def predict_with_confidence(self, record: dict, ai_sentence_indices: list[int], stances: list[str]
                                ) -> list[tuple[str | None, float]]:
        """(holder, the model's probability of that choice) per sentence, before ``min_confidence``."""
        return [(holder, confidence) for holder, _, confidence in self.decode(record, ai_sentence_indices, stances)]

    def confident(self, scored: list[tuple[str | None, float]], min_confidence: float | None = None) -> list[str | None]:
        """A name chosen with less than ``min_confidence`` (``config.json``, chosen by document-grouped
        CV of the who-holds-what figures) becomes None: a person must not appear on a side on a guess."""
        floor = float(self.config.get("min_confidence", 0.0) if min_confidence is None else min_confidence)
        return [holder if holder is None or confidence >= floor else None for holder, confidence in scored]

    def beam_search(self, record, ai_sentence_indices, stances, width: int) -> list[str | None]:
        """The holder sequence with the highest summed log-probability among ``width`` kept
        histories: a wrong None or name early on need not decide every sentence after it."""
        doc = self.document(record, ai_sentence_indices, stances)
        beams = [(0.0, History(), [])]
        for index, label in zip(ai_sentence_indices, stances):
            extended = []
            for total, history, holders in beams:
                found, matrix, lexical = feature_rows(doc, index, label, history)
                log_probs = log_probabilities(self.scorer, np.hstack([matrix, lexical_matrix(lexical, self.vocabulary)]))
                for row in np.argsort(-log_probs)[:width]:
                    best = found[int(row)]
                    holder = None if best.form is None else (best.surface or best.form)
                    extended.append((total + float(log_probs[row]), history.after(index, holder), holders + [holder]))
            extended.sort(key=lambda item: -item[0])
            beams, seen = [], set()
            for item in extended:  # histories that agree on what the next sentence sees are one
                key = (item[1].previous, item[1].last_named, item[1].nones_since_named)
                if key not in seen:
                    seen.add(key)
                    beams.append(item)
                if len(beams) == width:
                    break
        return beams[0][2]

    def decode(self, record, ai_sentence_indices, stances, given_holders: list | None = None):
        """(holder, (candidates, features, lexical contexts), probability of the choice) per
        sentence, in document order.
        ``given_holders`` (training only) replaces the predicted holders of earlier sentences
        in the history by the given ones (teacher forcing)."""
        doc = self.document(record, ai_sentence_indices, stances)
        out, history = [], History()
        for k, (index, label) in enumerate(zip(ai_sentence_indices, stances)):
            found, matrix, lexical = feature_rows(doc, index, label, history)
            holder, confidence = None, 1.0
            if self.scorer is not None:
                features = np.hstack([matrix, lexical_matrix(lexical, self.vocabulary)])
                row = int(np.argmax(self.scorer(features)))
                best = found[row]
                holder = None if best.form is None else (best.surface or best.form)
                confidence = float(np.exp(log_probabilities(self.scorer, features)[row]))
            out.append((holder, (found, matrix, lexical), confidence))
            history = history.after(index, given_holders[k] if given_holders is not None else holder)
        return out

    def document(self, record: dict, ai_sentence_indices: list[int], stances: list[str]) -> _Document:
        stances_all = ["neutral"] * len(record.get("sentences") or [None])
        for index, label in zip(ai_sentence_indices, stances):
            stances_all[index] = label
        return _Document(record, stances_all, self.rule_model)

    @staticmethod
    def canonical(record: dict, holders: list[str | None]) -> list[str | None]:
        """Each holder as the canonical name of its NER entity (马斯克 → 埃隆·马斯克)."""
        return [names.canonical_holder(holder, record, holders) for holder in holders]


def load(path: str | Path = DEFAULT_PATH) -> HolderModel:
    return HolderModel.load(path)
