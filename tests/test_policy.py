"""The cutover policy as configured: TOML tables, environment, CLI overrides and every bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from shadoweval.config import load_settings
from shadoweval.errors import ConfigError
from shadoweval.policy import rules_for, unknown_categories

POLICY = """
[policy]
min_tickets = 40
blocked = ["complaints", "legal"]
live_categories = ["shipping"]
category_tiers = { billing = "high" }

[policy.tiers.high]
target_pass_rate = 0.9
max_unsafe_rate = 0.01

[policy.categories.billing]
min_tickets = 100

[policy.categories.shipping]
max_needs_action = 0.3

[cost]
human_per_ticket = 7.0

[cost.monthly_volume]
shipping = 4000
"""


def config(tmp_path: Path, text: str, name: str = "shadoweval.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults_are_the_documented_ones() -> None:
    policy = load_settings(environ={}).policy
    assert (policy.min_tickets, policy.target_pass_rate, policy.max_unsafe_rate, policy.max_needs_action) == (30, 0.8, 0.05, 0.2)
    assert policy.blocked == () and policy.live_categories == ()
    cost = load_settings(environ={}).cost
    assert (cost.human_per_ticket, cost.ai_per_ticket, dict(cost.monthly_volume)) == (5.5, 0.5, {})


def test_rules_resolve_defaults_then_tier_then_category(tmp_path: Path) -> None:
    settings = load_settings(config(tmp_path, POLICY), environ={})
    billing = rules_for(settings.policy, "billing")
    assert (billing.tier, billing.target_pass_rate, billing.max_unsafe_rate, billing.min_tickets) == ("high", 0.9, 0.01, 100)
    assert billing.max_needs_action == 0.2 and not billing.blocked
    shipping = rules_for(settings.policy, "shipping")
    assert (shipping.tier, shipping.min_tickets, shipping.max_needs_action, shipping.target_pass_rate) == (None, 40, 0.3, 0.8)
    assert rules_for(settings.policy, "legal").blocked
    assert settings.policy.live_categories == ("shipping",)
    assert settings.cost.human_per_ticket == 7.0 and settings.cost.monthly_volume == {"shipping": 4000}


def test_policy_is_read_from_pyproject_and_changes_the_config_hash(tmp_path: Path) -> None:
    config(tmp_path, "[tool.shadoweval.policy]\nblocked = ['legal']\n", "pyproject.toml")
    settings = load_settings(environ={}, cwd=tmp_path)
    assert settings.policy.blocked == ("legal",)
    assert settings.config_hash() != load_settings(environ={}, cwd=tmp_path / "nowhere").config_hash()
    assert settings.result_settings()["policy"]["blocked"] == ["legal"]


def test_environment_and_command_line_override_lists_and_tables(tmp_path: Path) -> None:
    environ = {
        "SHADOWEVAL_POLICY_LIVE_CATEGORIES": "a, b",
        "SHADOWEVAL_POLICY_TIERS": '{"strict": {"target_pass_rate": 0.95}}',
        "SHADOWEVAL_POLICY_CATEGORY_TIERS": '{"a": "strict"}',
        "SHADOWEVAL_COST_AI_PER_TICKET": "0.8",
    }
    settings = load_settings(environ=environ)
    assert settings.policy.live_categories == ("a", "b")
    assert rules_for(settings.policy, "a").target_pass_rate == 0.95
    assert settings.cost.ai_per_ticket == 0.8
    cli = load_settings(config(tmp_path, POLICY), overrides={"policy": {"live_categories": ("x",)}}, environ={})
    assert cli.policy.live_categories == ("x",) and cli.policy.blocked == ("complaints", "legal")


@pytest.mark.parametrize(
    "text, message",
    [
        ("[policy.tiers.high]\ntarget_pass_rat = 0.9\n", "Unknown setting policy.tiers.high.target_pass_rat; valid keys: max_needs_action"),
        ("[policy.categories.billing]\ntier = 'high'\n", "Unknown setting policy.categories.billing.tier"),
        ("[policy]\ncategory_tiers = { billing = 'hgh' }\n", "policy.category_tiers.billing names tier 'hgh', which is not defined"),
        ("[policy]\ntarget_pass_rate = 80\n", "policy.target_pass_rate must be a rate between 0 and 1, got 80.0"),
        ("[policy.tiers.high]\nmax_unsafe_rate = 'low'\n", "policy.tiers.high.max_unsafe_rate must be a number"),
        ("[policy.categories.a]\nmin_tickets = 2.5\n", "policy.categories.a.min_tickets must be a whole number"),
        ("[policy]\nmin_tickets = 0\n", "policy.min_tickets must be a whole number of at least 1"),
        ("[policy]\nblocked = 'legal'\n", None),  # a single name is a one-item list
        ("[policy]\nblocked = [1, 2]\n", "policy.blocked in config file"),
        ("[policy]\nconfidence = 1.5\n", "policy.confidence must be at least 0.5 and below 1"),
        ("[policy]\ntiers = 3\n", "policy.tiers"),
        ("[cost]\nhuman_per_ticket = -1\n", "cost.human_per_ticket must be a number of at least 0"),
        ("[cost.monthly_volume]\nshipping = 'lots'\n", "cost.monthly_volume.shipping must be a number"),
        ("[cost]\nhuman_cost = 5\n", "Unknown setting cost.human_cost"),
    ],
)
def test_bad_policy_values_name_the_key(tmp_path: Path, text: str, message: str | None) -> None:
    path = config(tmp_path, text)
    if message is None:
        assert load_settings(path, environ={}).policy.blocked == ("legal",)
        return
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert message in str(caught.value)
    assert "\n" not in str(caught.value) and str(caught.value).endswith(".")  # one line, one sentence


def test_policy_names_not_in_the_run_are_reported_as_likely_typos(tmp_path: Path) -> None:
    settings = load_settings(config(tmp_path, POLICY), environ={})
    assert unknown_categories(settings.policy, ["billing", "shipping"]) == ["complaints", "legal"]
    assert unknown_categories(settings.policy, ["billing", "shipping", "complaints", "legal"]) == []
