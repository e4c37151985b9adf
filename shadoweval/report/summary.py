"""summary.json and results.jsonl: the machine-readable contract (see DESIGN.md)."""

from __future__ import annotations

import hashlib
import json
import platform
from collections import Counter
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..kb import KnowledgeBase
from ..pair_model import pair_model_id

if TYPE_CHECKING:
    from ..baseline import Regression
    from ..decide import CategoryDecision
    from ..gate import GateResult
    from ..pipeline import RunResult

SCHEMA_VERSION = 1
LIBRARIES = ("sentence-transformers", "torch", "faiss-cpu", "pandas", "numpy", "click", "jinja2")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def build_summary(
    run: "RunResult",
    *,
    settings: Settings,
    tickets_path: Path,
    kb: KnowledgeBase,
    generator: dict[str, Any],
    model_id: str,
    started_at: datetime,
    baseline_path: Path | None = None,
) -> dict[str, Any]:
    verdicts = Counter(r.verdict for r in run.results)
    reasons = Counter(r.reason for r in run.rejected)
    paths = {"tickets": str(tickets_path), "kb": str(settings.kb), "out": str(run.out_dir)}
    if baseline_path is not None:
        paths["baseline"] = str(baseline_path)
    categories = [d.to_json() for d in run.decisions]
    if run.cutover is not None:
        for entry in categories:
            entry.update(run.cutover.by_category[entry["category"]])
    summary = {
        "schema_version": SCHEMA_VERSION,
        "manifest": {
            "tool": "shadoweval",
            "tool_version": _version("shadoweval"),
            "python": platform.python_version(),
            "libraries": {name: _version(name) for name in LIBRARIES},
            "embedding_model": model_id,
            "pair_model": pair_model_id(),
            "generator": generator,
            "config_hash": settings.config_hash(),
            "config": settings.result_settings(),
            "kb_hash": kb.kb_hash,
            "kb_articles": len(kb.articles),
            "kb_chunks": len(kb.chunks),
            "input_file_sha256": file_sha256(tickets_path),
            "rows": {
                "total": run.total_rows,
                "accepted": len(run.results),
                "rejected": len(run.rejected),
                "scored": sum(d.scored for d in run.decisions),
            },
            # The only fields expected to differ between two runs over the same inputs:
            "started_at": started_at.isoformat(timespec="seconds"),
            "paths": paths,
        },
        "totals": {verdict: verdicts.get(verdict, 0) for verdict in sorted(verdicts)},
        "categories": categories,
        "gate": None,
        "cost": run.cutover.to_json() if run.cutover is not None else None,
        "cutover_order": run.cutover.order if run.cutover is not None else [],
        "rejected": {
            "count": len(run.rejected),
            "by_reason": dict(sorted(reasons.items())),
            "rows": [{"row": r.row_number, "ticket_id": r.ticket_id, "reason": r.reason} for r in run.rejected],
        },
    }
    if run.gate is not None:
        apply_gate(summary, run.gate, run.regressions)
    return summary


def apply_gate(summary: dict[str, Any], gate: "GateResult", regressions: "dict[str, Regression] | None") -> None:
    """Record the gate's outcome in a summary: per category `live`, `gate`, `regression`, `baseline_delta`.

    `regression` is None when there is no baseline, so "not compared" never reads as "no regression".
    Used by `run` and again by `shadoweval gate`, which re-evaluates an existing summary.
    """
    for entry in summary["categories"]:
        name = entry["category"]
        regression = regressions.get(name) if regressions is not None else None
        entry["live"] = name in gate.live
        entry["gate"] = gate.status(name)
        entry["gate_reasons"] = gate.failing.get(name, [])
        entry["regression"] = None if regressions is None else bool(regression and regression.flagged)
        entry["regression_reasons"] = regression.reasons if regression else []
        entry["baseline_delta"] = regression.delta if regression else None
    summary["gate"] = gate.to_json()


def decisions_from_summary(summary: dict[str, Any]) -> list["CategoryDecision"]:
    """The decisions recorded in a summary.json, for re-gating it without the model."""
    from ..decide import CategoryDecision

    return [CategoryDecision.from_json(entry) for entry in summary["categories"]]


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")


def write_results_jsonl(path: Path, run: "RunResult") -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for result in run.results:
            handle.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
