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

if TYPE_CHECKING:
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
) -> dict[str, Any]:
    verdicts = Counter(r.verdict for r in run.results)
    reasons = Counter(r.reason for r in run.rejected)
    return {
        "schema_version": SCHEMA_VERSION,
        "manifest": {
            "tool": "shadoweval",
            "tool_version": _version("shadoweval"),
            "python": platform.python_version(),
            "libraries": {name: _version(name) for name in LIBRARIES},
            "embedding_model": model_id,
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
            "paths": {"tickets": str(tickets_path), "kb": str(settings.kb), "out": str(run.out_dir)},
        },
        "totals": {verdict: verdicts.get(verdict, 0) for verdict in sorted(verdicts)},
        "categories": [d.to_json() for d in run.decisions],
        "rejected": {
            "count": len(run.rejected),
            "by_reason": dict(sorted(reasons.items())),
            "rows": [{"row": r.row_number, "ticket_id": r.ticket_id, "reason": r.reason} for r in run.rejected],
        },
    }


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")


def write_results_jsonl(path: Path, run: "RunResult") -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for result in run.results:
            handle.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
