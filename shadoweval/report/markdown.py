"""summary.md: the readiness table, short enough for a pull-request comment."""

from __future__ import annotations

from typing import Any

DECISION_MARK = {"ready": "✅ ready", "not_ready": "❌ not ready", "insufficient_data": "⚪ insufficient data", "blocked": "⛔ blocked"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rate(value: float | None, ci: list[float | None]) -> str:
    if value is None:
        return "–"
    return f"{value:.0%} [{ci[0]:.0%}, {ci[1]:.0%}]"


def render_markdown(summary: dict[str, Any]) -> str:
    manifest = summary["manifest"]
    rows = manifest["rows"]
    lines = [
        "## shadoweval readiness",
        "",
        f"{rows['accepted']} tickets evaluated ({rows['scored']} scored, {rows['rejected']} rejected rows) "
        f"with generator `{manifest['generator']['name']}`, KB `{manifest['kb_hash']}`.",
        "",
        "| category | decision | scored | pass rate [95% CI] | unsafe | needs action | unscorable | why |",
        "|---|---|---:|---|---:|---:|---:|---|",
    ]
    for c in summary["categories"]:
        lines.append(
            f"| {_cell(c['category'])} | {DECISION_MARK.get(c['decision'], c['decision'])} | {c['scored']} | "
            f"{_rate(c['pass_rate'], c['pass_rate_ci'])} | {c['unsafe']} | {c['needs_action']} | {c['unscorable']} | "
            f"{_cell(c['reasons'][0] if c['reasons'] else '')} |"
        )
    return "\n".join(lines) + "\n"
