"""Word segmentation stage: a character CRF (BMES tags) with lexicon-match features.

Why this design: on 2 CPU cores a linear-chain CRF (python-crfsuite) trained on People's
Daily 1998 beats pkuseg on the PKU standard and runs faster, once each character also
knows which training-lexicon words it begins, continues or ends (dictionary features).
Inference reads the CRF's weights into numpy tables (``CompiledCRF``) and decodes batches
of sentences, several times faster than calling crfsuite's tagger with feature strings.
Two layers of rules sit on top of the model:

* a run of Latin letters/digits (``GPT-4``, ``X.ai``, ``eBay``, ``2024``, URLs) never
  gets a boundary inside it;
* words of the user dictionary (``config/user_dict.txt``) are forced whole: leftmost
  longest matches found with HanLP's trie become single tokens.

>>> model = load({})                                              # doctest: +SKIP
>>> annotate([{"id": "a", "text": "埃隆·马斯克创办了X.ai。"}], model)[0]["tok"]  # doctest: +SKIP
[['埃隆·马斯克', 0, 6], ['创办', 6, 8], ['了', 8, 9], ['X.ai', 9, 13], ['。', 13, 14]]
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pycrfsuite
from hanlp_trie import Trie

from pipeline.record.text import char_class, normalise, to_halfwidth
from pipeline.running.caches import cached
from pipeline.config import with_defaults
from pipeline.paths import REPO_ROOT

VERSION = "zh.segment.crf_lexicon.v2"

MAX_WORD_LEN = 8  # longer lexicon words add almost no matches and cost lookups
# Chunks of text given to one CRF call: whitespace is never inside a token.
_NON_SPACE = re.compile(r"\S+")
# A Latin/digit run with inner connectors (X.ai, GPT-4, 3.5, a_b, user@host, AT&T), or a URL.
# A slash is not a connector outside URLs: "Google/DeepMind" is two names.
_LATIN_RUN = re.compile(
    r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+"
    r"|[A-Za-z0-9]+(?:[.\-_@&+][A-Za-z0-9]+)*"
)


@dataclass(frozen=True)
class Lexicon:
    """Multi-character words plus all their prefixes, so a look-up stops at the first dead end.

    Substring look-ups in two sets measured faster than a HanLP trie walk in pure Python
    for the ~52k-word training lexicon (benchmarks/segment_trie_speed.py).
    """

    words: frozenset[str]
    prefixes: frozenset[str]

    @classmethod
    def from_words(cls, words) -> "Lexicon":
        words = frozenset(w for w in words if 1 < len(w) <= MAX_WORD_LEN)
        return cls(words, frozenset(w[:k] for w in words for k in range(2, len(w) + 1)))


def lexicon_matches(text: str, lexicon: Lexicon) -> list[tuple[int, int, int]]:
    """For each character, the longest lexicon word it begins, continues and ends (0 = none)."""
    n = len(text)
    begin, middle, end = [0] * n, [0] * n, [0] * n
    words, prefixes = lexicon.words, lexicon.prefixes
    for i in range(n - 1):
        for j in range(i + 2, min(i + MAX_WORD_LEN, n) + 1):
            piece = text[i:j]
            if piece not in prefixes:
                break
            if piece in words:
                length = j - i
                begin[i] = length  # lengths grow with j, so the last match is the longest
                if length > end[j - 1]:
                    end[j - 1] = length
                for k in range(i + 1, j - 1):
                    if length > middle[k]:
                        middle[k] = length
    return list(zip(begin, middle, end))


def char_features(text: str, lexicon: Lexicon) -> list[list[str]]:
    """CRF features of each character: chars and bigrams in a ±2 window, classes, lexicon matches."""
    padded = "\x02\x02" + text + "\x03\x03"
    classes = "SS" + "".join(char_class(c) for c in text) + "EE"
    bigrams = [padded[p:p + 2] for p in range(len(text) + 3)]  # bigrams[p] = padded[p] + padded[p+1]
    features = []
    for i, (b, m, e) in enumerate(lexicon_matches(text, lexicon)):
        a2, a1, c, z1, z2 = padded[i:i + 5]
        features.append([
            "u0" + c, "u-1" + a1, "u1" + z1, "u-2" + a2, "u2" + z2,
            "b-2" + bigrams[i], "b-1" + bigrams[i + 1], "b0" + bigrams[i + 2], "b1" + bigrams[i + 3],
            "s" + a1 + z1, "k" + classes[i + 1:i + 4], "kk" + classes[i:i + 5],
            f"lb{b}", f"lm{m}", f"le{e}", f"l{b}{m}{e}", f"lc{b}{e}{c}",
        ])
    return features


def words_to_tags(words: list[str]) -> list[str]:
    """BMES tags of the characters of a segmented sentence."""
    tags = []
    for word in words:
        tags.extend(["S"] if len(word) == 1 else ["B"] + ["M"] * (len(word) - 2) + ["E"])
    return tags


def tags_to_cuts(tags: list[str]) -> list[bool]:
    """cut[i] is True when a word starts at character i (cut[0] is always True)."""
    return [i == 0 or tag in ("B", "S") or tags[i - 1] in ("E", "S") for i, tag in enumerate(tags)]


_CLASS_CODE = {k: i for i, k in enumerate("DLNTPCSE")}  # char_class letters plus the pads S, E
_UNIGRAM_OFFSETS = {"u-2": -2, "u-1": -1, "u0": 0, "u1": 1, "u2": 2}
_BIGRAM_OFFSETS = {"b-2": -2, "b-1": -1, "b0": 0, "b1": 1}  # bigram starting at i + offset


class CompiledCRF:
    """The trained CRF's weights as numpy tables indexed like ``char_features``, decoded in batches.

    Why: crfsuite's tagger spends most of its time turning ~17 Python feature strings per
    character into ids. Here each character costs three dictionary look-ups (char, bigram,
    skip-bigram); the other templates are integer codes, emission scores are numpy gathers,
    and Viterbi runs over a batch of chunks at once. The scores are the model's own, so the
    tags equal crfsuite's (tests/test_segment_annotate.py checks it).
    """

    def __init__(self, model_path: Path):
        self.model_path = model_path
        tagger = pycrfsuite.Tagger()
        tagger.open(str(model_path))
        info = tagger.info()
        self.labels = tagger.labels()
        label_index = {label: k for k, label in enumerate(self.labels)}
        self.transitions = np.zeros((len(self.labels), len(self.labels)))
        for (source, target), weight in info.transitions.items():
            self.transitions[label_index[source], label_index[target]] = weight

        by_template: dict[str, dict[str, np.ndarray]] = {}
        for (attribute, label), weight in info.state_features.items():
            template, key = _split_attribute(attribute)
            row = by_template.setdefault(template, {}).setdefault(key, np.zeros(len(self.labels)))
            row[label_index[label]] = weight

        def vocabulary(templates, extra=()):
            keys = sorted({key for t in templates for key in by_template.get(t, {})} | set(extra))
            return {key: i for i, key in enumerate(keys)}

        def table(template, index, size):
            weights = np.zeros((size + 1, len(self.labels)))  # the last row: unseen key, weight 0
            for key, row in by_template.get(template, {}).items():
                weights[index(key)] = row
            return weights

        lc_chars = {key[2:] for key in by_template.get("lc", {})}
        self.chars = vocabulary(_UNIGRAM_OFFSETS, lc_chars)
        self.bigrams = vocabulary(_BIGRAM_OFFSETS)
        self.skips = vocabulary(["s"])
        n_chars = len(self.chars)
        self.char_classes = np.array([_CLASS_CODE[_pad_or_class(c)] for c in self.chars] + [0])
        self.unigram_w = {o: table(t, self.chars.get, n_chars) for t, o in _UNIGRAM_OFFSETS.items()}
        self.bigram_w = {o: table(t, self.bigrams.get, len(self.bigrams)) for t, o in _BIGRAM_OFFSETS.items()}
        self.skip_w = table("s", self.skips.get, len(self.skips))
        self.class3_w = table("k", lambda k: _base8(k), 8 ** 3)
        self.class5_w = table("kk", lambda k: _base8(k), 8 ** 5)
        self.begin_w, self.middle_w, self.end_w = (table(t, int, MAX_WORD_LEN + 1) for t in ("lb", "lm", "le"))
        self.bme_w = table("l", lambda k: int(k, 9), 9 ** 3)
        self.lc_w = table("lc", lambda k: int(k[:2], 9) * (n_chars + 1) + self.chars[k[2:]], 81 * (n_chars + 1))

    def emissions(self, text: str, lexicon: Lexicon) -> np.ndarray:
        """Score of each label at each character: the sum of its feature weights, (len, labels)."""
        n = len(text)
        padded = "\x02\x02" + text + "\x03\x03"
        unk_char, unk_bigram, unk_skip = len(self.chars), len(self.bigrams), len(self.skips)
        chars = np.array([self.chars.get(c, unk_char) for c in padded])
        bigrams = np.array([self.bigrams.get(padded[p:p + 2], unk_bigram) for p in range(n + 3)])
        skips = np.array([self.skips.get(padded[i + 1] + padded[i + 3], unk_skip) for i in range(n)], dtype=int)
        classes = self.char_classes[chars]  # known characters: precomputed; unseen ones: computed
        for p in np.flatnonzero(chars == unk_char):
            classes[p] = _CLASS_CODE["S" if p < 2 else "E" if p >= n + 2 else char_class(padded[p])]
        lex = np.array(lexicon_matches(text, lexicon), dtype=int).reshape(n, 3)
        b, m, e = lex[:, 0], lex[:, 1], lex[:, 2]

        score = self.skip_w[skips]
        for offset, weights in self.unigram_w.items():
            score += weights[chars[2 + offset:2 + offset + n]]
        for offset, weights in self.bigram_w.items():
            score += weights[bigrams[2 + offset:2 + offset + n]]
        c = [classes[k:k + n] for k in range(5)]
        score += self.class3_w[(c[1] * 8 + c[2]) * 8 + c[3]]
        score += self.class5_w[(((c[0] * 8 + c[1]) * 8 + c[2]) * 8 + c[3]) * 8 + c[4]]
        score += self.begin_w[b] + self.middle_w[m] + self.end_w[e] + self.bme_w[(b * 9 + m) * 9 + e]
        score += self.lc_w[(b * 9 + e) * (unk_char + 1) + chars[2:n + 2]]
        return score

    def decode(self, scores: list[np.ndarray]) -> list[list[str]]:
        """Viterbi labels of many sequences, run in length-sorted batches of padded arrays."""
        order = sorted(range(len(scores)), key=lambda k: len(scores[k]))
        results: list[list[str]] = [[] for _ in scores]
        for start in range(0, len(order), 256):
            batch = order[start:start + 256]
            for k, labels in zip(batch, self._viterbi([scores[k] for k in batch])):
                results[k] = [self.labels[j] for j in labels]
        return results

    def _viterbi(self, scores: list[np.ndarray]) -> list[np.ndarray]:
        lengths = np.array([len(s) for s in scores])
        n_labels, longest = len(self.labels), int(lengths.max(initial=0))
        emissions = np.zeros((len(scores), longest, n_labels))
        for k, s in enumerate(scores):
            emissions[k, :len(s)] = s
        best = np.empty_like(emissions)  # best[:, t, j]: best path score ending in label j at t
        back = np.zeros(emissions.shape, dtype=np.int8)
        best[:, 0] = emissions[:, 0]
        for t in range(1, longest):
            candidates = best[:, t - 1, :, None] + self.transitions  # (batch, from, to)
            back[:, t] = candidates.argmax(axis=1)
            best[:, t] = candidates.max(axis=1) + emissions[:, t]
        rows = np.arange(len(scores))
        labels = np.zeros((len(scores), longest), dtype=np.int64)
        has_items = lengths > 0
        last = np.maximum(lengths - 1, 0)
        labels[rows, last] = best[rows, last].argmax(axis=1)
        for t in range(longest - 2, -1, -1):
            inside = t < last  # positions before each sequence's last one follow the back-pointer
            following = back[rows, t + 1, labels[:, t + 1]]
            labels[:, t] = np.where(inside, following, labels[:, t])
        return [labels[k, :lengths[k]] if has_items[k] else labels[k, :0] for k in range(len(scores))]


def _pad_or_class(ch: str) -> str:
    return {"\x02": "S", "\x03": "E"}.get(ch) or char_class(ch)


def _base8(classes: str) -> int:
    code = 0
    for c in classes:
        code = code * 8 + _CLASS_CODE[c]
    return code


def _split_attribute(attribute: str) -> tuple[str, str]:
    """``"b-1中国"`` → (``"b-1"``, ``"中国"``): the template name and its key, as ``char_features`` builds them."""
    head = attribute[0]
    if head == "u":
        return attribute[:-1], attribute[-1]
    if head == "b":
        return attribute[:-2], attribute[-2:]
    if head == "s":
        return "s", attribute[1:]
    if head == "k":
        return ("kk", attribute[2:]) if attribute.startswith("kk") and len(attribute) == 7 else ("k", attribute[1:])
    if attribute[1] in "bme" and len(attribute) == 3:  # lb5, lm0, le2
        return attribute[:2], attribute[2:]
    if attribute[1] == "c":
        return "lc", attribute[2:]
    return "l", attribute[1:]


@dataclass(frozen=True)
class UserDictionary:
    """Words forced whole, matched leftmost-longest with HanLP's trie."""

    words: tuple[str, ...]
    trie: Trie

    @classmethod
    def from_words(cls, words) -> "UserDictionary":
        words = tuple(sorted({to_halfwidth(w) for w in words if w}))
        return cls(words, Trie(words))

    def occurs_in(self, text: str) -> bool:
        """A C-speed substring pre-check: the trie walk is skipped for most sentences."""
        return any(word in text for word in self.words)


def apply_rules(text: str, cuts: list[bool], user_dict: UserDictionary | None) -> list[bool]:
    """Enforce the rules on predicted word starts: Latin runs whole, user-dictionary words whole."""
    cuts = list(cuts)
    protected = [False] * len(text)  # True: no boundary may fall before this character
    for run in _LATIN_RUN.finditer(text):
        for i in range(run.start() + 1, run.end()):
            cuts[i] = False
            protected[i] = True
    if user_dict is not None and user_dict.occurs_in(text):
        for begin, end, _ in user_dict.trie.parse_longest(text):
            if protected[begin] or (end < len(text) and protected[end]):
                continue  # the match would cut a Latin run (GPT-4 inside GPT-4o)
            cuts[begin] = True
            for i in range(begin + 1, end):
                cuts[i] = False
            if end < len(text):
                cuts[end] = True
    return cuts


def cuts_to_spans(cuts: list[bool], offset: int = 0) -> list[tuple[int, int]]:
    starts = [i for i, cut in enumerate(cuts) if cut] + [len(cuts)]
    return [(offset + s, offset + e) for s, e in zip(starts, starts[1:])]


@dataclass
class Segmenter:
    """A loaded segmentation model: compiled CRF, training lexicon, user dictionary."""

    crf: CompiledCRF
    lexicon: Lexicon
    user_dict: UserDictionary | None
    processes: int = 2

    def segment_texts(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        """Word spans (begin, end) of each text, decoded as one batch; whitespace belongs to no word.
        Traditional script is read through its simplified 1:1 copy (``pipeline.record.text.normalise``),
        the script the model learned: 人類/認為 stay whole, and offsets are unchanged."""
        chunks = [(k, match.start(), match.group()) for k, text in enumerate(texts)
                  for match in _NON_SPACE.finditer(normalise(text))]
        labels = self.crf.decode([self.crf.emissions(piece, self.lexicon) for _, _, piece in chunks])
        spans: list[list[tuple[int, int]]] = [[] for _ in texts]
        for (k, offset, piece), tags in zip(chunks, labels):
            cuts = apply_rules(piece, tags_to_cuts(tags), self.user_dict)
            spans[k].extend(cuts_to_spans(cuts, offset))
        return spans

    def segment(self, text: str) -> list[str]:
        return [text[b:e] for b, e in self.segment_texts([text])[0]]


def load_user_dict(path: Path) -> UserDictionary | None:
    """User-dictionary words (one per line, ``#`` comments), half-width normalised."""
    if not path.exists():
        return None
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    words = [line for line in lines if line and not line.startswith("#")]
    return UserDictionary.from_words(words) if words else None


def compiled_crf(model_path: Path) -> CompiledCRF:
    """:class:`CompiledCRF` of a model file. Compiling reads every crfsuite feature into
    Python (≈ 2.5 s); the cached pickle loads in a tenth of that."""
    crf = cached("segmenter", [model_path, __file__], lambda: CompiledCRF(model_path))
    crf.model_path = model_path  # the same bytes may have been compiled from another path
    return crf


def load(config: dict) -> Segmenter:
    """Load the model once. Keys: ``model``, ``user_dict``, ``processes`` (paths relative to the repo)."""
    config = with_defaults("segment", config)
    model_dir = REPO_ROOT / config["model"]
    settings = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    lexicon_file = model_dir / settings.get("lexicon_file", "lexicon.txt")
    lexicon = Lexicon.from_words(lexicon_file.read_text(encoding="utf-8").split())
    return Segmenter(
        crf=compiled_crf(model_dir / settings.get("model_file", "model.crfsuite")),
        lexicon=lexicon,
        user_dict=load_user_dict(REPO_ROOT / config["user_dict"]),
        processes=int(config["processes"]),
    )


def _pieces(record: dict) -> list[tuple[int, int]]:
    """The record's sentence spans plus any text between them, so every character is covered."""
    pieces, covered = [], 0
    for begin, end in sorted(record.get("sentences") or []):
        if begin > covered:
            pieces.append((covered, begin))
        pieces.append((max(begin, covered), end))
        covered = max(covered, end)
    if covered < len(record["text"]):
        pieces.append((covered, len(record["text"])))
    return pieces


def _tokens(records: list[dict], model: Segmenter) -> list[list[list]]:
    """``tok`` layers of a batch of records, all their sentences decoded together."""
    pieces = [(k, begin, end) for k, record in enumerate(records) for begin, end in _pieces(record)]
    spans = model.segment_texts([records[k]["text"][begin:end] for k, begin, end in pieces])
    tokens: list[list[list]] = [[] for _ in records]
    for (k, begin, _), sentence_spans in zip(pieces, spans):
        text = records[k]["text"]
        tokens[k].extend([text[begin + b:begin + e], begin + b, begin + e] for b, e in sentence_spans)
    return tokens


_worker_model: Segmenter | None = None


def _init_worker(model: Segmenter) -> None:
    global _worker_model
    _worker_model = model


def _worker_tokens(records: list[dict]) -> list[list[list]]:
    return _tokens(records, _worker_model)


def predict(records: list[dict], model: Segmenter) -> list[list[list]]:
    """The ``tok`` layer of each record: ``[[word, begin, end], ...]``.

    With ``processes`` > 1 and more than one record, slices of the batch go to a forked
    process pool (the model is inherited, not pickled) so inference uses every core.
    """
    if model.processes > 1 and len(records) > 1:
        size = -(-len(records) // (4 * model.processes))
        slices = [records[i:i + size] for i in range(0, len(records), size)]
        with get_context("fork").Pool(model.processes, _init_worker, (model,)) as pool:
            return [tokens for part in pool.map(_worker_tokens, slices) for tokens in part]
    return _tokens(records, model)


def set_annotations(records: list[dict], token_lists: list[list[list]]) -> None:
    for record, tokens in zip(records, token_lists):
        record["tok"] = tokens
