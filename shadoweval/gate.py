"""The CI gate: a live category (already cut over to the AI) must stay ready and must not regress.

Categories that are not live never fail the gate, whatever their decision: they are candidates,
not commitments. The gate's outcome goes into summary.json, junit.xml and summary.md, decides the
exit code (1 when it fails), and on GitHub Actions becomes annotations and a job summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from .errors import ConfigError

if TYPE_CHECKING:
    from .baseline import Regression
    from .decide import CategoryDecision

ANNOTATION_TITLE = "shadoweval gate"


def parse_live(values: Iterable[str]) -> tuple[str, ...]:
    """`--live a --live b,c` -> ('a', 'b', 'c')."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def check_live(live: Iterable[str], categories: Iterable[str]) -> None:
    """A live category the run does not have would pass the gate unseen: stop instead (exit 2)."""
    known = sorted(set(categories))
    unknown = sorted(set(live) - set(known))
    if unknown:
        raise ConfigError(
            f"Live categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(repr(u) for u in unknown)} "
            f"{'is' if len(unknown) == 1 else 'are'} not in this run; the categories are: {', '.join(known) or 'none'} "
            "(fix --live or policy.live_categories)."
        )


@dataclass
class GateResult:
    live: tuple[str, ...]
    failing: dict[str, list[str]] = field(default_factory=dict)  # live category -> why it fails
    baseline: dict[str, Any] | None = None  # what the regressions were measured against

    @property
    def passed(self) -> bool:
        return not self.failing

    def status(self, category: str) -> str:
        if category not in self.live:
            return "not_live"
        return "failed" if category in self.failing else "passed"

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "live": list(self.live),
            "failing": [{"category": c, "reasons": r} for c, r in sorted(self.failing.items())],
            "baseline": self.baseline,
        }


def evaluate_gate(
    decisions: list["CategoryDecision"],
    live: Iterable[str],
    regressions: Mapping[str, "Regression"] | None = None,
    baseline: dict[str, Any] | None = None,
) -> GateResult:
    """Which live categories fail and why: not `ready` (with the failing rules' numbers) or regressed."""
    live = tuple(sorted(set(live)))
    check_live(live, (d.category for d in decisions))
    regressions = regressions or {}
    failing: dict[str, list[str]] = {}
    for d in decisions:
        if d.category not in live:
            continue
        reasons = []
        if d.decision != "ready":
            checks = d.failed_checks or d.reasons[:1]
            reasons.append(f"{d.decision.replace('_', ' ')}: {'; '.join(checks)}")
        regression = regressions.get(d.category)
        if regression is not None and regression.flagged:
            reasons += [f"regressed: {reason}" for reason in regression.reasons]
        if reasons:
            failing[d.category] = reasons
    return GateResult(live, failing, baseline)


def _escape(text: str) -> str:
    """GitHub workflow-command data escaping, so a reason cannot break or inject a command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def annotations(gate: GateResult, report_only: bool = False) -> list[str]:
    """One `::error` line per failing live category (`::warning` with --report-only, which never fails)."""
    level = "warning" if report_only else "error"
    return [
        f"::{level} title={ANNOTATION_TITLE}::{_escape(category)}: {_escape('; '.join(reasons))}"
        for category, reasons in sorted(gate.failing.items())
    ]


def github_outputs(gate: GateResult, markdown: str, environ: Mapping[str, str], report_only: bool = False) -> list[str]:
    """On GitHub Actions: append summary.md to the job summary; return the annotation lines to print."""
    step_summary = environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(Path(step_summary), "a", encoding="utf-8") as handle:
            handle.write(markdown if markdown.endswith("\n") else markdown + "\n")
    return annotations(gate, report_only) if environ.get("GITHUB_ACTIONS") else []


@dataclass
class Regated:
    """An existing summary gated again: its decisions, the new gate and the summary.md to match."""

    summary: dict[str, Any]
    decisions: list["CategoryDecision"]
    gate: GateResult
    markdown: str


def regate_summary(summary_path: Path, live: Iterable[str] | None, baseline_path: Path | None = None) -> Regated:
    """Gate a summary.json again without the model: the run's decisions stand; live and regressions are re-read.

    Live categories: `live` if given, else those the summary recorded. Regressions: against
    `baseline_path` if given, else the ones the summary recorded (if it was compared at all).
    """
    from .baseline import Regression, baseline_info, compare, read_summary
    from .report.markdown import render_markdown
    from .report.summary import apply_gate, decisions_from_summary

    summary = read_summary(summary_path, role="Summary")
    decisions = decisions_from_summary(summary)
    recorded = summary.get("gate") or {}
    if live is None:
        live = recorded.get("live") or ()
    regressions: dict[str, Regression] | None = None
    baseline_id = None
    if baseline_path is not None:
        baseline_summary = read_summary(baseline_path)
        regressions = compare(decisions, baseline_summary)
        baseline_id = baseline_info(baseline_summary, baseline_path)
    elif recorded.get("baseline"):
        baseline_id = recorded["baseline"]
        regressions = {
            c["category"]: Regression(bool(c.get("regression")), list(c.get("regression_reasons") or []), c.get("baseline_delta"))
            for c in summary["categories"]
        }
    gate = evaluate_gate(decisions, live, regressions, baseline_id)
    apply_gate(summary, gate, regressions)
    return Regated(summary, decisions, gate, render_markdown(summary))
