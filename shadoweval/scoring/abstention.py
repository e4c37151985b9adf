"""Abstention: the AI declined or handed the ticket to a human instead of answering."""

from __future__ import annotations

import re

_HANDOFF = re.compile(
    r"\b(?:hand(?:ing)? (?:this|it|you|the ticket)(?: \w+)? (?:over |off )?to|transfer(?:ring)? you to|connect(?:ing)? you (?:with|to) "
    r"(?:a |an |our )?(?:human|agent|specialist|colleague|team)|escalate this to (?:a |our )?(?:human|agent|team)"
    r"|i (?:do not|don'?t) (?:know|have (?:that|this|enough) information)|i'?m (?:not able|unable) to (?:answer|help with) this"
    r"|i (?:cannot|can'?t) answer (?:this|that))",
    re.IGNORECASE,
)


def is_abstention(answer: str, flagged_by_generator: bool) -> bool:
    return flagged_by_generator or not (answer or "").strip() or bool(_HANDOFF.search(answer))
