"""What a cutover is worth and in which order to do it.

Monthly volume per category comes from `cost.monthly_volume` when set, else from the export itself:
its tickets per category over the span of `created_at` (first to last), scaled to 30.44 days. A
category's projected saving is volume x (human - AI cost per ticket). The recommended order puts
ready categories first, most valuable first, then the ones nearest to ready with what holds each back.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable

from .errors import ConfigError

if TYPE_CHECKING:
    from .config import CostSettings
    from .decide import CategoryDecision
    from .scoring import TicketResult

DAYS_PER_MONTH = 30.44  # 365.25 / 12
ORDER_GROUPS = {"ready": 0, "not_ready": 1, "insufficient_data": 2, "blocked": 3}


def validate_cost(cost: "CostSettings") -> None:
    """Raise ConfigError unless every cost is a non-negative number."""
    values = {"cost.human_per_ticket": cost.human_per_ticket, "cost.ai_per_ticket": cost.ai_per_ticket}
    values.update({f"cost.monthly_volume.{k}": v for k, v in cost.monthly_volume.items()})
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"Setting {name} must be a number of at least 0, got {value!r}; fix the value.")


@dataclass(frozen=True)
class ExportSpan:
    """The period the export covers, read from created_at; what the inferred volumes rest on."""

    first: str | None
    last: str | None
    days: float | None
    dated: int
    undated: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def export_span(created_at: Iterable[Any]) -> ExportSpan:
    """First and last valid ISO timestamp; days is None when fewer than two distinct days are covered."""
    moments, undated = [], 0
    for value in created_at:
        moment = _parse(value)
        if moment is None:
            undated += 1
        else:
            moments.append(moment)
    if not moments:
        return ExportSpan(None, None, None, 0, undated)
    first, last = min(moments), max(moments)
    days = (last - first).total_seconds() / 86400
    iso = lambda m: m.astimezone(timezone.utc).isoformat(timespec="seconds")  # noqa: E731
    return ExportSpan(iso(first), iso(last), round(days, 2) if days >= 1 else None, len(moments), undated)


@dataclass
class CutoverPlan:
    """Per-category volume and savings, and the recommended cutover order."""

    span: ExportSpan
    human_per_ticket: float
    ai_per_ticket: float
    by_category: dict[str, dict[str, Any]]
    order: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "human_per_ticket": self.human_per_ticket,
            "ai_per_ticket": self.ai_per_ticket,
            "days_per_month": DAYS_PER_MONTH,
            "export_span": self.span.to_json(),
            "volume_note": self.volume_note(),
        }

    def volume_note(self) -> str:
        sources = {c["monthly_volume_source"] for c in self.by_category.values()}
        if sources == {"config"}:
            return "Monthly volumes come from cost.monthly_volume."
        if self.span.days is None:
            return ("Monthly volume unknown: the export's created_at does not span a day or more; "
                    "set cost.monthly_volume per category to see savings.")
        note = (f"Monthly volumes are inferred from {self.span.days:g} days of created_at "
                f"({self.span.first[:10]} to {self.span.last[:10]})")  # type: ignore[index]
        return note + (", except those set in cost.monthly_volume." if "config" in sources else ".")


def plan_cutover(decisions: list["CategoryDecision"], results: Iterable["TicketResult"], cost: "CostSettings") -> CutoverPlan:
    results = list(results)
    span = export_span(r.created_at for r in results)
    tickets = Counter(r.category for r in results)
    per_ticket = cost.human_per_ticket - cost.ai_per_ticket
    by_category: dict[str, dict[str, Any]] = {}
    for d in decisions:
        if d.category in cost.monthly_volume:
            volume, source = float(cost.monthly_volume[d.category]), "config"
        elif span.days is not None:
            volume, source = tickets[d.category] * DAYS_PER_MONTH / span.days, "created_at"
        else:
            volume, source = None, None
        if_cut_over = None if volume is None else round(volume * per_ticket, 2)
        by_category[d.category] = {
            "monthly_volume": None if volume is None else round(volume, 1),
            "monthly_volume_source": source,
            "monthly_savings": if_cut_over if d.decision == "ready" else None,
            "monthly_savings_if_cut_over": if_cut_over,
        }
    return CutoverPlan(span, cost.human_per_ticket, cost.ai_per_ticket, by_category, cutover_order(decisions, by_category))


def _gap(d: "CategoryDecision") -> float:
    """How far the pass rate's lower bound is from its target (0 when only another rule fails)."""
    target = d.rules.target_pass_rate if d.rules else 0.0
    return max(0.0, round(target - d.pass_rate_ci[0], 4))


def cutover_order(decisions: list["CategoryDecision"], by_category: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Ready by savings (largest first); then not ready by gap to target; then insufficient data; blocked last."""

    def savings(d: "CategoryDecision") -> float:
        return by_category[d.category]["monthly_savings_if_cut_over"] or 0.0

    def key(d: "CategoryDecision") -> tuple:
        group = ORDER_GROUPS.get(d.decision, 3)
        if group == 0:
            return (group, -savings(d), d.category)
        if group == 1:
            return (group, _gap(d), -savings(d), d.category)
        if group == 2:
            return (group, -d.scored, d.category)
        return (group, d.category)

    order = []
    for rank, d in enumerate(sorted(decisions, key=key), start=1):
        order.append({
            "rank": rank,
            "category": d.category,
            "decision": d.decision,
            "monthly_savings_if_cut_over": by_category[d.category]["monthly_savings_if_cut_over"],
            "gap_to_target": _gap(d) if d.decision == "not_ready" else None,
            "holding_back": None if d.decision == "ready" else (d.failed_checks[0] if d.failed_checks else d.reasons[0]),
        })
    return order
