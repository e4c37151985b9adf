"""Write every output of a run into its folder and return the summary dict."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .html import render_html
from .junit import write_junit
from .markdown import render_markdown
from .summary import build_summary, write_json, write_results_jsonl

if TYPE_CHECKING:
    from ..pipeline import RunResult

OUTPUT_FILES = ("index.html", "summary.json", "results.jsonl", "junit.xml", "summary.md")


def write_reports(run: "RunResult", **manifest_inputs: Any) -> dict[str, Any]:
    out: Path = run.out_dir
    out.mkdir(parents=True, exist_ok=True)
    summary = build_summary(run, **manifest_inputs)
    write_json(out / "summary.json", summary)
    write_results_jsonl(out / "results.jsonl", run)
    write_junit(out / "junit.xml", run.decisions, run.gate)
    (out / "summary.md").write_text(render_markdown(summary), encoding="utf-8")
    (out / "index.html").write_text(render_html(summary, run), encoding="utf-8")
    return summary
