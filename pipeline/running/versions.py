"""Versioned artifacts: manifests, version ids, and the store of earlier versions.

A stage output's version id is a hash of everything that determines its bytes: the
versions of its inputs, the source of the stage module and every project module it
imports, its params, its model files, and the versions of the packages it runs on.
Same inputs → same version → byte-identical output. Timing lives in a separate
``*.timing.json`` so the manifest itself is reproducible.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import platform
import re
import shutil
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from pipeline.paths import REPO_ROOT
from pipeline.running.files import atomic_write_text
from pipeline.record.codec import dumps

PACKAGES = ("hanlp", "spacy", "jieba", "python-crfsuite", "torch", "numpy", "snakemake")


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _module_path(module: str) -> Path | None:
    parts = module.split(".")
    base = REPO_ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


# An import statement that names a project module, at any indentation (stages import some
# modules lazily inside functions), with a parenthesised name list possibly over many lines.
_PROJECT_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+pipeline\b[\w.]*[ \t]+import[ \t]+(?:\([^)]*\)|[^\n]*)|import[ \t]+pipeline\b[^\n]*)",
    re.MULTILINE,
)


@lru_cache(maxsize=None)
def _project_imports(path: Path) -> tuple[str, ...]:
    """The ``pipeline.*`` names one source file imports.

    Every workflow job hashes its stage's code closure for its manifest, so this runs on the
    critical path of every re-run: only the matching import statements are parsed, not the
    whole module (a tenth of the time of ``ast.parse`` on the file).
    """
    names = []
    for statement in _PROJECT_IMPORT.findall(path.read_text(encoding="utf-8")):
        for node in ast.parse(statement.strip()).body:
            if isinstance(node, ast.Import):
                names.extend(alias.name for alias in node.names if alias.name.startswith("pipeline"))
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.append(node.module)
                names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return tuple(names)


@lru_cache(maxsize=None)
def code_closure(module: str) -> tuple[str, ...]:
    """The project source files a module depends on: itself and, transitively, every
    ``pipeline.*`` module it imports (found by reading the source, not by importing)."""
    seen: dict[str, Path] = {}
    pending = [module]
    while pending:
        name = pending.pop()
        path = _module_path(name)
        if path is None or name in seen:
            continue
        seen[name] = path
        pending.extend(_project_imports(path))
        # Importing a.b.c runs the __init__ of a and a.b first: they are code it runs too.
        parts = name.split(".")
        pending.extend(".".join(parts[:k]) for k in range(1, len(parts)))
    files = {path.relative_to(REPO_ROOT).as_posix() for path in seen.values()}
    return tuple(sorted(files))


def code_hashes(files: list[str]) -> dict[str, str]:
    return {name: sha256_file(REPO_ROOT / name) for name in files}


def model_files(params: dict) -> dict[str, str]:
    """Hashes of the model files a stage's params point at (paths inside the repo). A model
    card (``*.md``) describes the model and shapes no output byte, so it is left out."""
    found: dict[str, str] = {}
    for value in params.values():
        if not isinstance(value, str) or not value:
            continue
        path = REPO_ROOT / value
        if not path.exists() or REPO_ROOT not in path.resolve().parents:
            continue
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if file.suffix != ".md":
                found[file.relative_to(REPO_ROOT).as_posix()] = sha256_file(file)
    return found


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def version_id(parts: dict) -> str:
    return hashlib.sha256(dumps(parts).encode("utf-8")).hexdigest()[:16]


def build_manifest(stage: str, method: str, code_files: list[str], params: dict, inputs: dict,
                   counts: dict, quarantined: list) -> dict:
    """The manifest of one stage output; its ``version`` hashes everything but counts.
    ``code_files``: what the stage runs (:func:`pipeline.stages.stage_modules`)."""
    determinants = {
        "stage": stage,
        "method": method,
        "inputs": inputs,
        "code": code_hashes(code_files),
        "params": params,
        "models": model_files(params),
        "packages": package_versions(),
    }
    return {**determinants, "version": version_id(determinants), "counts": counts, "quarantined": quarantined}


def cache_key(manifest: dict, parts: tuple[str, ...] = ("stage", "method", "code", "params", "models", "packages")) -> str:
    """What a stage's cached outputs depend on besides their inputs."""
    return version_id({key: manifest[key] for key in parts})


def write_json(path: str | os.PathLike, obj) -> None:
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=1) + "\n")


def read_json(path: str | os.PathLike):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def publish(stage_dir: Path, store: Path) -> dict:
    """Combine a stage's shard manifests into ``manifest.json``, keep a copy of this
    version under ``store/<stage>/<version>/`` (earlier versions stay) and point
    ``store/<stage>/latest`` at it. Returns the stage manifest."""
    shard_manifests = sorted(stage_dir.glob("*.manifest.json"))
    shards = {path.name.removesuffix(".manifest.json"): read_json(path) for path in shard_manifests}
    first = next(iter(shards.values()))
    counts: dict[str, int] = {}
    for manifest in shards.values():
        for key, value in manifest["counts"].items():
            counts[key] = counts.get(key, 0) + value
    manifest = {
        "stage": first["stage"],
        "method": first["method"],
        "shards": {name: m["version"] for name, m in shards.items()},
        "code": first["code"],
        "params": first["params"],
        "models": first["models"],
        "packages": first["packages"],
        "counts": counts,
    }
    manifest["version"] = version_id({"shards": manifest["shards"]})
    write_json(stage_dir / "manifest.json", manifest)
    target = store / manifest["stage"] / manifest["version"]
    if not target.exists():
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for path in sorted(stage_dir.iterdir()):
            # not timing (it measures), not a killed job's leftover temporary (.name.*.tmp)
            if path.is_file() and not path.name.endswith(".timing.json") and not path.name.startswith("."):
                shutil.copy2(path, staging / path.name)
        staging.rename(target)
    atomic_write_text(store / manifest["stage"] / "latest", manifest["version"] + "\n")
    return manifest


def list_versions(store: Path) -> list[dict]:
    """Every stored version of every stage, marking the latest."""
    rows = []
    for stage_dir in sorted(p for p in store.iterdir() if p.is_dir()) if store.exists() else []:
        latest_file = stage_dir / "latest"
        latest = latest_file.read_text().strip() if latest_file.exists() else None
        for version_dir in sorted(p for p in stage_dir.iterdir() if p.is_dir() and not p.name.endswith(".partial")):
            manifest = read_json(version_dir / "manifest.json")
            rows.append({
                "stage": stage_dir.name, "version": version_dir.name, "latest": version_dir.name == latest,
                "method": manifest.get("method"), "docs": manifest.get("counts", {}).get("docs_out"),
                "modified": int(version_dir.stat().st_mtime),
            })
    return rows

