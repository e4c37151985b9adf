"""index.html: one self-contained page a support lead can read and forward.

Ticket text is untrusted, so the jinja2 environment autoescapes everything; nothing is marked safe.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..scoring import VERDICTS

if TYPE_CHECKING:
    from ..pipeline import RunResult

WORST_TICKETS_SHOWN = 8
VERDICT_ORDER_FOR_REVIEW = {"unsafe": 0, "fail": 1, "abstain": 2, "partial": 3, "pass": 4}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("shadoweval.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["slug"] = slug
    env.filters["pct"] = lambda v: "–" if v is None else f"{v:.0%}"
    env.filters["money"] = lambda v: "–" if v is None else f"${v:,.0f}"
    env.filters["money2"] = lambda v: "–" if v is None else f"${v:,.2f}"
    return env


def render_html(summary: dict[str, Any], run: "RunResult") -> str:
    by_category: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for result in run.results:
        by_category[result.category][result.verdict].append(result)
    worst = {}
    for category, verdicts in by_category.items():
        reviewable = [r for v in VERDICT_ORDER_FOR_REVIEW for r in verdicts.get(v, [])]
        reviewable.sort(key=lambda r: (VERDICT_ORDER_FOR_REVIEW[r.verdict], r.score, r.ticket_id))
        worst[category] = reviewable[:WORST_TICKETS_SHOWN]
    template = _environment().get_template("report.html.j2")
    return template.render(
        summary=summary,
        manifest=summary["manifest"],
        categories=summary["categories"],
        verdicts=VERDICTS,
        tickets_by_verdict=by_category,
        worst=worst,
        rejected=summary["rejected"],
        gate=summary.get("gate"),
        cost=summary.get("cost") or {},
        cutover_order=summary.get("cutover_order") or [],
    )
