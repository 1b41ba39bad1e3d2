"""Render one document record in the terminal with ``rich``: entities highlighted,
AI-risk sentences coloured by stance, the summary, and the cleaning repairs."""

from __future__ import annotations

import json

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

ENTITY_STYLES = {"PER": "bold magenta", "ORG": "bold cyan", "LOC": "bold green", "PRODUCT": "bold yellow"}
STANCE_STYLES = {"concerned": "on dark_red", "dismissive": "on dark_blue", "neutral": ""}


def highlighted_text(record: dict) -> Text:
    text = Text(record["text"])
    for sentence in record.get("stance", {}).get("sentences", []):
        style = STANCE_STYLES.get(sentence.get("stance"), "")
        if style:
            text.stylize(style, sentence["begin"], sentence["end"])
    for _, label, begin, end in record.get("ner", []):
        text.stylize(ENTITY_STYLES.get(label, "bold"), begin, end)
    return text


RENDERED = ("meta", "text", "tok", "ner", "entities", "stance", "summary", "repairs")


def render(record: dict, layers: list[str] | None = None, console: Console | None = None) -> None:
    """Show the record's ``layers`` (default: all that have a view); a layer without one of
    its own (sentences, offsets) is shown as its JSON."""
    console = console or Console()
    wanted = set(layers or RENDERED)
    meta = record.get("meta", {})
    console.rule(f"[bold]{record['id']}[/]  {meta.get('title', '')}")
    if "meta" in wanted and meta:
        table = Table(show_header=False, box=None)
        for key in sorted(meta):
            table.add_row(f"[dim]{key}[/]", str(meta[key])[:120])
        console.print(table)
    if "summary" in wanted and record.get("summary"):
        console.print(Panel(record["summary"].get("text", ""), title="summary", border_style="green"))
    if "text" in wanted or "ner" in wanted:
        console.print(highlighted_text(record))
    if "tok" in wanted and record.get("tok"):
        console.print(Text(" / ".join(word for word, *_ in record["tok"][:80]) + (" …" if len(record["tok"]) > 80 else ""), style="dim"))
    if "entities" in wanted and record.get("entities"):
        table = Table("entity", "type", "mentions", "aliases", title="entities")
        for entity in record["entities"]:
            table.add_row(entity["name"], entity["type"], str(len(entity.get("mentions", []))), "、".join(entity.get("aliases", [])))
        console.print(table)
    if "stance" in wanted and record.get("stance"):
        table = Table("stance", "score", "holder", "sentence", title="AI-risk stance")
        for sentence in record["stance"].get("sentences", []):
            if sentence.get("stance") != "neutral":
                table.add_row(sentence["stance"], f"{sentence.get('score', 0):+.2f}", str(sentence.get("holder") or "—"), sentence["text"][:60])
        console.print(table)
    if "repairs" in wanted and record.get("repairs"):
        console.print(f"[dim]{len(record['repairs'])} cleaning repairs:[/]")
        for repair in record["repairs"]:
            detail = repair.get("text") or f"{repair.get('end_of', '')} ⟶ {repair.get('start_of', repair.get('pull_quote', ''))}"
            console.print(f"  [dim]{repair['action']:<9} {repair['reason']}:[/] {str(detail)[:70]}")
    for layer in sorted(wanted - set(RENDERED)):
        if layer in record:
            console.print(f"[bold]{layer}[/]", Text(json.dumps(record[layer], ensure_ascii=False)[:2000]))
