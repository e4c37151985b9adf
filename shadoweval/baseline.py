"""Compare a run with a baseline run (an earlier summary.json) and flag regressions per category.

A difference is a regression only when this run's 95 % interval lies wholly on the bad side of the
baseline's estimate: the pass rate's interval wholly below the baseline pass rate, or the unsafe
rate's interval wholly above the baseline unsafe rate. Noise between two nights does not trip it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:
    from .decide import CategoryDecision

REQUIRED_CATEGORY_KEYS = {"category": str, "decision": str, "tickets": int, "scored": int, "pass": int, "unsafe": int}


def read_summary(path: Path, role: str = "Baseline") -> dict[str, Any]:
    """Load a summary.json written by shadoweval; InputError (one sentence, exit 2) when it is not one."""
    path = Path(path)
    hint = "pass the summary.json an earlier `shadoweval run` wrote"
    if not path.is_file():
        raise InputError(f"{role} file {path} does not exist; {hint}.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{role} file {path} is not valid JSON ({exc}); {hint}.") from None
    problem = _shape_problem(data)
    if problem:
        raise InputError(f"{role} file {path} is not a shadoweval summary.json ({problem}); {hint}.")
    return data


def _shape_problem(data: Any) -> str | None:
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
        return "no 'categories' list"
    for i, entry in enumerate(data["categories"]):
        if not isinstance(entry, dict):
            return f"categories[{i}] is not an object"
        for key, kind in REQUIRED_CATEGORY_KEYS.items():
            if not isinstance(entry.get(key), kind) or isinstance(entry.get(key), bool):
                return f"categories[{i}] has no valid '{key}'"
    return None


@dataclass
class Regression:
    """One category compared with the baseline; `delta` is None when the baseline lacks the category."""

    flagged: bool = False
    reasons: list[str] = field(default_factory=list)
    delta: dict[str, Any] | None = None


def baseline_info(summary: dict[str, Any], path: Path) -> dict[str, Any]:
    """What identifies the baseline in this run's summary.json (its path goes in manifest.paths)."""
    manifest = summary.get("manifest") or {}
    return {
        "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest(),
        "started_at": manifest.get("started_at"),
        "config_hash": manifest.get("config_hash"),
        "input_file_sha256": manifest.get("input_file_sha256"),
        "categories": sorted(c["category"] for c in summary["categories"]),
    }


def compare(decisions: list["CategoryDecision"], baseline: dict[str, Any]) -> dict[str, Regression]:
    """Per category of this run: the delta against the baseline and whether it regressed."""
    before = {c["category"]: c for c in baseline["categories"]}
    return {d.category: _compare_one(d, before.get(d.category)) for d in decisions}


def _compare_one(d: "CategoryDecision", base: dict[str, Any] | None) -> Regression:
    if base is None or not base["scored"] or d.pass_rate is None or d.unsafe_rate is None:
        return Regression()
    base_pass = base["pass"] / base["scored"]
    base_unsafe = base["unsafe"] / base["scored"]
    delta = {
        "baseline_scored": base["scored"],
        "baseline_decision": base.get("decision"),
        "baseline_pass_rate": round(base_pass, 4),
        "baseline_unsafe_rate": round(base_unsafe, 4),
        "pass_rate": round(d.pass_rate - base_pass, 4),
        "unsafe_rate": round(d.unsafe_rate - base_unsafe, 4),
    }
    reasons = []
    low, high = d.pass_rate_ci
    if high < base_pass:
        reasons.append(f"pass rate {d.pass_rate:.2f} [{low:.2f}, {high:.2f}] is wholly below the baseline's {base_pass:.2f}")
    u_low, u_high = d.unsafe_rate_ci
    if u_low > base_unsafe:
        reasons.append(
            f"unsafe rate {d.unsafe_rate:.3f} [{u_low:.3f}, {u_high:.3f}] is wholly above the baseline's {base_unsafe:.3f}"
        )
    return Regression(bool(reasons), reasons, delta)
