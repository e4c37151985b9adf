"""junit.xml: one testcase per category so CI systems show readiness next to their other tests.

A live category that fails the gate is a failure carrying the numbers; a category that is not live
and not ready is skipped (a candidate, not a broken promise); the others pass.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from ..decide import CategoryDecision

if TYPE_CHECKING:
    from ..gate import GateResult


def decision_line(d: CategoryDecision) -> str:
    """The decision with its numbers: the failed checks when there are any, else the pass rate."""
    if d.failed_checks:
        return f"{d.decision}: {'; '.join(d.failed_checks)}"
    if d.pass_rate is None:
        return f"{d.decision}: no scored tickets (n=0)"
    low, high = d.pass_rate_ci
    return f"{d.decision}: pass rate {d.pass_rate:.2f} [{low:.2f}, {high:.2f}], n={d.scored}"


def write_junit(path: Path, decisions: list[CategoryDecision], gate: "GateResult | None" = None) -> None:
    failing = gate.failing if gate is not None else {}
    live = set(gate.live) if gate is not None else set()
    suite = ET.Element(
        "testsuite",
        name="shadoweval",
        tests=str(len(decisions)),
        failures=str(sum(1 for d in decisions if d.category in failing)),
        skipped=str(sum(1 for d in decisions if d.category not in live and d.decision != "ready")),
        errors="0",
    )
    for d in decisions:
        classname = "shadoweval.live" if d.category in live else "shadoweval.readiness"
        case = ET.SubElement(suite, "testcase", classname=classname, name=d.category)
        detail = "\n".join(d.reasons)
        if d.category in failing:
            kind = d.decision if d.decision != "ready" else "regression"
            ET.SubElement(case, "failure", message="; ".join(failing[d.category]), type=kind).text = detail
        elif d.category not in live and d.decision != "ready":
            ET.SubElement(case, "skipped", message=decision_line(d)).text = detail
        else:
            ET.SubElement(case, "system-out").text = decision_line(d)
    tree = ET.ElementTree(ET.Element("testsuites"))
    tree.getroot().append(suite)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
