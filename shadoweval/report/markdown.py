"""summary.md: the gate, the readiness table and the cutover order, short enough for a pull-request comment."""

from __future__ import annotations

from typing import Any

DECISION_MARK = {"ready": "✅ ready", "not_ready": "❌ not ready", "insufficient_data": "⚪ insufficient data", "blocked": "⛔ blocked"}
GATE_MARK = {"passed": "✅ live", "failed": "❌ live", "not_live": ""}
ORDER_SHOWN = 10  # the rest of the cutover order is in index.html


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rate(value: float | None, ci: list[float | None]) -> str:
    if value is None:
        return "–"
    return f"{value:.0%} [{ci[0]:.0%}, {ci[1]:.0%}]"


def _money(value: float | None) -> str:
    return "–" if value is None else f"${value:,.0f}"


def _savings(c: dict[str, Any]) -> str:
    if c.get("monthly_savings") is not None:
        return _money(c["monthly_savings"])
    if c.get("monthly_savings_if_cut_over") is not None:
        return f"({_money(c['monthly_savings_if_cut_over'])})"
    return "–"


def _delta(c: dict[str, Any]) -> str:
    delta = c.get("baseline_delta")
    if delta is None:
        return "new"
    text = f"{delta['pass_rate'] * 100:+.1f} pts"
    return text + (" ⚠ regressed" if c.get("regression") else "")


def _why(c: dict[str, Any]) -> str:
    checks = c.get("failed_checks") or []
    if checks:
        return "; ".join(checks)
    return "meets every rule" if c["decision"] == "ready" else (c["reasons"][0] if c["reasons"] else "")


def _gate_lines(summary: dict[str, Any]) -> list[str]:
    gate = summary.get("gate")
    if not gate or not gate["live"]:
        return ["**Gate:** no live categories, so nothing is gated (set `policy.live_categories` or `--live`)."]
    live = ", ".join(gate["live"])
    if gate["passed"]:
        lines = [f"**Gate: ✅ passed**: every live category ({live}) is ready and has not regressed."]
    else:
        lines = [f"**Gate: ❌ failed**: {len(gate['failing'])} of {len(gate['live'])} live categories fail."]
        lines += [f"- `{_cell(f['category'])}`: {_cell('; '.join(f['reasons']))}" for f in gate["failing"]]
    if gate.get("baseline"):
        base = gate["baseline"]
        lines.append(f"Compared with the baseline run of {base.get('started_at') or 'unknown date'} "
                     f"(config `{base.get('config_hash') or '?'}`).")
    return lines


def _order_lines(summary: dict[str, Any]) -> list[str]:
    order = summary.get("cutover_order") or []
    cost = summary.get("cost") or {}
    if not order:
        return []
    lines = [
        "",
        f"**Recommended cutover order** (savings at human ${cost.get('human_per_ticket', 0):.2f} vs AI "
        f"${cost.get('ai_per_ticket', 0):.2f} per ticket). {cost.get('volume_note', '')}",
        "",
    ]
    for item in order[:ORDER_SHOWN]:
        worth = _money(item["monthly_savings_if_cut_over"])
        if item["decision"] == "ready":
            lines.append(f"{item['rank']}. {_cell(item['category'])}: ready, saves {worth}/month")
        else:
            gap = "" if item["gap_to_target"] is None else f", pass-rate gap {item['gap_to_target']:.2f}"
            lines.append(f"{item['rank']}. {_cell(item['category'])}: {item['decision'].replace('_', ' ')}"
                         f"{gap} ({worth}/month if cut over); held back: {_cell(item['holding_back'] or '')}")
    if len(order) > ORDER_SHOWN:
        lines.append(f"… and {len(order) - ORDER_SHOWN} more in index.html.")
    return lines


def render_markdown(summary: dict[str, Any]) -> str:
    manifest = summary["manifest"]
    rows = manifest["rows"]
    compared = bool(summary.get("gate") and summary["gate"].get("baseline"))
    header = "| category | decision | gate | scored | pass rate [95% CI] |" + (" Δ pass vs baseline |" if compared else "")
    header += " unsafe | needs action | savings/month | why |"
    lines = [
        "## shadoweval readiness",
        "",
        f"{rows['accepted']} tickets evaluated ({rows['scored']} scored, {rows['rejected']} rejected rows) "
        f"with generator `{manifest['generator']['name']}`, KB `{manifest['kb_hash']}`.",
        "",
        *_gate_lines(summary),
        "",
        header,
        "|---|---|---|---:|---|" + ("---|" if compared else "") + "---:|---:|---:|---|",
    ]
    for c in summary["categories"]:
        lines.append(
            f"| {_cell(c['category'])} | {DECISION_MARK.get(c['decision'], c['decision'])} | "
            f"{GATE_MARK.get(c.get('gate', 'not_live'), '')} | {c['scored']} | {_rate(c['pass_rate'], c['pass_rate_ci'])} | "
            + (f"{_delta(c)} | " if compared else "")
            + f"{c['unsafe']} | {c['needs_action']} | {_savings(c)} | {_cell(_why(c))} |"
        )
    lines.append("")
    lines.append("Savings in brackets: what the category would save if cut over; it is not ready yet.")
    lines += _order_lines(summary)
    return "\n".join(lines) + "\n"
