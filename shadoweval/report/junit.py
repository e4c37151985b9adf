"""junit.xml: one testcase per category so CI systems show readiness next to their other tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ..decide import CategoryDecision


def decision_line(d: CategoryDecision) -> str:
    if d.pass_rate is None:
        return f"{d.decision}: no scored tickets (n=0)"
    low, high = d.pass_rate_ci
    return f"{d.decision}: pass rate {d.pass_rate:.2f} [{low:.2f}, {high:.2f}], n={d.scored}"


def write_junit(path: Path, decisions: list[CategoryDecision], failing: set[str] | None = None) -> None:
    """`failing` names the categories that fail the gate; other not-ready ones are skipped."""
    failing = failing or set()
    suite = ET.Element(
        "testsuite",
        name="shadoweval",
        tests=str(len(decisions)),
        failures=str(sum(1 for d in decisions if d.category in failing)),
        skipped=str(sum(1 for d in decisions if d.category not in failing and d.decision != "ready")),
        errors="0",
    )
    for d in decisions:
        case = ET.SubElement(suite, "testcase", classname="shadoweval.readiness", name=d.category)
        message = decision_line(d)
        detail = "\n".join(d.reasons)
        if d.category in failing:
            ET.SubElement(case, "failure", message=message, type=d.decision).text = detail
        elif d.decision != "ready":
            ET.SubElement(case, "skipped", message=message).text = detail
        else:
            ET.SubElement(case, "system-out").text = message
    tree = ET.ElementTree(ET.Element("testsuites"))
    tree.getroot().append(suite)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
