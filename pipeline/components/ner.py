"""NER stage: who and what is named, and which names belong to one entity.

Three parts, applied per document:

1. A character CRF (python-crfsuite, trained by ``python -m pipeline.train.ner`` on MSRA and
   CLUENER2020 train) tags PER/LOC/ORG with BMES labels. Its features are character
   uni/bigrams, character classes, lexicon matches (People's Daily ``nr/ns/nt`` words, jieba's
   proper nouns, training names, surnames, organisation/place endings, other words as word
   boundaries), Latin word shape (``Stuart Russell``) and the last character of an enclosing
   《》 title (报 against 法). It reads :func:`tagging_copy` of the text: half-width,
   simplified by OpenCC's 1:1 character table, one middle dot; so traditional script is
   tagged like simplified and offsets still point into the original text.
2. A spaCy ``EntityRuler`` with ``config/gazetteer.yaml`` adds the organisations, products
   and people the corpora never saw (OpenAI, X.ai, 英伟达, ChatGPT …) plus ``X.ai``-style
   patterns. **Precedence: the gazetteer wins on overlap**, except that a statistical span of
   the same type that strictly contains the gazetteer span, and no other gazetteer match, is
   kept (it is the fuller form: 微软公司 over 微软; but not 埃隆是特斯拉). Statistical spans
   that overlap no gazetteer match are kept as they are.
   Then two same-type mentions joined only by a middle dot (理查 · 布兰森) or, Latin, one
   space (Susan Rice) become one, and a ``tok`` layer gets the tokens inside each mention
   merged (吴/恩达 → 吴恩达) so segmentation agrees with NER.
3. Within a document, mentions are clustered: gazetteer aliases (and 特斯拉公司-style forms
   of a gazetteer organisation) join their entry; otherwise a mention joins a same-type
   cluster whose name contains it (马斯克, 埃隆 → 埃隆·马斯克), compared case- and
   width- and script-insensitively (X.AI = X.ai, 馬斯克 = 马斯克). The canonical name is
   the gazetteer name, else the longest form, simplified. Across documents,
   :func:`entity_index` links a short form to the one longer name that owns it.

The spaCy Doc is built one token per character, and the ruler's patterns are tokenised the
same way, so gazetteer matching does not depend on how the segmenter cut the text and token
offsets are character offsets. The ``tok`` layer, when present, is used to keep entity edges
from cutting through a Latin-script word (``Open`` of ``OpenAI``); without it, runs of ASCII
letters/digits play that role.

>>> model = load({})                                            # doctest: +SKIP
>>> rec = annotate([{"id": "d", "text": "马斯克创办了X.ai。", "sentences": [[0, 11]]}], model)[0]
>>> rec["ner"]                                                  # doctest: +SKIP
[['马斯克', 'PER', 0, 3], ['X.ai', 'ORG', 6, 10]]
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from pipeline.components.gazetteer import read_gazetteer
from pipeline.components.ner_text import _LETTER, _NOT_IN_NAMES, name_key, tagging_copy
from pipeline.running.caches import cached
from pipeline.record.text import NER_CLASSES, char_class
from pipeline.config import with_defaults
from pipeline.paths import REPO_ROOT
from pipeline.spacy_import import import_spacy

VERSION = "zh.ner.crf_gazetteer.v2"
TYPES = ("PER", "LOC", "ORG")

# Multi-character endings of organisation and place names; single characters (省, 市, 部)
# are already visible to the CRF as character features.
SUFFIXES = {
    "ORG": ("公司", "集团", "大学", "学院", "银行", "委员会", "协会", "研究所", "研究院", "中心",
            "组织", "政府", "法院", "电视台", "通讯社", "俱乐部", "基金会", "实验室", "科技", "联盟"),
    "LOC": ("自治区", "特别行政区", "地区", "半岛", "群岛", "高原", "平原", "大街", "广场"),
}
_SENTENCE_END = re.compile(r"[^。！？!?\n]+[。！？!?]*")
# Two same-type mentions joined only by a middle dot (with optional spaces) or, for Latin
# words, one space are one name: 理查 · 布兰森, Susan Rice.
_NAME_JOIN = {"dot": re.compile(r"\s?·\s?"), "space": re.compile(r" ")}
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_TITLE = re.compile(r"《([^《》\n]{1,40})》")


# --------------------------------------------------------------------------- features

class Lexicon:
    """Name lists (PER/LOC/ORG words, surnames) turned into per-character match features.

    Stored as a TSV file (``word<TAB>types``; type ``SUR`` marks a surname) beside the CRF.
    """

    def __init__(self, words: dict[str, set[str]]):
        # One shared tuple per distinct type set: the cached pickle then stores each once
        # and loads in half the time (every NER job loads it).
        shared: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.words = {
            w: shared.setdefault(key, key)
            for w, t in words.items()
            if len(w) >= 2 and t - {"SUR"}
            for key in [tuple(sorted(t))]
        }
        self.surnames = {w for w, t in words.items() if "SUR" in t}
        self.prefixes = {w[:k] for w in self.words for k in range(1, len(w) + 1)}
        self.suffixes = {end: "X" + t for t, ends in SUFFIXES.items() for end in ends}
        self.suffix_lengths = sorted({len(end) for end in self.suffixes})

    @classmethod
    def read(cls, path: Path) -> "Lexicon":
        words: dict[str, set[str]] = {}
        for line in filter(None, Path(path).read_text(encoding="utf-8").splitlines()):
            word, types = line.split("\t")
            words[word] = set(types.split(","))
        return cls(words)

    def write(self, path: Path) -> None:
        rows = {w: set(t) for w, t in self.words.items()}
        for s in self.surnames:
            rows.setdefault(s, set()).add("SUR")
        lines = (f"{w}\t{','.join(sorted(t))}\n" for w, t in sorted(rows.items()))
        Path(path).write_text("".join(lines), encoding="utf-8")

    def match_features(self, text: str) -> list[set[str]]:
        """For each character, B/M/E of every lexicon word covering it, per type."""
        feats: list[set[str]] = [set() for _ in text]
        n = len(text)
        for i in range(n):
            j = i + 1
            while j <= n and text[i:j] in self.prefixes:
                for t in self.words.get(text[i:j], ()):
                    feats[i].add("L" + t + "B")
                    for k in range(i + 1, j - 1):
                        feats[k].add("L" + t + "M")
                    feats[j - 1].add("L" + t + "E")
                j += 1
            if text[i] in self.surnames:
                feats[i].add("SUR")
            for k in self.suffix_lengths:
                suffix = self.suffixes.get(text[i:i + k])
                if suffix and i + k <= n:
                    feats[i + k - 1].add(suffix)
        return feats


def _shape(word: str) -> str:
    """Capitalisation of a Latin word: Xx (Russell), X (IBM, or one capital), x (lower), xX (eBay)."""
    if word[0].isupper():
        return "X" if word.isupper() else "Xx"
    return "x" if word.islower() else "xX"


def latin_features(text: str) -> list[list[str]]:
    """Word-level features for Latin letters: the lower-cased word, its shape and the letter's
    place in it; and for one space between two Latin words, the two shapes. Characters alone
    say little about ``Hinton``; CLUENER's many Latin names teach these."""
    feats: list[list[str]] = [[] for _ in text]
    words = list(_LATIN_WORD.finditer(text))
    for m in words:
        word, shape = m.group(), _shape(m.group())
        for i in range(m.start(), m.end()):
            place = "S" if len(word) == 1 else "B" if i == m.start() else "E" if i == m.end() - 1 else "M"
            feats[i] += ["lw=" + word.lower()[:24], "ls=" + shape + place]
    for left, right in zip(words, words[1:]):
        if right.start() - left.end() == 1 and text[left.end()] == " ":
            feats[left.end()].append("sp=" + _shape(left.group()) + _shape(right.group()))
    return feats


def title_features(text: str) -> list[list[str]]:
    """Inside a 《》 title, every character knows the title's last character: 报/刊 (a
    newspaper, an organisation) against 法/案/书 (a law, a book), learned from the data."""
    feats: list[list[str]] = [[] for _ in text]
    for m in _TITLE.finditer(text):
        last = m.group(1)[-1]
        for i in range(m.start(), m.end()):
            feats[i] += ["T", "Te=" + last]
    return feats


def sentence_features(text: str, lexicon: Lexicon, clusters=None) -> list[list[str]]:
    """CRF attributes for each character of one sentence (its :func:`tagging_copy`); with
    ``clusters`` (:class:`~pipeline.components.ner_clusters.CharClusters`), also the
    characters' embedding clusters."""
    padded = "^^" + text + "$$"
    classes = "^^" + "".join(char_class(c, NER_CLASSES) for c in text) + "$$"
    lex = lexicon.match_features(text)
    latin = latin_features(text)
    titles = title_features(text)
    grouped = clusters.features(text) if clusters is not None else None
    out = []
    for i in range(len(text)):
        a, b, c, d, e = padded[i:i + 5]
        feats = [
            "c=" + c, "c-1=" + b, "c+1=" + d, "c-2=" + a, "c+2=" + e,
            "b-2=" + a + b, "b-1=" + b + c, "b+1=" + c + d, "b+2=" + d + e, "j=" + b + d,
            "k=" + classes[i + 1:i + 4],
        ]
        feats.extend(lex[i])
        feats.extend(latin[i])
        feats.extend(titles[i])
        if grouped is not None:
            feats.extend(grouped[i])
        out.append(feats)
    return out


def bmes_spans(tags: list[str]) -> list[tuple[str, int, int]]:
    """(type, begin, end) spans from BMES tags; lenient: a stray M/E opens a span."""
    spans, start, kind = [], None, None
    for i, tag in enumerate(tags + ["O"]):
        pos, _, label = tag.partition("-")
        if start is not None and (pos in ("B", "S", "O") or label != kind):
            spans.append((kind, start, i))
            start = None
        if pos == "S":
            spans.append((label, i, i + 1))
        elif pos in ("B", "M", "E") and start is None:
            start, kind = i, label
        if pos == "E" and start is not None:
            spans.append((kind, start, i + 1))
            start = None
    return spans


# --------------------------------------------------------------------------- model

@dataclass
class NerModel:
    tagger: object          # pycrfsuite.Tagger
    lexicon: Lexicon
    ruler_nlp: object       # spaCy Language: character tokenizer + entity_ruler
    gazetteer: dict         # lower-cased key -> (canonical name, type)
    rescorer: object = None  # pipeline.components.ner_rescore.Rescorer, when the model has one
    clusters: object = None  # pipeline.components.ner_clusters.CharClusters, when the CRF uses them


class CharTokenizer:
    """One spaCy token per character, so token offsets are character offsets."""

    def __init__(self, vocab):
        self.vocab = vocab

    def __call__(self, text):
        from spacy.tokens import Doc

        return Doc(self.vocab, words=list(text), spaces=[False] * len(text))


def build_ruler(gazetteer_path: Path):
    """A blank spaCy pipeline whose EntityRuler holds the gazetteer; plus the alias table."""
    spacy = import_spacy()

    gazetteer = read_gazetteer(gazetteer_path)
    nlp = spacy.blank("xx")
    nlp.tokenizer = CharTokenizer(nlp.vocab)
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    patterns, table = [], {}
    for entry in gazetteer.entries:
        for form in entry.forms:
            patterns.append({"label": entry.type, "pattern": form, "id": entry.name})
            table[name_key(form)] = (entry.name, entry.type)
    for rule in gazetteer.patterns:
        patterns.append({"label": rule["label"], "pattern": rule["pattern"]})
    ruler.add_patterns(patterns)
    return nlp, table


def load(config: dict | None = None) -> NerModel:
    """Load the CRF, its lexicon and the gazetteer once (paths relative to the repo root)."""
    import pycrfsuite

    config = with_defaults("ner", config)
    model_dir = REPO_ROOT / config["model"]
    tagger = pycrfsuite.Tagger()
    tagger.open(str(model_dir / "crf.model"))
    nlp, table = build_ruler(REPO_ROOT / config["gazetteer"])
    lexicon_file = model_dir / "lexicon.tsv"  # compiled prefix sets: cached, they take a second
    lexicon = cached("ner-lexicon", [lexicon_file, __file__], lambda: Lexicon.read(lexicon_file))
    rescore_file = model_dir / "rescore.json"  # the page-level second pass (issue 16), optional
    rescorer = None
    if config["rescore"] and rescore_file.exists():
        from pipeline.components.ner_rescore import Rescorer

        rescorer = Rescorer.read(rescore_file)
    clusters_file = model_dir / "char_clusters.tsv"  # present when the CRF was trained with them
    clusters = None
    if clusters_file.exists():
        from pipeline.components.ner_clusters import CharClusters

        clusters = CharClusters.read(clusters_file)
    return NerModel(tagger, lexicon, nlp, table, rescorer, clusters)


def unseen_pages_config(config: dict | None = None) -> dict:
    """NER settings for reading the training pages (``eval/ai_stance/train_docs.jsonl``) as
    an unseen page is read: the stance holder model is trained and cross-validated on them.
    No page rescorer (it learnt from their entity lists), and when the shipped CRF learnt
    from those lists too (``pipeline.train.ner --page-silver``), the CRF trained without
    them, which the model's ``config.json`` names as ``without_pages``."""
    import json

    config = with_defaults("ner", config)
    spec = json.loads((REPO_ROOT / config["model"] / "config.json").read_text(encoding="utf-8"))
    return {**config, "rescore": False, "model": spec.get("without_pages", config["model"])}


# --------------------------------------------------------------------------- recognise

def sentence_spans(record: dict) -> list[tuple[int, int]]:
    """The record's sentences, or a split at sentence-final punctuation and newlines."""
    if record.get("sentences"):
        return [tuple(s) for s in record["sentences"]]
    return [m.span() for m in _SENTENCE_END.finditer(record["text"])]


def _trim(chunk: str, b: int, e: int) -> tuple[int, int]:
    while b < e and chunk[b].isspace():
        b += 1
    while e > b and chunk[e - 1].isspace():
        e -= 1
    return b, e


def join_names(spans, plain: str):
    """Join same-type neighbours separated only by a middle dot (理查 · 布兰森) or, both
    Latin, by one space (Susan Rice): one name, tagged in two pieces."""
    out: list[tuple[str, int, int]] = []
    for kind, b, e in sorted(spans, key=lambda s: (s[1], s[2])):
        if out and out[-1][0] == kind and out[-1][2] <= b:
            gap = plain[out[-1][2]:b]
            latin_pair = plain[out[-1][2] - 1:out[-1][2]].isascii() and plain[b:b + 1].isascii()
            if (kind == "PER" and gap and _NAME_JOIN["dot"].fullmatch(gap)) or \
                    (latin_pair and _NAME_JOIN["space"].fullmatch(gap) and plain[b:b + 1].isalpha()):
                out[-1] = (kind, out[-1][1], e)
                continue
        out.append((kind, b, e))
    return out


def statistical_spans(text: str, sentences, model: NerModel, uncertain: list | None = None,
                      uncertain_below: float = 0.95, outside: list | None = None) -> list[tuple[str, int, int]]:
    """CRF spans (type, begin, end) over the given sentence spans of ``text``. With an
    ``uncertain`` list, also appends to it the (begin, end) runs of characters whose marginal
    probability of O is below ``uncertain_below``: names the CRF almost tagged, candidates
    for the rescorer (one marginal per character, cheap after tagging). With ``outside`` (a
    list as long as ``text``, filled with 1.0), writes each tagged character's P(O) into it:
    how sure the CRF was, a feature of the rescorer."""
    spans = []
    for begin, end in sentences:
        chunk = tagging_copy(text[begin:end])
        if not chunk.strip():
            continue
        tags = model.tagger.tag(sentence_features(chunk, model.lexicon, model.clusters))
        if outside is not None:
            outside[begin:begin + len(chunk)] = [model.tagger.marginal("O", i) for i in range(len(chunk))]
        if uncertain is not None:
            unsure = [model.tagger.marginal("O", i) < uncertain_below for i in range(len(chunk))] + [False]
            start = None
            for i, flag in enumerate(unsure):
                if flag and start is None:
                    start = i
                elif not flag and start is not None:
                    b, e = _trim(chunk, start, i)
                    if e > b:
                        uncertain.append((begin + b, begin + e))
                    start = None
        for t, b, e in bmes_spans(tags):
            for b, e in _name_pieces(chunk, b, e):
                if t in TYPES and _LETTER.search(chunk[b:e]) and not _NOT_IN_NAMES.search(chunk[b:e]) \
                        and (e - b > 1 or not chunk[b].isascii()):
                    spans.append((t, begin + b, begin + e))
    return spans


def _name_pieces(chunk: str, b: int, e: int):
    """The span cut at every space that is not between two Latin letters or digits (a space
    joins Susan Rice, not 何宏军 邹加怡), each piece trimmed; :func:`join_names` puts
    dotted names (理查 · 布兰森) back together."""
    start = b
    for i in range(b, e + 1):
        if i == e or (chunk[i].isspace() and not (
                i > b and i + 1 < e and _is_word_char(chunk[i - 1]) and _is_word_char(chunk[i + 1]))):
            piece = _trim(chunk, start, i)
            if piece[1] > piece[0]:
                yield piece
            start = i + 1


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


def gazetteer_spans(text: str, model: NerModel, doc=None) -> list[tuple[str, int, int]]:
    """EntityRuler matches that do not start or end inside a Latin-script word."""
    plain = tagging_copy(text)
    doc = doc if doc is not None else model.ruler_nlp(plain)
    spans = []
    for ent in doc.ents:
        b, e = ent.start, ent.end
        cuts_left = b > 0 and _is_word_char(plain[b - 1]) and _is_word_char(plain[b])
        cuts_right = e < len(plain) and _is_word_char(plain[e - 1]) and _is_word_char(plain[e])
        if not (cuts_left or cuts_right):
            spans.append((ent.label_, b, e))
    return spans


def snap_to_words(spans, text: str, tok: list | None):
    """Widen span edges that fall inside a Latin-script word to that word's edges."""
    if tok:
        latin = [(b, e) for _, b, e in tok if all(_is_word_char(c) or c in ".-" for c in text[b:e])]
    else:
        latin = [m.span() for m in re.finditer(r"[A-Za-z0-9]+", text)]
    out = []
    for kind, b, e in spans:
        for wb, we in latin:
            if wb < b < we:
                b = wb
            if wb < e < we:
                e = we
        out.append((kind, b, e))
    return out


def merge(statistical, gazetteer):
    """Apply the stated precedence (see module docstring); result sorted by offset."""
    def overlaps(a, b):
        return a[1] < b[2] and b[1] < a[2]

    kept = []
    for g in gazetteer:
        fuller = [s for s in statistical
                  if s[0] == g[0] and s[1] <= g[1] and g[2] <= s[2] and s[2] - s[1] > g[2] - g[1]
                  and sum(overlaps(s, other) for other in gazetteer) == 1]
        kept.append(fuller[0] if fuller else g)
    kept = list(dict.fromkeys(kept))
    for s in statistical:
        if not any(overlaps(s, k) for k in kept):
            kept.append(s)
    return sorted(kept, key=lambda s: (s[1], s[2]))


def gazetteer_entry(key: str, kind: str, gazetteer: dict):
    """The (name, type) entry a form belongs to, also through a company ending (特斯拉公司)."""
    if key in gazetteer:
        return gazetteer[key]
    for ending in ("公司", "集团"):
        base = gazetteer.get(key.removesuffix(ending)) if kind == "ORG" and key.endswith(ending) else None
        if base and base[1] == "ORG":
            return base
    return None


def cluster(text: str, spans, gazetteer: dict) -> list[dict]:
    """Group one document's mentions into entities with a canonical name."""
    clusters: list[dict] = []
    by_key: dict[tuple[str, str], dict] = {}
    forms = Counter((text[b:e], kind) for kind, b, e in spans)
    # Longest forms first, so shorter forms find the full name already there.
    for form, kind in sorted(forms, key=lambda fk: (-len(name_key(fk[0])), fk[0])):
        key = name_key(form)
        entry = gazetteer_entry(key, kind, gazetteer)
        if entry:
            canonical, entry_type = entry
            target = by_key.get((name_key(canonical), entry_type))
            if target is None:
                target = {"name": canonical, "type": entry_type, "keys": {name_key(canonical)},
                          "forms": Counter(), "gazetteer": True}
                clusters.append(target)
                by_key[(name_key(canonical), entry_type)] = target
        else:
            target = by_key.get((key, kind))
            if target is None and len(key) >= 2:
                containing = [c for c in clusters if c["type"] == kind and any(key in k for k in c["keys"])]
                target = max(containing, key=lambda c: sum(c["forms"].values()), default=None)
            if target is None:
                target = {"name": form, "type": kind, "keys": set(), "forms": Counter(), "gazetteer": False}
                clusters.append(target)
        target["keys"].add(key)
        target["forms"][form] += forms[(form, kind)]
        by_key[(key, kind)] = target
    mentions = defaultdict(list)
    for kind, b, e in spans:
        mentions[id(by_key[(name_key(text[b:e]), kind)])].append([b, e])
    entities = []
    for c in sorted(clusters, key=lambda c: mentions[id(c)][0]):
        if not c["gazetteer"]:  # the longest form, simplified, dot unspaced (理查 · 布蘭森 → 理查·布兰森)
            longest = max(c["forms"], key=lambda f: (len(name_key(f)), c["forms"][f]))
            c["name"] = _NAME_JOIN["dot"].sub("·", tagging_copy(longest))
        entities.append({
            "id": f"E{len(entities)}",
            "name": c["name"],
            "type": c["type"],
            "mentions": mentions[id(c)],
            "aliases": sorted(f for f in c["forms"] if f != c["name"]),
        })
    return entities


def predict(records: list[dict], model: NerModel) -> list[tuple[list | None, list, list]]:
    """``(tok, ner, entities)`` of each record: the ``tok`` layer with the tokens inside each
    entity span merged (None when the record has none), mentions ``[text, type, begin, end]``
    and clusters."""
    texts = [tagging_copy(r["text"]) for r in records]
    out = []
    for record, plain, doc in zip(records, texts, model.ruler_nlp.pipe(texts)):
        text = record["text"]
        unsure = [] if model.rescorer is not None and model.rescorer.uncertain_below else None
        outside = [1.0] * len(text) if model.rescorer is not None and model.rescorer.confidence else None
        stat = statistical_spans(text, sentence_spans(record), model, unsure,
                                 model.rescorer.uncertain_below if unsure is not None else 0.0, outside)
        spans = merge(snap_to_words(stat, text, record.get("tok")), gazetteer_spans(text, model, doc))
        spans = join_names(spans, plain)
        if model.rescorer is not None:
            spans = model.rescorer.apply(text, spans, model.lexicon, model.gazetteer, unsure, outside)
        tok = tokens_agreeing(record["tok"], spans, text) if record.get("tok") else None
        out.append((tok, [[text[b:e], kind, b, e] for kind, b, e in spans], cluster(text, spans, model.gazetteer)))
    return out


def set_annotations(records: list[dict], predictions: list[tuple[list | None, list, list]]) -> None:
    for record, (tok, mentions, entities) in zip(records, predictions):
        if tok is not None and tok != record["tok"]:
            record["tok"] = tok
        record["ner"], record["entities"] = mentions, entities


def tokens_agreeing(tok: list, spans, text: str) -> list:
    """The ``tok`` layer with the tokens inside each entity span merged into one (吴/恩达 →
    吴恩达), so segmentation and NER agree. A span whose edge cuts a token leaves it alone."""
    starts = {b: i for i, (_, b, _) in enumerate(tok)}
    ends = {e: i for i, (_, _, e) in enumerate(tok)}
    merged_ranges = sorted((starts[b], ends[e]) for _, b, e in spans
                           if b in starts and e in ends and ends[e] > starts[b])
    out, i = [], 0
    for first, last in merged_ranges:
        if first < i:
            continue
        out.extend(tok[i:first])
        b, e = tok[first][1], tok[last][2]
        out.append([text[b:e], b, e])
        i = last + 1
    out.extend(tok[i:])
    return out


