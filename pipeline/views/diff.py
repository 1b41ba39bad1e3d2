"""``python -m pipeline diff A B``: what changed between two runs or artifact versions.

A and B are output folders (``outputs``, ``outputs_old``), version folders
(``outputs/versions/summarize/<version>``) or ``docs.jsonl`` files. Reported: documents
added and removed; per document present in both, entities added/removed (by canonical
name and type), AI-sentence stances that changed, and whether the summary changed.
"""

from __future__ import annotations

from pipeline.views.spacy_doc import read_records


def _entities(record: dict) -> set[tuple[str, str]]:
    return {(e["name"], e["type"]) for e in record.get("entities", [])}


def _stances(record: dict) -> dict[str, tuple[str, str | None]]:
    return {s["text"]: (s["stance"], s.get("holder")) for s in record.get("stance", {}).get("sentences", [])}


def diff_records(old: list[dict], new: list[dict]) -> dict:
    before, after = {r["id"]: r for r in old}, {r["id"]: r for r in new}
    changed = {}
    for doc_id in sorted(before.keys() & after.keys()):
        a, b = before[doc_id], after[doc_id]
        change = {}
        added, removed = _entities(b) - _entities(a), _entities(a) - _entities(b)
        if added or removed:
            change["entities"] = {"added": sorted(added), "removed": sorted(removed)}
        sa, sb = _stances(a), _stances(b)
        stance_changes = [
            {"sentence": text, "before": list(sa.get(text, ("absent", None))), "after": list(sb.get(text, ("absent", None)))}
            for text in sorted(sa.keys() | sb.keys())
            if sa.get(text) != sb.get(text)
        ]
        if stance_changes:
            change["stance"] = stance_changes
        if a.get("summary", {}).get("text") != b.get("summary", {}).get("text"):
            change["summary"] = {"before": a.get("summary", {}).get("text"), "after": b.get("summary", {}).get("text")}
        if a.get("text") != b.get("text"):
            change["text"] = True
        if change:
            changed[doc_id] = change
    return {
        "added": sorted(after.keys() - before.keys()),
        "removed": sorted(before.keys() - after.keys()),
        "changed": changed,
        "unchanged": len(before.keys() & after.keys()) - len(changed),
    }


def diff_paths(a: str, b: str) -> dict:
    return diff_records(read_records(a), read_records(b))


def render(result: dict) -> None:
    from rich.console import Console

    console = Console()
    console.print(f"[green]+{len(result['added'])} added[/]  [red]-{len(result['removed'])} removed[/]  "
                  f"[yellow]~{len(result['changed'])} changed[/]  {result['unchanged']} unchanged")
    for doc_id in result["added"]:
        console.print(f"[green]+ {doc_id}[/]")
    for doc_id in result["removed"]:
        console.print(f"[red]- {doc_id}[/]")
    for doc_id, change in result["changed"].items():
        console.print(f"[yellow]~ {doc_id}[/]")
        for name, label in change.get("entities", {}).get("added", []):
            console.print(f"    [green]+ entity {name} ({label})[/]")
        for name, label in change.get("entities", {}).get("removed", []):
            console.print(f"    [red]- entity {name} ({label})[/]")
        for item in change.get("stance", []):
            console.print(f"    stance {item['before'][0]} → {item['after'][0]}: {item['sentence'][:50]}")
        if "summary" in change:
            console.print(f"    summary: {str(change['summary']['before'])[:40]} → {str(change['summary']['after'])[:40]}")
