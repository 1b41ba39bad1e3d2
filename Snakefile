# The Chinese NLP pipeline: clean → segment → ner → stance → summarize.
# This file is an index; each stage's rules live in workflow/rules/<stage>.smk and its
# logic in pipeline/<stage>.py.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, schema="workflow/schemas/config.schema.json")


include: "workflow/rules/common.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/segment.smk"
include: "workflow/rules/ner.smk"
include: "workflow/rules/stance.smk"
include: "workflow/rules/summarize.smk"
include: "workflow/rules/publish.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        rules.audit.output.summary,
        rules.report.output.index,
        rules.report_pages.output.pages,
    default_target: True
