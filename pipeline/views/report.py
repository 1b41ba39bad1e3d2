"""The HTML report: ``outputs/report/index.html`` and one page per document.

Self-contained (no external scripts, fonts or styles): every page carries its own small
stylesheet; the overview embeds a compact JSON index so its search and pagination work
offline at 5,000 documents. Entities are rendered by spaCy's displaCy; AI sentences are
coloured by stance (red concerned, blue dismissive) with holder and score; summary
sentences are outlined in the text; the cleaning repairs are listed.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections import Counter, defaultdict
from pathlib import Path

from pipeline.running.files import atomic_write_text
from pipeline.record.codec import line_digest, loads, read_jsonl, read_lines
from pipeline.running.caches import read_reduced
from pipeline.spacy_import import import_spacy

_renderer = None


def _entity_renderer():
    """One displaCy entity renderer for the whole report: ``displacy.render`` builds a new
    one per call, and each build scans the installed packages' entry points for colours
    (0.7 ms; 50,000 sentences make that half a minute)."""
    global _renderer
    if _renderer is None:
        import_spacy()
        from spacy.displacy.render import EntityRenderer

        _renderer = EntityRenderer({"colors": ENTITY_COLORS})
    return _renderer

STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222;line-height:1.6}
h1,h2{font-weight:600} table{border-collapse:collapse;margin:.5rem 0} td,th{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:left;vertical-align:top}
.sent{padding:.15rem .4rem;margin:.1rem 0;border-left:4px solid transparent}
.concerned{background:#fde2e1;border-left-color:#c62828}.dismissive{background:#dde8fb;border-left-color:#1e4fbf}.neutral-ai{background:#f3f3f3}
.summary{outline:2px solid #2e7d32;outline-offset:1px}
.badge{display:inline-block;font-size:.75rem;padding:0 .4rem;border-radius:.6rem;margin-left:.3rem;background:#eee}
.badge.concerned{background:#c62828;color:#fff}.badge.dismissive{background:#1e4fbf;color:#fff}
.muted{color:#777;font-size:.85rem} .pager button{margin:0 .2rem} input[type=search]{width:20rem;padding:.3rem}
.bar{display:inline-block;height:.9rem;background:#888;vertical-align:middle}
""".strip()

STANCE_CLASS = {"concerned": "concerned", "dismissive": "dismissive", "neutral": "neutral-ai"}
ENTITY_COLORS = {"PER": "#f8bbd0", "ORG": "#b2ebf2", "LOC": "#c8e6c9", "PRODUCT": "#fff59d"}


def page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>\n"
    )


def doc_filename(doc_id: str) -> str:
    """A file name safe on every system, and unique per document id: the readable part is
    cut and stripped of unsafe characters (a/b, a.b and a_b all read a_b), so a hash of the
    whole id follows it."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in doc_id)
    digest = hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:10]
    return f"{safe[:60]}-{digest}.html"


def _sentence_html(record: dict, begin: int, end: int) -> str:
    """One sentence with its entities rendered by displaCy (manual mode, offsets shifted)."""
    ents = sorted(
        ({"start": b - begin, "end": e - begin, "label": label}
         for _, label, b, e in record.get("ner", []) if begin <= b and e <= end),
        key=lambda ent: (ent["start"], ent["end"]),
    )
    spec = {"text": record["text"][begin:end], "ents": ents, "title": None}
    return _entity_renderer().render([spec], page=False).strip()


def document_page(record: dict) -> str:
    meta = record.get("meta", {})
    stance_by_sentence = {s["sent"]: s for s in record.get("stance", {}).get("sentences", [])}
    summary_spans = [(b, e) for _, b, e in record.get("summary", {}).get("sentences", [])]
    parts = [f'<p><a href="../index.html">← all documents</a></p><h1>{html.escape(meta.get("title", record["id"]))}</h1>']
    parts.append('<table class="muted">' + "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in sorted(meta.items()) if k != "captions"
    ) + "</table>")
    summary = record.get("summary", {})
    if summary.get("text"):
        parts.append(f'<h2>Summary</h2><p class="summary">{html.escape(summary["text"])}</p>')
    parts.append("<h2>Text</h2>")
    for index, (begin, end) in enumerate(record.get("sentences", [])):
        classes = ["sent"]
        badge = ""
        stance = stance_by_sentence.get(index)
        if stance:
            classes.append(STANCE_CLASS.get(stance["stance"], "neutral-ai"))
            holder = stance.get("holder") or "—"
            badge = f'<span class="badge {stance["stance"]}">{stance["stance"]} {stance.get("score", 0):+.2f} · {html.escape(holder)}</span>'
        if any(b <= begin and end <= e or begin <= b < end for b, e in summary_spans):
            classes.append("summary")
        parts.append(f'<div class="{" ".join(classes)}" data-sent="{index}">{_sentence_html(record, begin, end)}{badge}</div>')
    entities = record.get("entities", [])
    if entities:
        parts.append("<h2>Entities</h2><table><tr><th>name</th><th>type</th><th>mentions</th><th>aliases</th></tr>" + "".join(
            f"<tr><td>{html.escape(e['name'])}</td><td>{e['type']}</td><td>{len(e.get('mentions', []))}</td>"
            f"<td>{html.escape('、'.join(e.get('aliases', [])))}</td></tr>" for e in entities
        ) + "</table>")
    repairs = record.get("repairs", [])
    if repairs:
        parts.append("<h2>Cleaning repairs</h2><table><tr><th>action</th><th>reason</th><th>text</th></tr>" + "".join(
            f"<tr><td>{r['action']}</td><td>{html.escape(r['reason'])}</td>"
            f"<td>{html.escape(str(r.get('text') or (r.get('end_of', '') + ' ⟶ ' + str(r.get('start_of', r.get('pull_quote', ''))))))[:160]}</td></tr>"
            for r in repairs
        ) + "</table>")
    return page(meta.get("title", record["id"]), "".join(parts))


def _histogram(scores: list[float], bins: int = 10) -> str:
    """Stance scores in [-1, 1] as an inline SVG bar chart."""
    counts = [0] * bins
    for score in scores:
        counts[min(bins - 1, int((score + 1) / 2 * bins))] += 1
    top = max(counts) or 1
    bars = []
    for i, count in enumerate(counts):
        height = 100 * count / top
        colour = "#1e4fbf" if i < bins // 2 - 1 else "#c62828" if i > bins // 2 else "#999"
        bars.append(f'<rect x="{i * 30 + 5}" y="{110 - height}" width="24" height="{height}" fill="{colour}"><title>{count}</title></rect>')
    return (
        f'<svg width="{bins * 30 + 10}" height="130" role="img" aria-label="stance score histogram">{"".join(bars)}'
        '<text x="5" y="126" font-size="10">−1 dismissive</text><text x="230" y="126" font-size="10">concerned +1</text></svg>'
    )


def overview_page(records: list[dict], artifacts: dict, quarantine: list[dict], holders: list[dict], timings: dict) -> str:
    index = [
        {"id": r["id"], "t": r.get("meta", {}).get("title", "")[:60], "f": doc_filename(r["id"]),
         "c": sum(1 for s in r.get("stance", {}).get("sentences", []) if s["stance"] == "concerned"),
         "d": sum(1 for s in r.get("stance", {}).get("sentences", []) if s["stance"] == "dismissive")}
        for r in records
    ]
    by_type: dict[str, Counter] = defaultdict(Counter)
    for record in records:
        for entity in record.get("entities", []):
            by_type[entity["type"]][entity["name"]] += 1
    scores = [s.get("score", 0.0) for r in records for s in r.get("stance", {}).get("sentences", []) if s["stance"] != "neutral"]
    parts = [f"<h1>Chinese news batch: {len(records)} documents</h1>"]
    parts.append(f'<p>{len(records)} documents processed, {len(quarantine)} quarantined.</p>')
    parts.append("<h2>Stages</h2><table><tr><th>stage</th><th>version</th><th>method</th><th>docs</th><th>time (s)</th></tr>" + "".join(
        f"<tr><td>{stage}</td><td><code>{info['version']}</code></td><td>{html.escape(info['method'])}</td>"
        f"<td>{info['counts'].get('docs_out')}</td><td>{timings.get(stage, 0):.1f}</td></tr>"
        for stage, info in artifacts.get("stages", {}).items()
    ) + "</table>")
    parts.append("<h2>Who warned, who dismissed</h2><table><tr><th>holder</th><th>stance</th><th>docs</th><th>mean score</th><th>strongest evidence</th></tr>")
    # Who took a side first (strongest mean first), then the neutral speakers.
    ranked = sorted(holders, key=lambda r: (r.get("stance") == "neutral", -abs(r.get("mean_score", 0)), r.get("holder", "")))
    for row in ranked[:60]:
        stance = row.get("stance", "")
        evidence = row.get("strongest_evidence") or {}
        parts.append(
            f'<tr><td>{html.escape(str(row.get("holder")))}</td><td><span class="badge {stance}">{stance}</span></td>'
            f'<td>{len(row.get("documents", []))}</td><td>{row.get("mean_score", 0):+.2f}</td>'
            f'<td><a href="docs/{doc_filename(evidence.get("doc", ""))}">{html.escape(str(evidence.get("text", ""))[:80])}</a></td></tr>'
        )
    parts.append("</table><h2>Stance scores of AI-risk statements</h2>" + _histogram(scores))
    parts.append("<h2>Top entities</h2>" + "".join(
        f"<h3>{label}</h3><p>" + "、".join(f"{html.escape(name)} ({count})" for name, count in by_type[label].most_common(12)) + "</p>"
        for label in sorted(by_type)
    ))
    if quarantine:
        parts.append("<h2>Quarantined</h2><table><tr><th>source</th><th>id</th><th>reason</th><th>detail</th></tr>" + "".join(
            f"<tr><td>{html.escape(q['source_file'])}{':' + str(q['source_line']) if q.get('source_line') else ''}</td>"
            f"<td>{html.escape(str(q.get('id') or ''))}</td><td>{q['reason']}</td><td>{html.escape(q.get('detail', ''))}</td></tr>"
            for q in quarantine[:500]
        ) + "</table>")
    embedded = json.dumps(index, ensure_ascii=False).replace("</", "<\\/")  # no early </script>
    parts.append(
        '<h2>Documents</h2><input type="search" id="q" placeholder="search id or title"> '
        '<span class="pager"><button id="prev">‹</button><span id="pos"></span><button id="next">›</button></span>'
        '<table id="docs"><thead><tr><th>id</th><th>title</th><th>concerned</th><th>dismissive</th></tr></thead><tbody></tbody></table>'
        f'<script id="index" type="application/json">{embedded}</script>'
        "<script>" + _SCRIPT + "</script>"
    )
    return page("Chinese news batch report", "".join(parts))


_SCRIPT = """
const all=JSON.parse(document.getElementById('index').textContent);const size=50;let page=0,rows=all;
const body=document.querySelector('#docs tbody');const esc=s=>s.replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
function draw(){body.innerHTML=rows.slice(page*size,(page+1)*size).map(d=>`<tr><td><a href="docs/${d.f}">${esc(d.id)}</a></td><td>${esc(d.t)}</td><td>${d.c}</td><td>${d.d}</td></tr>`).join('');
document.getElementById('pos').textContent=` ${rows.length?page+1:0}/${Math.ceil(rows.length/size)} (${rows.length}) `;}
document.getElementById('q').addEventListener('input',e=>{const q=e.target.value.toLowerCase();rows=all.filter(d=>d.id.toLowerCase().includes(q)||d.t.toLowerCase().includes(q));page=0;draw();});
document.getElementById('prev').onclick=()=>{if(page>0){page--;draw();}};document.getElementById('next').onclick=()=>{if((page+1)*size<rows.length){page++;draw();}};draw();
""".strip()


def build_pages(out_dir: str | Path) -> dict:
    """Write one page per document under ``<out_dir>/report/docs`` and ``report/pages.json``.

    Needs only the summarize shards, so the workflow runs it beside the corpus views and
    publish. A page is rendered again only when its record's line or this module changed
    (the keys live under ``.cache/``, which Snakemake does not delete before a re-run);
    pages of documents no longer in the batch are removed.
    """
    out_dir = Path(out_dir)
    docs = out_dir / "report" / "docs"
    keys_file = out_dir / ".cache" / "views" / "report-pages.json"
    try:
        previous = json.loads(keys_file.read_text(encoding="utf-8"))  # page key → document id
    except (OSError, ValueError):
        previous = {}
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    now, doc_bytes, fresh = {}, 0, 0
    for shard in sorted((out_dir / "summarize").glob("shard-*.jsonl")):
        for number, line in enumerate(read_lines(shard), 1):
            key = code + line_digest(line)[:24]
            doc_id = previous.get(key)
            page_file = docs / doc_filename(doc_id) if doc_id else None
            if page_file is None or not page_file.exists():
                record = loads(line, f"{shard}:{number}")
                doc_id, page_file = record["id"], docs / doc_filename(record["id"])
                atomic_write_text(page_file, document_page(record), durable=False)
                fresh += 1
            now[key] = doc_id
            doc_bytes += page_file.stat().st_size
    for gone in set(previous.values()) - set(now.values()):  # documents no longer in the batch
        (docs / doc_filename(gone)).unlink(missing_ok=True)
    atomic_write_text(keys_file, json.dumps(now, sort_keys=True), durable=False)
    (docs / ".rendered.json").unlink(missing_ok=True)  # where page keys were kept before
    summary = {"documents": len(now), "rendered": fresh, "doc_pages_bytes": doc_bytes}
    atomic_write_text(out_dir / "report" / "pages.json", json.dumps(summary, sort_keys=True))
    return summary


def build_report(out_dir: str | Path) -> dict:
    """Write the overview ``<out_dir>/report/index.html``; returns its size."""
    out_dir = Path(out_dir)
    report = out_dir / "report"
    shards = sorted((out_dir / "summarize").glob("shard-*.jsonl"))
    # The overview needs a few small layers of every record; those come from a cache keyed
    # by each record line's digest, so unchanged records are not parsed again.
    records = read_reduced(shards, ("id", "meta", "entities", "stance"), out_dir / ".cache" / "views" / "report.json")
    artifacts = json.loads((out_dir / "artifacts.json").read_text(encoding="utf-8"))
    quarantine = list(read_jsonl(out_dir / "clean" / "quarantine.jsonl"))
    holders_path = out_dir / "corpus" / "holder_table.jsonl"
    holders = list(read_jsonl(holders_path)) if holders_path.exists() else []
    timings = {}
    for stage in artifacts.get("stages", {}):
        timings[stage] = sum(json.loads(p.read_text()).get("seconds", 0) for p in (out_dir / stage).glob("*.timing.json"))
    records.sort(key=lambda r: r["id"])
    overview = overview_page(records, artifacts, quarantine, holders, timings)
    atomic_write_text(report / "index.html", overview)
    return {"documents": len(records), "index_bytes": len(overview.encode("utf-8"))}
