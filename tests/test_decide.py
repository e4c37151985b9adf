import pytest

from shadoweval.config import PolicySettings
from shadoweval.decide import decide_category, wilson_interval
from shadoweval.scoring import TicketResult


@pytest.mark.parametrize(
    "successes, n, low, high",
    [
        (8, 10, 0.4902, 0.9433),  # textbook values (Newcombe 1998 / statsmodels proportion_confint wilson)
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (81, 263, 0.2553, 0.3662),
    ],
)
def test_wilson_interval_matches_known_values(successes: int, n: int, low: float, high: float) -> None:
    got = wilson_interval(successes, n)
    assert got == pytest.approx((low, high), abs=1e-4)


def test_wilson_interval_without_data_is_uninformative() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)


def results(category: str, verdicts: dict[str, int]) -> list[TicketResult]:
    out = []
    for verdict, count in verdicts.items():
        for i in range(count):
            out.append(TicketResult(f"{verdict}{i}", category, verdict, 0.5, {}, "", []))
    return out


def test_ready_needs_the_lower_bound_above_target() -> None:
    policy = PolicySettings(min_tickets=30, target_pass_rate=0.8)
    ready = decide_category("a", results("a", {"pass": 95, "fail": 5, "unscorable": 20, "needs_action": 3}), policy)
    assert ready.decision == "ready" and ready.scored == 100 and ready.tickets == 123
    assert ready.pass_rate == 0.95 and ready.pass_rate_ci[0] >= 0.8
    assert "lower bound" in ready.reasons[0]

    borderline = decide_category("b", results("b", {"pass": 85, "fail": 15}), policy)
    assert borderline.pass_rate == 0.85 and borderline.decision == "not_ready"  # 85 % observed, lower bound 0.77
    assert "below the target 80%" in borderline.reasons[0]


def test_small_samples_are_insufficient_data_and_say_how_many_more() -> None:
    policy = PolicySettings(min_tickets=30)
    small = decide_category("c", results("c", {"pass": 12, "unscorable": 40}), policy)
    assert small.decision == "insufficient_data"
    assert "Only 12 scored" in small.reasons[0] and "18 more" in small.reasons[0]


def test_unscorable_and_needs_action_stay_out_of_the_pass_rate() -> None:
    d = decide_category("d", results("d", {"pass": 30, "fail": 10, "unscorable": 50, "needs_action": 10}), PolicySettings())
    assert d.scored == 40 and d.pass_rate == 0.75 and d.needs_action_share == 0.2
