"""Monthly volume, savings and the recommended cutover order."""

from __future__ import annotations

import pytest

from shadoweval.config import CostSettings, PolicySettings
from shadoweval.decide import decide_categories
from shadoweval.roi import DAYS_PER_MONTH, export_span, plan_cutover
from shadoweval.scoring import TicketResult


def tickets(category: str, verdicts: dict[str, int], dates: list[str] | None = None) -> list[TicketResult]:
    out = []
    for verdict, count in verdicts.items():
        for i in range(count):
            out.append(TicketResult(f"{category}-{verdict}{i}", category, verdict, 0.5, {}, "", []))
    for result, date in zip(out, dates or []):
        result.created_at = date
    return out


def test_export_span_reads_iso_timestamps_and_skips_bad_ones() -> None:
    span = export_span(["2026-08-01T00:00:00Z", "2026-10-31T00:00:00+00:00", "2026-09-01", "yesterday", "", float("nan")])
    assert span.first == "2026-08-01T00:00:00+00:00" and span.last == "2026-10-31T00:00:00+00:00"
    assert span.days == 91 and span.dated == 3 and span.undated == 3
    assert export_span(["2026-08-01T10:00:00Z", "2026-08-01T12:00:00Z"]).days is None  # under a day: no basis
    assert export_span([]).days is None


def test_volume_is_inferred_from_created_at_and_savings_count_only_ready_categories() -> None:
    dates = ["2026-08-01T00:00:00Z"] + ["2026-08-15T00:00:00Z"] * 98 + ["2026-08-31T00:00:00Z"]  # 30 days
    results = tickets("easy", {"pass": 100}, dates) + tickets("hard", {"pass": 30, "fail": 20}, ["2026-08-10T00:00:00Z"] * 50)
    decisions = decide_categories(results, PolicySettings())
    plan = plan_cutover(decisions, results, CostSettings())
    easy, hard = plan.by_category["easy"], plan.by_category["hard"]
    assert easy["monthly_volume"] == pytest.approx(100 * DAYS_PER_MONTH / 30, abs=0.1)
    assert easy["monthly_volume_source"] == "created_at"
    assert easy["monthly_savings"] == pytest.approx(100 * DAYS_PER_MONTH / 30 * 5.0, abs=0.01)
    assert hard["monthly_savings"] is None  # not ready: no savings claimed
    assert hard["monthly_savings_if_cut_over"] == pytest.approx(50 * DAYS_PER_MONTH / 30 * 5.0, abs=0.01)
    assert "inferred from 30 days of created_at (2026-08-01 to 2026-08-31)" in plan.volume_note()


def test_configured_volume_wins_and_unknown_volume_never_crashes() -> None:
    results = tickets("a", {"pass": 80}) + tickets("b", {"pass": 80})  # no created_at at all
    decisions = decide_categories(results, PolicySettings())
    plan = plan_cutover(decisions, results, CostSettings(human_per_ticket=6.0, ai_per_ticket=1.0, monthly_volume={"a": 4000}))
    assert plan.by_category["a"] == {"monthly_volume": 4000.0, "monthly_volume_source": "config",
                                     "monthly_savings": 20000.0, "monthly_savings_if_cut_over": 20000.0}
    assert plan.by_category["b"]["monthly_volume"] is None and plan.by_category["b"]["monthly_savings"] is None
    assert "Monthly volume unknown" in plan.volume_note() and "cost.monthly_volume" in plan.volume_note()
    assert plan.to_json()["export_span"]["undated"] == 160


def test_cutover_order_ready_by_savings_then_nearest_to_ready_then_insufficient_then_blocked() -> None:
    results = (
        tickets("small_ready", {"pass": 80})
        + tickets("big_ready", {"pass": 200})
        + tickets("near", {"pass": 75, "fail": 25})  # lower bound 0.66
        + tickets("far", {"pass": 40, "fail": 60})
        + tickets("needs_tools", {"pass": 95, "needs_action": 50})  # pass rate fine, gap 0
        + tickets("tiny", {"pass": 5})
        + tickets("legal", {"pass": 300})
    )
    dates = [f"2026-08-{1 + i % 30:02d}T00:00:00Z" for i in range(len(results))]
    for r, d in zip(results, dates):
        r.created_at = d
    decisions = decide_categories(results, PolicySettings(blocked=("legal",)))
    order = plan_cutover(decisions, results, CostSettings()).order
    assert [o["category"] for o in order] == ["big_ready", "small_ready", "needs_tools", "near", "far", "tiny", "legal"]
    assert [o["rank"] for o in order] == list(range(1, 8))
    assert order[0]["holding_back"] is None and order[0]["gap_to_target"] is None
    assert order[2]["gap_to_target"] == 0 and order[2]["holding_back"].startswith("needs_action share")
    assert order[3]["gap_to_target"] == pytest.approx(0.8 - decisions[3].pass_rate_ci[0], abs=1e-4)
    assert order[3]["holding_back"].startswith("pass rate 0.75")
    assert order[5]["holding_back"] == "only 5 scored tickets < 30"
    assert order[6]["decision"] == "blocked" and order[6]["holding_back"] == "blocked by policy"
