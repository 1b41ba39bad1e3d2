"""Stance toward AI *risk*: which sentences are about AI, what stance they take, whose it is.

No Chinese training set exists for this task, so the stage is built from the annotation
guideline (``../shared/eval/ai_stance/GUIDELINES.md``) and general Chinese structure rather
than fitted to the 261 dev sentences (word lists fitted to dev overfit badly; learners tried
in ``pipeline/train/stance.py`` did not beat these rules):

* **AI detection**: a term list (人工智能, AI, 大模型, GPT-n, named labs and products …).
* **Stance**: cue categories from ``config/stance/cues.yaml`` (risk, concrete harm, governance
  → concerned; dismissal, aimed criticism, deflation, reassurance → dismissive), weighed by
  structure in ``_weigh``: negation before a cue flips it (不会导致失业 → dismissive,
  并非空穴来风 → concerned), the clause after 但/却/然而 outweighs the one before, a dismissal
  mutes the risk words it talks about, asserted harm or a call to regulate outweighs a
  dismissal, a concession (虽然…风险，但可控) keeps the risk, plain questions are damped.
* **Holder**: the subject of a speech or stance verb (表示/认为/指出/警告/直言/称 …), found
  with title+name, foreign-name, quoted-organisation, government-body and gazetteer patterns
  and the record's NER person names (v2; v1 used jieba's ``nr`` tags, whose dictionary took
  1.3 s to load in every job); pronouns, elided subjects, numbered points, quotations,
  interviews and page-break fragments continue the previous holder; unnamed groups give None.
  Holders are mapped to the canonical name of the record's NER ``entities`` when present.

Everything runs on a simplified (OpenCC character table), half-width copy of the text whose
characters map 1:1 onto the original, so every offset found is an offset in the record's text.
``load`` keys, all optional: ``lexicon`` (path), ``gazetteer`` (path), ``threshold`` (0.5).
"""

from __future__ import annotations

import copy
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from math import tanh
from pathlib import Path

import yaml

from pipeline.normalize import to_halfwidth, to_simplified_halfwidth
from pipeline.paths import CONFIG_DIR, REPO_ROOT

VERSION = "zh.stance.cues.v2"

CONCERNED_CATEGORIES = ("risk", "harm", "governance")
DISMISSIVE_CATEGORIES = ("dismissal", "criticism", "deflation", "reassurance")
LABELS = ("concerned", "neutral", "dismissive")
NEGATION_SCOPE = 8  # characters before a cue in which 不/没有/并非… negate it (不会导致大规模失业)

_A_NOT_A = re.compile(r"(.)[不没]\1")
_CLAUSE_END = "，,。；;：:！？!?\n"
_QUOTE_OPEN = "“「『"
_QUOTE_CLOSE = "”」』"

# Speech and stance verbs whose subject holds the stance. 说/称 exclude 说法, 据说, 名称, 称为 …;
# a verb after 遭/被/受 is passive (AI威胁论遭反驳) and names no speaker.
_SPEECH_VERBS = (
    r"(?<![遭被受])(?:表示|认为|指出|警告|直言|坦言|声称|宣称|(?<![名堪号简俗])称(?![为作号])|说道|"
    r"(?<![据听小来所就])说(?![法明服])|强调|呼吁|批评|补充|回应|建议|预测|估计|相信|提醒|看来|介绍|"
    r"提出|宣布|声援|透露|解释|写道|主张|断言|否认|反驳|承认|表态|谈到|谈了|总结|"
    r"(?<!的)(?:担忧|担心)|觉得|质疑|驳斥|警示|分享了|发出|意识到|[:：]\s*(?=[“「]))"
)
# Acts that state a position only when a government body or official performs them.
_OFFICIAL_ACTS = r"公布|发布|印发|起草|启动|批准|倡议|愿|将|高度重视|整治|处置|举办|部署|要求"

_TITLES = (
    r"委员长|部长|总经理|分析师|专家|教授|主任|总理|秘书长|代表|事务所|首席执行官|执行官|创始人|"
    r"科学家|主席|院士|董事长|研究员|得主|博主|发言人|总裁|经理|负责人|会长|所长|院长|局长|"
    r"书记|委员(?!会)|议员|总统|首相|国务卿|外长|大使|CEO|CTO|教父|之父|作者|学者|先驱"
)
_STOP = (
    r"在|于|也|还|曾|则|都|就|又|近日|日前|今年|去年|本周|上周|周[一二三四五六日末]|昨天|今天|生前|早前|此前|"
    r"当时|随后|进一步|一直|毫不|明确|再次|多次|发文|撰文|发推|发帖|"
    r"接受|等|对|向|给|和|与|跟|将|已|更|同时|首次|公开|坦率|[^\u4e00-\u9fff·A-Za-z]|$"
)
_PERSON = rf"(?:[\u4e00-\u9fff]{{1,4}}·[\u4e00-\u9fff]{{1,5}}?|[A-Z][a-z]+(?: [A-Z][A-Za-z\-]+)*|(?!{_STOP})[\u4e00-\u9fff]{{2,4}}?)"
_TITLE_NAME = re.compile(rf"(?:{_TITLES})\s*({_PERSON})(?=\s*(?:{_STOP}))")
_DOT_NAME = re.compile(rf"[\u4e00-\u9fff]{{1,4}}·[\u4e00-\u9fff]{{1,5}}?(?={_STOP})")
_LATIN_NAME = re.compile(r"(?<![A-Za-z])[A-Z]*[a-z][A-Za-z\-]*(?: [A-Z][A-Za-z\-]+)*|(?<![A-Za-z])[A-Z][A-Za-z\-]*[a-z][A-Za-z\-]*(?: [A-Z][A-Za-z\-]+)*")
# A Chinese name NER did not find (王立新指出): a common surname and one or two characters
# standing alone before the verb.
_SURNAME_NAME = re.compile(
    r"(?:欧阳|司马|诸葛|上官|[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
    rf"杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤])"
    rf"[\u4e00-\u9fff]{{1,2}}?(?=\s*(?:{_STOP}))"
)
_QUOTED_NAME = re.compile(r"[“「]([^”」]{2,12})[”」]")
_GOVERNMENT = re.compile(
    r"中方|美方|欧方|中国政府|美国政府|中国(?=高度|政府|愿|将|始终|一贯)|联合国|欧盟|"
    r"(?<![发公颁宣召印])(?!个)(?:(?!了|的|等|关于|召开|发表|发布|将|已|在)[\u4e00-\u9fff]){1,10}?(?:部门|政府|办公室|研究所|委员会|网信办|部|委|(?<![布格结大当开僵出饭骗])局)(?![分长件队位落里门委局署办])"
)
_STANDALONE_HOLDERS = re.compile(r"两国元首|总书记|国家主席|国务院")
_COUNTED_GROUP = re.compile(r"^[一二三四五六七八九十两几多数\d]+个?(?:部门|国家|机构|单位)")
_COUNTED_PEOPLE = re.compile(r"[一二三四五六七八九十百千万两几多数\d]+(?:多|余)?[位名]")  # 千位科学家, 350名专家
_AFFILIATION_AFTER = re.compile(rf"\s*(?:{_TITLES}|首席|公司|旗下|的|、|方面的|等)")
_PRONOUN = re.compile(r"(?<![尤极])(他们|她们|他|她|其(?![中他实余次]))")
_FIRST_PERSON = re.compile(r"我")
_SUBORDINATE = re.compile(r"在[^，,]{0,30}?(?:时|中|上|期间)|接受[^，,]{0,20}?采访(?:时|中)?|(?<=^)由.*$")
_LEADING_ADVERBIALS = re.compile(
    r"^(?:事实上|实际上|值得注意的是|需要指出的是|需要注意的是|此外|同时|另外|其中|对此|"
    r"当时|随后|然而|而|但是|但|[\d一二三四五六七八九十]+年(?:\d+月)?(?:\d+日)?|今年\S{0,4}?|"
    r"[\d]+月\d+日|近日|日前|尤其是|更令人瞩目的是|从.{0,12}(?:至今|到现在|以来)|[#\s]+)[，,]?\s*"
)
_NUMBERED_POINT = re.compile(r"^\s*(?:[一二三四五六七八九十]是|第[一二三四五六七八九十][，,、])")
_TEMPORAL_CLAUSE = re.compile(r"^\s*(?:就|正)?(?:在|当).*(?:之后|以后|之前|以前|之际|时)\s*$")
_HEARSAY = re.compile(r"据.{0,12}(?:报道|消息|文件)")
_INTERVIEW_QUESTION = re.compile(r"^\s*问\s*[:：]")
_INTERVIEWEE = re.compile(r"^\s*([\u4e00-\u9fff·A-Za-z ]{2,12})\s*[:：](?![“「])")


@dataclass
class Cue:
    """One lexicon hit: its category, span in the sentence and signed strength."""

    category: str
    begin: int
    end: int
    weight: float

    @property
    def polarity(self) -> int:
        return 1 if self.category in CONCERNED_CATEGORIES or self.category == "negated_dismissal" else -1


@dataclass
class SentenceStance:
    label: str
    score: float
    confidence: float
    cue: tuple[int, int] | None  # span in the sentence


@dataclass
class StanceModel:
    """The compiled lexicon and the stage options (what ``load`` returns)."""

    ai_terms: re.Pattern
    cues: dict[str, list[tuple[re.Pattern, float]]]
    neutralizers: re.Pattern
    negators: re.Pattern
    contrast: re.Pattern
    concession: re.Pattern
    unnamed_groups: re.Pattern
    criticism_targets: re.Pattern
    known_names: tuple[str, ...] = ()  # people and organisations from the NER gazetteer
    threshold: float = 0.5


def _config_file(config: dict, key: str, default: Path) -> Path:
    path = Path(config.get(key, default))
    return path if path.is_absolute() else REPO_ROOT / path


def _gazetteer_names(path: Path) -> tuple[str, ...]:
    """PER/ORG names and aliases of the NER gazetteer (so 微软表示 has a speaker without NER)."""
    if not path.exists():
        return ()
    entries = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("entities", [])
    names = {
        normalise(name)
        for entry in entries
        if entry.get("type") in ("PER", "ORG")
        for name in [entry["name"], *entry.get("aliases", [])]
    }
    return tuple(sorted(names, key=len, reverse=True))


def load(config: dict | None = None) -> StanceModel:
    """Compile the cue lexicon (``config["lexicon"]``, default ``config/stance/cues.yaml``) and
    read speaker names from the NER gazetteer (``config["gazetteer"]``, default
    ``config/gazetteer.yaml``; optional)."""
    config = config or {}
    lexicon_path = _config_file(config, "lexicon", CONFIG_DIR / "stance" / "cues.yaml")
    lexicon = yaml.safe_load(lexicon_path.read_text(encoding="utf-8"))
    cues = {
        category: [(re.compile(entry["re"]), float(entry["w"])) for entry in lexicon[category]]
        for category in CONCERNED_CATEGORIES + DISMISSIVE_CATEGORIES
    }
    return StanceModel(
        ai_terms=re.compile("|".join(f"(?:{term})" for term in lexicon["ai_terms"])),
        cues=cues,
        neutralizers=re.compile("|".join(lexicon["neutralizers"])),
        negators=re.compile(lexicon["negators"]),
        contrast=re.compile(f"(?<!不)(?:{lexicon['contrast']})"),
        concession=re.compile(lexicon["concession"]),
        unnamed_groups=re.compile(lexicon["unnamed_groups"]),
        criticism_targets=re.compile(lexicon["criticism_targets"]),
        known_names=_gazetteer_names(_config_file(config, "gazetteer", CONFIG_DIR / "gazetteer.yaml")),
        threshold=float(config.get("threshold", 0.5)),
    )


# ---------------------------------------------------------------- normalisation


def normalise(text: str) -> str:
    """Half-width, simplified copy of ``text`` with the same length (offsets carry over);
    the OpenCC table lives in ``pipeline.normalize``, shared with segmentation and NER."""
    return to_simplified_halfwidth(text)


# ---------------------------------------------------------------- AI detection


def is_about_ai(text: str, model: StanceModel) -> bool:
    """True when the sentence names AI, a model family, an AI lab or an AI product."""
    return bool(model.ai_terms.search(normalise(text)))


# ---------------------------------------------------------------- stance


def find_cues(text: str, model: StanceModel) -> list[Cue]:
    """All lexicon hits in a normalised sentence, after removing names/features and nested hits."""
    blocked = [m.span() for m in model.neutralizers.finditer(text)]
    hits = []
    for category, patterns in model.cues.items():
        for pattern, weight in patterns:
            for match in pattern.finditer(text):
                begin, end = match.span()
                if end > begin and not any(begin < e and b < end for b, e in blocked):
                    hits.append(Cue(category, begin, end, weight))
    # a hit inside a longer hit is part of it (威胁 inside 不会…威胁, 风险 inside 风险与挑战)
    hits.sort(key=lambda cue: (cue.begin, -(cue.end - cue.begin)))
    kept: list[Cue] = []
    for cue in hits:
        if not any(k.begin <= cue.begin and cue.end <= k.end for k in kept):
            kept.append(cue)
    return kept


def _apply_negation(text: str, cues: list[Cue], model: StanceModel) -> None:
    """A negator shortly before a cue, in its clause, reverses risk, harm and dismissal cues."""
    for cue in cues:
        window = re.split(f"[{_CLAUSE_END}]", text[max(0, cue.begin - NEGATION_SCOPE) : cue.begin])[-1]
        window = _A_NOT_A.sub("", window)  # 会不会, 有没有 ask, they do not negate
        if not model.negators.search(window):
            continue
        if cue.category in ("risk", "harm"):  # 不会导致失业; a negated call to regulate stays a call
            cue.category, cue.weight = "reassurance", cue.weight * 0.8
        elif cue.category in ("dismissal", "criticism"):
            cue.category = "negated_dismissal"


def cue_profile(sentence: str, model: StanceModel) -> dict[str, float]:
    """Summed cue weight per category after negation (features for a learner)."""
    text = normalise(sentence)
    cues = find_cues(text, model)
    _apply_negation(text, cues, model)
    totals = dict.fromkeys(CONCERNED_CATEGORIES + DISMISSIVE_CATEGORIES + ("negated_dismissal",), 0.0)
    for cue in cues:
        totals[cue.category] += cue.weight
    return totals


def _clause_span(text: str, position: int) -> tuple[int, int]:
    begin = max((i + 1 for i, ch in enumerate(text[:position]) if ch in _CLAUSE_END), default=0)
    end = next((i for i in range(position, len(text)) if text[i] in _CLAUSE_END), len(text))
    return begin, end


def _weigh(text: str, cues: list[Cue], model: StanceModel) -> list[tuple[float, Cue]]:
    """Each cue's signed weight after the structural rules (the guideline's hard cases)."""
    contrast_at = [m.start() for m in model.contrast.finditer(text) if m.start() > 0]
    pivot = contrast_at[-1] if contrast_at else 0  # 但/却/然而: the clause after it is asserted
    # 虽然…风险，但…可控: the risk is acknowledged, so it stays concerned (case 2)
    conceded = bool(pivot and model.concession.search(text[:pivot])) and any(
        c.category == "risk" and c.begin < pivot for c in cues
    )
    # a dismissal or reassurance talks *about* the risk words on its side of the pivot
    muted_side = {c.begin >= pivot for c in cues if c.category in DISMISSIVE_CATEGORIES}
    # mixed sentences: asserted harms or a call to regulate outweigh a dismissal (case 1)
    asserts_harm = any(c.category in ("harm", "governance") for c in cues)
    criticism_aimed = bool(model.criticism_targets.search(text))
    ai_positions = [m.start() for m in model.ai_terms.finditer(text)]

    weighted = []
    for cue in cues:
        after = cue.begin >= pivot
        weight = cue.weight * (1.5 if (pivot and after) else 0.6 if pivot else 1.0)
        if cue.category == "risk" and after in muted_side and not conceded:
            weight *= 0.2
        if asserts_harm and cue.category in ("dismissal", "criticism", "deflation"):
            weight *= 0.5
        if cue.category == "criticism" and not criticism_aimed:
            weight *= 0.3  # 荒唐的推测: generic criticism with no risk claim in view
        if cue.polarity > 0 and ai_positions:
            begin, end = _clause_span(text, cue.begin)
            if not any(begin <= a < end for a in ai_positions):
                weight *= 0.5  # 垃圾清理…引入人工智能: the risk word is about something else
        if conceded and cue.category == "risk" and not after:
            weight *= 2.5
        if conceded and cue.category == "reassurance" and after:
            weight *= 0.3
        weighted.append((weight * cue.polarity, cue))
    return weighted


def classify(sentence: str, model: StanceModel) -> SentenceStance:
    """Stance of one sentence toward AI risk, from its cues and its clause structure."""
    text = normalise(sentence)
    cues = find_cues(text, model)
    _apply_negation(text, cues, model)
    weighted = _weigh(text, cues, model)
    total = sum(signed for signed, _ in weighted)
    rhetorical = any(c.category == "dismissal" and re.search("为何|为什么|何必", text[c.begin : c.end]) for c in cues)
    if text.rstrip("”」』) ").endswith(("?", "？")) and not rhetorical:
        total *= 0.3  # a plain question takes no position

    if abs(total) < model.threshold:
        confidence = 1.0 - min(abs(total) / model.threshold, 1.0) * 0.5
        return SentenceStance("neutral", 0.0, round(confidence, 3), None)
    sign = 1 if total > 0 else -1
    strongest = max((item for item in weighted if item[0] * sign > 0), key=lambda item: abs(item[0]))[1]
    opposing = sum(abs(signed) for signed, _ in weighted if signed * sign < 0)
    confidence = min(1.0, 0.5 + 0.25 * abs(total)) * (1.0 - min(opposing / (abs(total) + opposing), 0.5))
    return SentenceStance(
        "concerned" if sign > 0 else "dismissive",
        round(tanh(total / 1.5), 3),
        round(confidence, 3),
        (strongest.begin, strongest.end),
    )


# ---------------------------------------------------------------- holder


def _known_person_spans(text: str, persons: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where the document's person names (longest first) occur in ``text``; a name inside a
    longer one already found there is not found again."""
    spans: list[tuple[int, int]] = []
    for name in persons:
        start = text.find(name)
        while start >= 0:
            end = start + len(name)
            if not any(b < end and start < e for b, e in spans):
                spans.append((start, end))
            start = text.find(name, start + 1)
    return sorted(spans)


def person_names(text: str, speakers_only: bool = True, persons: tuple[str, ...] = ()) -> list[tuple[int, str]]:
    """(position, name) of people in ``text``: title+name, 外·文 names, Latin names, and the
    document's own person names ``persons`` (its NER PER entities, normalised, longest first).

    As a speaker, a name directly followed by a title or 的 is an affiliation (Meta 首席科学家),
    and a Latin name in brackets is a gloss (存在性危机 (Existential Risk)).
    """
    def usable(begin: int, end: int) -> bool:
        if not speakers_only:
            return True
        return not _AFFILIATION_AFTER.match(text, end) and text[begin - 1 : begin] not in ("(", "（")

    found = [(m.start(1), m.group(1).strip()) for m in _TITLE_NAME.finditer(text)]
    for pattern in (_DOT_NAME, _LATIN_NAME):
        found += [(m.start(), m.group(0)) for m in pattern.finditer(text) if usable(m.start(), m.end())]
    found += [(b, text[b:e]) for b, e in _known_person_spans(text, persons) if usable(b, e)]
    return [(at, name) for at, name in found if len(name) >= 2]


def _whole_name(subject: str, name: str) -> str:
    """A tagger often finds part of a transliterated name (本吉奥 → 吉奥, 周鸿祎 → 周鸿): when the
    subject starts with it, take the whole run of characters up to the next stop word."""
    match = re.match(rf"([\u4e00-\u9fff·]{{0,2}}{re.escape(name)}[\u4e00-\u9fff·]{{0,2}}?)\s*(?={_STOP})", subject)
    return match.group(1) if match and len(name) <= 2 and len(match.group(1)) <= 5 else name


def _strip_adverbials(text: str) -> str:
    while True:
        shorter = _LEADING_ADVERBIALS.sub("", text, count=1)
        if shorter == text:
            return text
        text = shorter


def _subject(window: str, model: StanceModel, state: _HolderState) -> tuple[str, str | None]:
    """The subject in the text before a verb: (kind, name) with kind name/pronoun/elided/unnamed/none."""
    stripped = _strip_adverbials(window.strip().strip("“”「」"))
    if not stripped:
        return "elided", None
    if _HEARSAY.search(stripped) or _COUNTED_GROUP.match(stripped):
        return "unnamed", None
    if _PRONOUN.match(stripped) or _FIRST_PERSON.match(stripped):
        return "pronoun", None
    if model.unnamed_groups.match(stripped):
        return "unnamed", None
    core = _SUBORDINATE.sub("", stripped)  # 在接受福克斯采访时: 福克斯 is not the speaker
    if re.fullmatch(r"[也还则又曾并都就更再]*", core.strip()):
        return "elided", None
    title_names = [m.group(1).strip() for m in _TITLE_NAME.finditer(core)]
    persons = [_whole_name(core.strip(), name) for _, name in sorted(person_names(core, persons=state.persons), key=lambda f: (f[0], -len(f[1])))]
    surname_name = _SURNAME_NAME.match(core.strip())
    for name in title_names + persons + ([surname_name.group(0)] if surname_name else []):
        if _COUNTED_PEOPLE.search(core[: core.find(name)]):
            return "unnamed", None
        if not model.unnamed_groups.fullmatch(name):
            return "name", name
    known = [(core.find(name), name) for name in state.entity_names if name in core]
    known = [(at, name) for at, name in known if not _AFFILIATION_AFTER.match(core, at + len(name))]
    if known:
        return "name", min(known, key=lambda found: (found[0], -len(found[1])))[1]
    for pattern in (_QUOTED_NAME, _STANDALONE_HOLDERS, _GOVERNMENT):
        match = pattern.search(core)
        if match:
            return "name", (match.group(1) if pattern is _QUOTED_NAME else match.group(0))
    if _PRONOUN.search(stripped[:6]) or stripped.startswith(("这位", "该")):
        return "pronoun", None
    if model.unnamed_groups.search(stripped):
        return "unnamed", None

    for name in state.names:  # a page-break fragment of a known name (…陈 / 晓建总结)
        if len(stripped) >= 2 and name.endswith(stripped):
            return "name", name
    return "none", None


def _speakers(text: str, model: StanceModel, pattern: str, state: _HolderState) -> list[tuple[int, str, str | None]]:
    """(verb position, subject kind, name) for each verb of ``pattern`` in a normalised sentence."""
    found = []
    for verb in re.finditer(pattern, text):
        start = verb.start()
        boundary = max(text.rfind(ch, 0, start) for ch in _CLAUSE_END)
        window = text[boundary + 1 : start]
        clause_end = min((i for i in (text.find(ch, start) for ch in _CLAUSE_END) if i >= 0), default=len(text))
        if _TEMPORAL_CLAUSE.match(text[boundary + 1 : clause_end]):
            continue  # 就在微软宣布…之后，马斯克…称: the verb of a time clause has no stance
        if verb.group(0) in ("看来", "介绍"):
            window = re.sub(r"^\s*[在据]", "", window)  # 在杨立昆看来, 据张伟介绍
        kind, name = _subject(window, model, state)
        if kind == "elided" and boundary >= 0:  # 丁薛祥围绕…，谈了5点看法: an earlier clause's subject
            for clause in reversed(re.split(f"[{_CLAUSE_END}]", text[:boundary])):
                clause_kind, clause_name = _subject(clause, model, state)
                if clause_kind in ("name", "pronoun", "unnamed"):
                    kind, name = clause_kind, clause_name
                    break
        if kind != "none":
            found.append((start, kind, name))
    return found


@dataclass
class _HolderState:
    """What the previous sentences of the document leave behind for the next one."""

    last: str | None = None
    open_quote_holder: str | None = None
    quote_open: bool = False
    quote_age: int = 0  # sentences since the open quotation began
    question_answer: bool = False  # the document is an interview (问:… / 吴恩达:…)
    interviewee: str | None = None  # in an interview, who answers until the next question
    previous_fragment: bool = False
    names: Counter = field(default_factory=Counter)  # the document's named speakers, by frequency
    entity_names: tuple[str, ...] = ()  # gazetteer and NER PER/ORG names, longest first
    persons: tuple[str, ...] = ()  # the document's person names (NER PER), longest first


def _resolve_pronoun(body: str, at: int, speakers, state: _HolderState, inherited: str | None) -> str | None:
    """他/她/elided subject: an earlier speaker in the sentence, a person just named, else the last holder.

    我 (a quoted or interviewed speaker) and 他们 (a group) only continue the current holder.
    """
    earlier = [name for start, kind, name in speakers if start < at and kind == "name"]
    if earlier:
        return earlier[-1]
    pronoun = body[at : at + 2]
    if not pronoun.startswith(("他", "她", "这位", "该")) or pronoun in ("他们", "她们"):
        return inherited or state.last
    named_before = [name for _, name in person_names(body[:at], speakers_only=False, persons=state.persons) if name in state.names]
    if named_before:
        return named_before[-1]
    return inherited or state.last or _dominant_person(state)


def _sentence_holder(body: str, stance: SentenceStance, state: _HolderState, model: StanceModel) -> str | None:
    if _INTERVIEW_QUESTION.match(body):
        return None
    if state.quote_open and state.open_quote_holder and state.open_quote_holder in body:
        state.quote_open = False  # the speaker named in the third person: the narrator is back
    inherited = state.open_quote_holder if state.quote_open else state.last if state.previous_fragment else None

    speakers = _speakers(body, model, _SPEECH_VERBS, state)
    if speakers:
        cue_at = stance.cue[0] if stance.cue else len(body)
        start, kind, name = speakers[0]
        if kind == "unnamed":  # 一位观众表示:「…他表示…担忧…」: a later named speaker before the cue
            later = [s for s in speakers[1:] if s[0] < cue_at and s[1] != "unnamed"]
            if not later:
                return inherited
            start, kind, name = later[0]
        if kind == "name":
            return name
        if kind == "pronoun":
            start = _pronoun_before(body, start)
        return _resolve_pronoun(body, start, speakers, state, inherited)

    if inherited:
        return inherited
    interviewee = _INTERVIEWEE.match(body)  # 吴恩达:包括百度在内的…
    if interviewee and any(name == interviewee.group(1).strip() for _, name in person_names(interviewee.group(1), persons=state.persons)):
        if state.question_answer:
            state.interviewee = interviewee.group(1).strip()
        return interviewee.group(1).strip()
    if state.interviewee:
        return state.interviewee
    if body[:1] in _QUOTE_OPEN or _NUMBERED_POINT.match(body):
        return state.last
    if _PRONOUN.match(body) or (_FIRST_PERSON.search(body) and state.last):
        return _resolve_pronoun(body, 0 if _PRONOUN.match(body) else body.find("我"), [], state, None)

    for start, kind, name in _speakers(body, model, _OFFICIAL_ACTS, state):
        if kind == "name" and (_GOVERNMENT.fullmatch(name) or _STANDALONE_HOLDERS.fullmatch(name)):
            return name
    if stance.label != "neutral" and not _HEARSAY.search(body):
        head = re.split(f"[{_CLAUSE_END}]", _strip_adverbials(body))[0]
        kind, name = _subject(head[:12], model, state)
        if kind == "name" and head.startswith(name):
            return name
        people = person_names(head, persons=state.persons)  # 被誉为“教父”的行业先驱——杰弗里·辛顿,…都…发出警告
        if people and "——" in head:
            return people[-1][1]
    return None


def _pronoun_before(body: str, limit: int) -> int:
    """Where the pronoun subject of the verb at ``limit`` starts."""
    found = list(re.finditer(r"他们|她们|他|她|我们|我|其|这位|该", body[:limit]))
    return found[-1].start() if found else limit


def _dominant_person(state: _HolderState) -> str | None:
    """The document's most frequent speaker, for a 他 with nobody named before it."""
    return state.names.most_common(1)[0][0] if state.names else None


def _update_state(body: str, holder: str | None, state: _HolderState) -> None:
    if _INTERVIEW_QUESTION.match(body):
        return  # an interviewer's question does not interrupt the interviewee's turn
    depth = sum(body.count(c) for c in _QUOTE_OPEN) - sum(body.count(c) for c in _QUOTE_CLOSE)
    state.quote_age += 1
    if depth > 0:
        state.quote_open, state.open_quote_holder, state.quote_age = True, holder, 0
    elif depth < 0 or state.quote_age >= 2:
        state.quote_open = False  # closed, or the rest of the quotation is not in view
    # a sentence cut by the layout after a comma continues into the next one
    state.previous_fragment = body[-1:] in ("，", ",", "、")
    state.last = holder
    if holder:
        state.names[holder] += 1


def sentence_holders(
    sentences: list[str], stances: list[SentenceStance], model: StanceModel, entity_names: list[str] = (),
    persons: list[str] = (),
) -> list[str | None]:
    """Holder of each sentence of one document, in order (pronoun and quote continuation need it).

    ``entity_names``: the document's PER/ORG names from the NER layer, if any; ``persons``:
    its PER names (with aliases), which mark people as jieba's ``nr`` tags did before v2.
    """
    normalised = [normalise(text) for text in sentences]
    known = {normalise(name) for name in entity_names if len(name) >= 2} | set(model.known_names)
    state = _HolderState(
        question_answer=any(_INTERVIEW_QUESTION.match(text) for text in normalised),
        entity_names=tuple(sorted(known, key=len, reverse=True)),
        persons=tuple(sorted({normalise(name) for name in persons if len(name) >= 2}, key=lambda n: (-len(n), n))),
    )
    for text in normalised:  # the document's speakers, for 他 with nobody named before it
        for _, kind, name in _speakers(text, model, _SPEECH_VERBS, state):
            if kind == "name":
                state.names[name] += 1
    holders = []
    for original, body, stance in zip(sentences, normalised, stances):
        body = body.strip()
        holder = _sentence_holder(body, stance, state, model)
        if holder:
            start = normalise(original).find(holder)
            if start >= 0:  # the name as the document writes it (traditional stays traditional)
                holder = original[start : start + len(holder)]
        _update_state(body, normalise(holder) if holder else None, state)
        holders.append(holder)
    return holders


# ---------------------------------------------------------------- names


def same_holder(a: str | None, b: str | None) -> bool:
    """Names match after simplification and whitespace removal when equal or one ends the other.

    This is how 马斯克 ~ 埃隆·马斯克, LeCun ~ Yann LeCun and 迪·贾西 ~ 安迪·贾西 meet.
    """
    if a is None or b is None:
        return a is b
    a, b = (re.sub(r"\s+", "", normalise(x)) for x in (a, b))
    shorter, longer = sorted((a, b), key=len)
    return shorter == longer or (len(shorter) >= 2 and longer.endswith(shorter))


def canonical_holder(name: str | None, record: dict, other_holders: list[str] = ()) -> str | None:
    """The entity's canonical name for a holder (NER clusters), else the longest form of the same
    name in the document (马斯克 → 埃隆·马斯克, 晓建 → 陈晓建), else the name itself."""
    if not name:
        return None
    for entity in record.get("entities") or []:
        if any(same_holder(name, alias) for alias in [entity["name"], *entity.get("aliases", [])]):
            return entity["name"]
    text = record.get("text", "")
    normalised = normalise(text)
    forms = [text[m.start() : m.end()] for pattern in (_DOT_NAME, _LATIN_NAME) for m in pattern.finditer(normalised)]
    forms += [other for other in other_holders if other]
    return max((form for form in forms if same_holder(name, form)), key=len, default=name) if len(name) >= 2 else name


# ---------------------------------------------------------------- stage API


def annotate(records: list[dict], model: StanceModel) -> list[dict]:
    """Add the ``stance`` layer: one entry per AI sentence, plus the document profile."""
    return [_annotate_one(record, model) for record in records]


def _annotate_one(record: dict, model: StanceModel) -> dict:
    text = record["text"]
    spans = record.get("sentences") or [[0, len(text)]]
    sentences = [text[b:e] for b, e in spans]
    about_ai = [is_about_ai(s, model) for s in sentences]
    stances = [classify(s, model) if ai else SentenceStance("neutral", 0.0, 1.0, None) for s, ai in zip(sentences, about_ai)]
    entity_names = [
        name
        for entity in record.get("entities") or []
        if entity.get("type") in ("PER", "ORG")
        for name in [entity["name"], *entity.get("aliases", [])]
    ]
    persons = [
        name
        for entity in record.get("entities") or []
        if entity.get("type") == "PER"
        for name in [entity["name"], *entity.get("aliases", [])]
    ]
    holders = sentence_holders(sentences, stances, model, entity_names, persons)

    entries = []
    for index, ((begin, end), sentence, ai, stance, holder) in enumerate(zip(spans, sentences, about_ai, stances, holders)):
        if not ai:
            continue
        cue = None
        if stance.cue:
            cue_begin, cue_end = begin + stance.cue[0], begin + stance.cue[1]
            cue = [text[cue_begin:cue_end], cue_begin, cue_end]
        entries.append(
            {
                "sent": index,
                "begin": begin,
                "end": end,
                "text": sentence,
                "about_ai": True,
                "stance": stance.label,
                "score": stance.score,
                "confidence": stance.confidence,
                "cue": cue,
                "holder": canonical_holder(holder, record, holders),
            }
        )
    result = copy.deepcopy(record)
    result["stance"] = {"version": VERSION, "sentences": entries, "profile": profile(entries)}
    return result


def _label_for(mean_score: float) -> str:
    return "concerned" if mean_score > 0.15 else "dismissive" if mean_score < -0.15 else "neutral"


def profile(entries: list[dict]) -> dict:
    """Document view: label counts, mean score, and each holder's stance with evidence."""
    counts = Counter(entry["stance"] for entry in entries)
    by_holder: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        if entry["holder"]:
            by_holder[entry["holder"]].append(entry)
    holders = []
    for holder, items in by_holder.items():
        mean = sum(e["score"] for e in items) / len(items)
        evidence = sorted((e for e in items if e["stance"] != "neutral"), key=lambda e: -abs(e["score"]))
        holders.append(
            {
                "holder": holder,
                "stance": _label_for(mean),
                "mean_score": round(mean, 3),
                "sentences": len(items),
                "evidence": [e["text"] for e in evidence[:3]],
            }
        )
    holders.sort(key=lambda h: (-h["sentences"], h["holder"]))
    mean_score = sum(e["score"] for e in entries) / len(entries) if entries else 0.0
    return {
        "counts": {label: counts.get(label, 0) for label in LABELS},
        "mean_score": round(mean_score, 3),
        "holders": holders,
    }


class _HolderKeys:
    """The first holder seen that :func:`same_holder` matches a new one, found through two
    dictionaries instead of comparing with every holder so far (quadratic at scale).

    Forms are compared as ``same_holder`` does (normalised, no whitespace): two forms match
    when equal or when the shorter, of two or more characters, ends the longer.
    """

    def __init__(self):
        self.keys: list[str] = []
        self.by_form: dict[str, int] = {}    # a key's form → its index
        self.by_suffix: dict[str, int] = {}  # every ending (≥ 2 characters) of a key's form → the first index

    @staticmethod
    def _endings(form: str) -> list[str]:
        return [form[i:] for i in range(len(form) - 1)]  # the endings of two or more characters

    def key(self, holder: str) -> str:
        form = re.sub(r"\s+", "", normalise(holder))
        found = [self.by_form[end] for end in [form, *self._endings(form)] if end in self.by_form]
        if len(form) >= 2 and form in self.by_suffix:
            found.append(self.by_suffix[form])
        if found:
            return self.keys[min(found)]
        self.keys.append(holder)
        self.by_form.setdefault(form, len(self.keys) - 1)
        for end in self._endings(form):
            self.by_suffix.setdefault(end, len(self.keys) - 1)
        return holder


def holder_table(records: list[dict]) -> list[dict]:
    """Corpus view: each holder with its documents, mean score and strongest evidence sentence.

    Records come in id order with unique ids, so a document is already in a holder's row
    only if it was added last."""
    rows: dict[str, dict] = {}
    keys = _HolderKeys()
    for record in records:
        for entry in (record.get("stance") or {}).get("sentences", []):
            holder = entry["holder"]
            if not holder:
                continue
            key = keys.key(holder)
            row = rows.setdefault(key, {"holder": key, "documents": [], "scores": [], "best": None})
            if not row["documents"] or row["documents"][-1] != record["id"]:
                row["documents"].append(record["id"])
            row["scores"].append(entry["score"])
            if row["best"] is None or abs(entry["score"]) > abs(row["best"]["score"]):
                row["best"] = {"doc": record["id"], "text": entry["text"], "score": entry["score"], "stance": entry["stance"]}
    table = []
    for row in rows.values():
        mean = sum(row["scores"]) / len(row["scores"])
        table.append(
            {
                "holder": row["holder"],
                "stance": _label_for(mean),
                "mean_score": round(mean, 3),
                "sentences": len(row["scores"]),
                "documents": row["documents"],
                "strongest_evidence": row["best"],
            }
        )
    table.sort(key=lambda r: (-len(r["documents"]), -r["sentences"], r["holder"]))
    return table
