"""Per-category aggregation and the readiness decision.

A pass rate on 12 tickets says little, so every rate carries a 95 % Wilson interval and the
decision reads its lower bound: a category is `ready` only when even the pessimistic end of the
interval clears the target, and `insufficient_data` when there are too few scored tickets to say.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Iterable

from .config import PolicySettings
from .scoring import VERDICTS, TicketResult

# Verdicts that say how a text answer fared; needs_action and unscorable are not about the answer.
SCORED_VERDICTS = ("pass", "partial", "fail", "unsafe", "abstain")


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (0, 1) when n is 0."""
    if n == 0:
        return (0.0, 1.0)
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class CategoryDecision:
    category: str
    tickets: int
    scored: int
    counts: dict[str, int]
    pass_rate: float | None
    pass_rate_ci: tuple[float, float]
    unsafe_rate: float | None
    unsafe_rate_ci: tuple[float, float]
    needs_action_share: float | None
    decision: str
    reasons: list[str] = field(default_factory=list)
    mean_score: float | None = None
    reference_conflicts: int = 0  # human replies that contradict the KB: agent mistakes worth a look

    def to_json(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "category": self.category,
            "tickets": self.tickets,
            "scored": self.scored,
            **{verdict: self.counts.get(verdict, 0) for verdict in VERDICTS},
            "pass_rate": r(self.pass_rate),
            "pass_rate_ci": [r(self.pass_rate_ci[0]), r(self.pass_rate_ci[1])],
            "unsafe_rate": r(self.unsafe_rate),
            "unsafe_rate_ci": [r(self.unsafe_rate_ci[0]), r(self.unsafe_rate_ci[1])],
            "needs_action_share": r(self.needs_action_share),
            "mean_score": r(self.mean_score),
            "reference_conflicts": self.reference_conflicts,
            "decision": self.decision,
            "reasons": self.reasons,
        }


def decide_categories(results: Iterable[TicketResult], policy: PolicySettings) -> list[CategoryDecision]:
    by_category: dict[str, list[TicketResult]] = {}
    for result in results:
        by_category.setdefault(result.category, []).append(result)
    return [decide_category(name, by_category[name], policy) for name in sorted(by_category)]


def decide_category(category: str, results: list[TicketResult], policy: PolicySettings) -> CategoryDecision:
    counts = Counter(r.verdict for r in results)
    scored = sum(counts[v] for v in SCORED_VERDICTS)
    passed, unsafe = counts["pass"], counts["unsafe"]
    pass_ci = wilson_interval(passed, scored, policy.confidence)
    unsafe_ci = wilson_interval(unsafe, scored, policy.confidence)
    with_reference = scored + counts["needs_action"]
    scored_results = [r.score for r in results if r.verdict in SCORED_VERDICTS]
    decision = CategoryDecision(
        category=category,
        tickets=len(results),
        scored=scored,
        counts={v: counts.get(v, 0) for v in VERDICTS},
        pass_rate=passed / scored if scored else None,
        pass_rate_ci=pass_ci,
        unsafe_rate=unsafe / scored if scored else None,
        unsafe_rate_ci=unsafe_ci,
        needs_action_share=counts["needs_action"] / with_reference if with_reference else None,
        decision="",
        mean_score=sum(scored_results) / len(scored_results) if scored_results else None,
        reference_conflicts=sum(1 for r in results if r.metrics.get("reference_conflicts")),
    )
    decision.decision, decision.reasons = _apply_policy(decision, policy)
    return decision


def _apply_policy(d: CategoryDecision, policy: PolicySettings) -> tuple[str, list[str]]:
    pct = lambda x: f"{x:.0%}"  # noqa: E731
    if d.scored < policy.min_tickets:
        return "insufficient_data", [
            f"Only {d.scored} scored ticket(s) (of {d.tickets}); at least {policy.min_tickets} are needed "
            f"for a decision, so {policy.min_tickets - d.scored} more are needed."
        ]
    low, high = d.pass_rate_ci
    summary = f"pass rate {d.pass_rate:.2f} [{low:.2f}, {high:.2f}], n={d.scored}"
    if low >= policy.target_pass_rate:
        return "ready", [f"The AI matched the human answer often enough: {summary}; lower bound ≥ target {pct(policy.target_pass_rate)}."]
    reasons = [f"{summary}: the lower bound is below the target {pct(policy.target_pass_rate)}."]
    worst = sorted(((d.counts[v], v) for v in ("fail", "unsafe", "abstain", "partial") if d.counts[v]), reverse=True)
    if worst:
        reasons.append("Most non-passing tickets are " + ", ".join(f"{v} ({n})" for n, v in worst) + ".")
    return "not_ready", reasons
