"""Per-category aggregation, confidence intervals and the readiness decision.

A pass rate on 12 tickets says little, so every rate carries a 95 % interval and the decision reads
its pessimistic end: a category is `ready` only when the lower bound of its pass rate clears the
target, the upper bound of its unsafe rate stays under the limit and few of its tickets need an
action a text answer cannot take. Wilson intervals are used except at 0 or n successes, where the
normal approximation behind Wilson is weakest and the exact Clopper–Pearson bound is used instead
(so 0 unsafe answers out of 30 is an upper bound of 0.116, not 0).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Iterable

from .config import PolicySettings
from .policy import Rules, rules_for
from .scoring import VERDICTS, TicketResult

# Verdicts that say how a text answer fared; needs_action and unscorable are not about the answer.
SCORED_VERDICTS = ("pass", "partial", "fail", "unsafe", "abstain")
DECISIONS = ("ready", "not_ready", "insufficient_data", "blocked")
MAX_PROJECTED_TICKETS = 10_000_000  # beyond this a projection is "never" in practice


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def _wilson(p: float, n: float, z: float) -> tuple[float, float]:
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (0, 1) when n is 0."""
    if n == 0:
        return (0.0, 1.0)
    return _wilson(successes / n, n, _z(confidence))


def _log_binom_pmf(k: int, n: int, p: float) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * math.log(p) + (n - k) * math.log1p(-p)


def _binom_tail(k_from: int, k_to: int, n: int, p: float) -> float:
    """P(k_from <= X <= k_to) for X ~ Binomial(n, p), summed in log space (no overflow for large n)."""
    logs = [_log_binom_pmf(k, n, p) for k in range(k_from, k_to + 1)]
    top = max(logs)
    return math.exp(top) * sum(math.exp(x - top) for x in logs)


def _prob_at_most(k: int, n: int, p: float) -> float:
    """P(X <= k), summing whichever tail has fewer terms."""
    if k >= n:
        return 1.0
    if k + 1 <= n - k:
        return _binom_tail(0, k, n, p)
    return 1.0 - _binom_tail(k + 1, n, n, p)


def _bisect(f: Any, target: float, increasing: bool) -> float:
    """The p in (0, 1) where the monotone f(p) crosses target, to 1e-12."""
    low, high = 0.0, 1.0
    for _ in range(60):
        mid = (low + high) / 2
        if (f(mid) < target) == increasing:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def clopper_pearson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) interval: never narrower than the binomial itself allows; (0, 1) when n is 0."""
    if n == 0:
        return (0.0, 1.0)
    tail = (1 - confidence) / 2
    # Lower: the p at which seeing >= successes has probability `tail`; upper: <= successes has `tail`.
    low = 0.0 if successes == 0 else _bisect(lambda p: 1 - _prob_at_most(successes - 1, n, p), tail, increasing=True)
    high = 1.0 if successes == n else _bisect(lambda p: _prob_at_most(successes, n, p), tail, increasing=False)
    return (low, high)


def rate_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The interval every rate in the reports uses: Wilson, with the exact bound at 0 or n successes."""
    if n and successes in (0, n):
        return clopper_pearson_interval(successes, n, confidence)
    return wilson_interval(successes, n, confidence)


def _lower_bound_at(p: float, n: int, confidence: float) -> float:
    if p >= 1:
        return ((1 - confidence) / 2) ** (1 / n)
    return _wilson(p, n, _z(confidence))[0]


def _upper_bound_at(p: float, n: int, confidence: float) -> float:
    if p <= 0:
        return 1 - ((1 - confidence) / 2) ** (1 / n)
    return _wilson(p, n, _z(confidence))[1]


def _smallest_n(ok: Any) -> int | None:
    """The smallest n >= 1 with ok(n), assuming ok is monotone in n; None when even a huge n fails."""
    if not ok(MAX_PROJECTED_TICKETS):
        return None
    low, high = 0, 1
    while not ok(high):
        low, high = high, high * 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if ok(mid) else (mid, high)
    return high


def tickets_for_lower_bound(rate: float, target: float, confidence: float = 0.95) -> int | None:
    """Scored tickets needed for the lower bound to reach target if the rate held; None if it never would."""
    if rate <= target:
        return None
    return _smallest_n(lambda n: _lower_bound_at(rate, n, confidence) >= target)


def tickets_for_upper_bound(rate: float, limit: float, confidence: float = 0.95) -> int | None:
    """Scored tickets needed for the upper bound to fall to limit if the rate held; None if it never would."""
    if rate >= limit:
        return None
    return _smallest_n(lambda n: _upper_bound_at(rate, n, confidence) <= limit)


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
    rules: Rules | None = None
    failed_checks: list[str] = field(default_factory=list)  # short, with numbers: for CI messages
    tokens: dict[str, int] = field(default_factory=dict)  # generator token usage summed over the category
    ai_cost_usd: float = 0.0  # what generating this run's answers cost

    @property
    def with_reference(self) -> int:
        """Tickets whose human reply is a usable reference: scored ones and those that needed an action."""
        return self.scored + self.counts.get("needs_action", 0)

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
            "failed_checks": self.failed_checks,
            "policy": self.rules.to_json() if self.rules else None,
            "tokens": dict(sorted(self.tokens.items())),
            "ai_cost_usd": round(self.ai_cost_usd, 6),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CategoryDecision":
        """Rebuild a decision from a summary.json entry, so `shadoweval gate` needs no model."""
        rules = data.get("policy")
        return cls(
            category=data["category"],
            tickets=int(data["tickets"]),
            scored=int(data["scored"]),
            counts={v: int(data.get(v, 0)) for v in VERDICTS},
            pass_rate=data.get("pass_rate"),
            pass_rate_ci=tuple(data.get("pass_rate_ci") or (0.0, 1.0)),  # type: ignore[arg-type]
            unsafe_rate=data.get("unsafe_rate"),
            unsafe_rate_ci=tuple(data.get("unsafe_rate_ci") or (0.0, 1.0)),  # type: ignore[arg-type]
            needs_action_share=data.get("needs_action_share"),
            decision=data["decision"],
            reasons=list(data.get("reasons", [])),
            mean_score=data.get("mean_score"),
            reference_conflicts=int(data.get("reference_conflicts", 0)),
            rules=Rules(**rules) if isinstance(rules, dict) else None,
            failed_checks=list(data.get("failed_checks", [])),
            tokens=dict(data.get("tokens", {})),
            ai_cost_usd=float(data.get("ai_cost_usd", 0.0)),
        )


def decide_categories(results: Iterable[TicketResult], policy: PolicySettings) -> list[CategoryDecision]:
    by_category: dict[str, list[TicketResult]] = {}
    for result in results:
        by_category.setdefault(result.category, []).append(result)
    return [decide_category(name, by_category[name], policy) for name in sorted(by_category)]


def decide_category(category: str, results: list[TicketResult], policy: PolicySettings) -> CategoryDecision:
    rules = rules_for(policy, category)
    counts = Counter(r.verdict for r in results)
    scored = sum(counts[v] for v in SCORED_VERDICTS)
    passed, unsafe = counts["pass"], counts["unsafe"]
    with_reference = scored + counts["needs_action"]
    scored_results = [r.score for r in results if r.verdict in SCORED_VERDICTS]
    tokens: Counter[str] = Counter()
    for r in results:
        tokens.update({k: int(v) for k, v in r.usage.items()})
    decision = CategoryDecision(
        category=category,
        tickets=len(results),
        scored=scored,
        counts={v: counts.get(v, 0) for v in VERDICTS},
        pass_rate=passed / scored if scored else None,
        pass_rate_ci=rate_interval(passed, scored, rules.confidence),
        unsafe_rate=unsafe / scored if scored else None,
        unsafe_rate_ci=rate_interval(unsafe, scored, rules.confidence),
        needs_action_share=counts["needs_action"] / with_reference if with_reference else None,
        decision="",
        mean_score=sum(scored_results) / len(scored_results) if scored_results else None,
        reference_conflicts=sum(1 for r in results if r.metrics.get("reference_conflicts")),
        rules=rules,
        tokens=dict(tokens),
        ai_cost_usd=sum(r.cost_usd for r in results),
    )
    decision.decision, decision.reasons, decision.failed_checks = apply_rules(decision, rules)
    return decision


def apply_rules(d: CategoryDecision, rules: Rules) -> tuple[str, list[str], list[str]]:
    """The decision, its reasons (sentences) and its failed checks (short, with numbers).

    Order: blocked > insufficient_data > not_ready (every failing rule listed) > ready.
    """
    decision, reasons, checks = _decide_on_numbers(d, rules)
    if rules.blocked:
        return "blocked", [
            "Blocked by policy: this category stays with human agents whatever its numbers (policy.blocked).",
            f"Without the block it would be {decision.replace('_', ' ')}: {reasons[0]}",
        ], ["blocked by policy"]
    return decision, reasons, checks


def _decide_on_numbers(d: CategoryDecision, rules: Rules) -> tuple[str, list[str], list[str]]:
    needs_action = _needs_action_check(d, rules)
    if d.scored < rules.min_tickets:
        reasons = [
            f"Only {d.scored} scored ticket(s) (of {d.tickets}); at least {rules.min_tickets} are needed "
            f"for a decision, so {rules.min_tickets - d.scored} more are needed.",
            _projection(d, rules),
        ]
        checks = [f"only {d.scored} scored tickets < {rules.min_tickets}"]
        if needs_action:
            reasons.append(needs_action[1])
            checks.append(needs_action[0])
        return "insufficient_data", reasons, checks

    assert d.pass_rate is not None and d.unsafe_rate is not None and d.needs_action_share is not None
    low, high = d.pass_rate_ci
    rate = f"pass rate {d.pass_rate:.2f} [{low:.2f}, {high:.2f}]"
    unsafe = d.counts.get("unsafe", 0)
    unsafe_high = d.unsafe_rate_ci[1]
    failing: list[tuple[str, str]] = []
    if low < rules.target_pass_rate:
        check = f"{rate}, lower bound {low:.2f} < {rules.target_pass_rate:.2f}, n={d.scored}"
        needed = tickets_for_lower_bound(d.pass_rate, rules.target_pass_rate, rules.confidence)
        if needed is None:
            more = "the observed rate itself is not above the target, so more tickets will not help: the answers must improve."
        else:
            more = f"at this rate about {needed} scored tickets ({max(0, needed - d.scored)} more) would reach it."
        failing.append((check, f"{check}: the lower bound is below the target {rules.target_pass_rate:.0%}; {more}"))
    if unsafe_high > rules.max_unsafe_rate:
        check = f"unsafe rate upper bound {unsafe_high:.3f} > {rules.max_unsafe_rate:.2f} ({unsafe} of {d.scored} unsafe)"
        needed = tickets_for_upper_bound(d.unsafe_rate, rules.max_unsafe_rate, rules.confidence)
        if needed is None:
            more = "the observed rate itself is above the limit: the unsafe answers must be fixed."
        elif unsafe == 0:
            more = (f"with no unsafe answers, {needed} scored tickets ({needed - d.scored} more) are needed to show "
                    f"the rate is at most {rules.max_unsafe_rate:.0%}.")
        else:
            more = f"at this rate about {needed} scored tickets ({max(0, needed - d.scored)} more) would bring it under."
        failing.append((check, f"{check}: {more}"))
    if needs_action:
        failing.append(needs_action)

    if not failing:
        return "ready", [
            f"Meets every rule: {rate} ≥ {rules.target_pass_rate:.2f} at the lower bound, n={d.scored}; "
            f"unsafe rate upper bound {unsafe_high:.3f} ≤ {rules.max_unsafe_rate:.2f} ({unsafe} unsafe); "
            f"needs_action share {d.needs_action_share:.0%} ≤ {rules.max_needs_action:.0%}."
        ], []
    reasons = [sentence for _, sentence in failing]
    worst = sorted(((d.counts[v], v) for v in ("fail", "unsafe", "abstain", "partial") if d.counts[v]), reverse=True)
    if worst and low < rules.target_pass_rate:
        reasons.append("Most non-passing tickets are " + ", ".join(f"{v} ({n})" for n, v in worst) + ".")
    return "not_ready", reasons, [check for check, _ in failing]


def _needs_action_check(d: CategoryDecision, rules: Rules) -> tuple[str, str] | None:
    share = d.needs_action_share
    if share is None or share <= rules.max_needs_action:
        return None
    check = (f"needs_action share {share:.0%} > {rules.max_needs_action:.0%} "
             f"({d.counts.get('needs_action', 0)} of {d.with_reference})")
    return check, (
        f"{check}: this category needs tools (refunds, account changes) or a human handoff, not better answers."
    )


def _projection(d: CategoryDecision, rules: Rules) -> str:
    """For insufficient_data: how many scored tickets would do at the current rates, or that none would."""
    if d.pass_rate is None or d.unsafe_rate is None:
        return "No ticket could be scored yet, so there is no rate to project from."
    if d.pass_rate <= rules.target_pass_rate:
        return (f"At the current pass rate {d.pass_rate:.0%}, not above the target {rules.target_pass_rate:.0%}, "
                "more tickets alone will not make it ready: the answers must improve.")
    for_pass = tickets_for_lower_bound(d.pass_rate, rules.target_pass_rate, rules.confidence)
    for_unsafe = tickets_for_upper_bound(d.unsafe_rate, rules.max_unsafe_rate, rules.confidence)
    if for_pass is None or for_unsafe is None:
        return (f"At the current unsafe rate {d.unsafe_rate:.0%}, not below the limit {rules.max_unsafe_rate:.0%}, "
                "more tickets alone will not make it ready: the unsafe answers must be fixed.")
    needed = max(rules.min_tickets, for_pass, for_unsafe)
    return (f"At the current rates (pass {d.pass_rate:.0%}, {d.counts.get('unsafe', 0)} unsafe), about {needed} "
            f"scored tickets ({needed - d.scored} more) would meet the pass-rate and unsafe-rate rules.")
