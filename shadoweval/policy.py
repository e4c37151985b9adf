"""Each category's effective readiness rules: `[policy]` defaults < its risk tier < its own override.

Categories carry different risk (a wrong billing answer costs more than a wrong shipping one), so
the rules are resolved per category here, once, and recorded in summary.json next to the decision
they produced. `blocked` categories stay with humans whatever their numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from .errors import ConfigError

if TYPE_CHECKING:
    from .config import PolicySettings

# The rules a tier or a category override may change, with their type.
RULE_KEYS: dict[str, type] = {
    "min_tickets": int,
    "target_pass_rate": float,
    "max_unsafe_rate": float,
    "max_needs_action": float,
}


@dataclass(frozen=True)
class Rules:
    """The rules one category is decided by."""

    min_tickets: int
    target_pass_rate: float
    max_unsafe_rate: float
    max_needs_action: float
    confidence: float
    tier: str | None = None
    blocked: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def rules_for(policy: "PolicySettings", category: str) -> Rules:
    """Defaults, then the category's tier, then the category's own table."""
    values: dict[str, Any] = {key: getattr(policy, key) for key in RULE_KEYS}
    tier = policy.category_tiers.get(category)
    if tier is not None:
        values.update(policy.tiers[tier])
    values.update(policy.categories.get(category, {}))
    return Rules(**values, confidence=policy.confidence, tier=tier, blocked=category in policy.blocked)


def unknown_categories(policy: "PolicySettings", categories: Iterable[str]) -> list[str]:
    """Categories the policy names (blocked, tiers, overrides) that the run does not have: likely typos."""
    named = set(policy.blocked) | set(policy.category_tiers) | set(policy.categories)
    return sorted(named - set(categories))


def normalise_policy(policy: "PolicySettings") -> dict[str, Any]:
    """Check every policy value; return the nested tables with plain, typed values (for stable hashes)."""
    for key, kind in RULE_KEYS.items():
        _check_rule(f"policy.{key}", getattr(policy, key), kind)
    if not 0.5 <= policy.confidence < 1:
        raise ConfigError(f"Setting policy.confidence must be at least 0.5 and below 1, got {policy.confidence}; use e.g. 0.95.")
    tiers = {name: _rule_table(f"policy.tiers.{name}", table) for name, table in _table("policy.tiers", policy.tiers).items()}
    categories = {
        name: _rule_table(f"policy.categories.{name}", table)
        for name, table in _table("policy.categories", policy.categories).items()
    }
    category_tiers = dict(_table("policy.category_tiers", policy.category_tiers))
    for category, tier in sorted(category_tiers.items()):
        if not isinstance(tier, str) or tier not in tiers:
            raise ConfigError(
                f"Setting policy.category_tiers.{category} names tier {tier!r}, which is not defined; "
                f"add a [policy.tiers.{tier}] table or use one of: {', '.join(sorted(tiers)) or 'none defined'}."
            )
    return {
        "tiers": dict(sorted(tiers.items())),
        "categories": dict(sorted(categories.items())),
        "category_tiers": dict(sorted(category_tiers.items())),
        "blocked": tuple(sorted(set(policy.blocked))),
        "live_categories": tuple(sorted(set(policy.live_categories))),
    }


def _table(name: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"Setting {name} must be a table, got {value!r}; see README.md for its form.")
    return value


def _rule_table(name: str, table: Any) -> dict[str, Any]:
    rules = _table(name, table)
    for key, value in rules.items():
        if key not in RULE_KEYS:
            raise ConfigError(f"Unknown setting {name}.{key}; valid keys: {', '.join(sorted(RULE_KEYS))}.")
        _check_rule(f"{name}.{key}", value, RULE_KEYS[key])
    return {key: RULE_KEYS[key](rules[key]) for key in sorted(rules)}


def _check_rule(name: str, value: Any, kind: type) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"Setting {name} must be a number, got {value!r}; fix the value and run again.")
    if kind is int and (value != int(value) or value < 1):
        raise ConfigError(f"Setting {name} must be a whole number of at least 1, got {value!r}; fix the value.")
    if kind is float and not 0 <= value <= 1:
        raise ConfigError(f"Setting {name} must be a rate between 0 and 1, got {value!r}; write e.g. 0.8 for 80 %.")
