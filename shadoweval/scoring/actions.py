"""Action detection: the human agent *did* something (refund, cancellation, account change,
escalation) that no text answer can do, so the ticket is `needs_action`, not an AI failure."""

from __future__ import annotations

import re

_ACTION_VERBS = (
    r"issued|processed|refunded|reimbursed|credited|cancell?ed|reversed|voided|waived|updated|changed|reset|unlocked|"
    r"reactivated|deactivated|deleted|removed|closed|escalated|transferred|forwarded|raised|opened|created|applied|"
    r"added|replaced|reshipped|re-?sent|arranged|scheduled|booked|upgraded|downgraded|extended|restored|merged|fixed|"
    r"submitted|placed|sent (?:you )?(?:a|the|your) (?:new |replacement |prepaid |return )?(?:label|replacement|code|link|voucher)"
)
_FIRST_PERSON = re.compile(
    rf"\b(?:i|we)(?:'ve| have| just| already|'ve just|'ve already| have just| have already| went ahead and)?\s+"
    rf"(?:gone ahead and |also )?(?P<verb>{_ACTION_VERBS})\b",
    re.IGNORECASE,
)
# Passive reports of an action on the customer's own things ("your refund has been issued"); a
# general description ("your status has been extended so you can renew") is not an action.
_ACTED_ON = r"order|refund|account|subscription|membership|payment|charge|ticket|case|request|return|password|card|label|replacement|booking|reservation|plan|exchange|credit"
_PASSIVE = re.compile(
    rf"\b(?:your|the|this)\s+(?:[\w-]+\s+){{0,2}}(?:{_ACTED_ON})s?\s+(?:has|have) (?:now |just |already )?been\s+(?P<verb>{_ACTION_VERBS})\b",
    re.IGNORECASE,
)
_PROGRESSIVE = re.compile(
    r"\b(?:i'?m|i am|we'?re|we are)\s+(?:now\s+)?(?P<verb>escalating|transferring|issuing|processing|refunding|cancell?ing|forwarding|reversing|connecting you)\b",
    re.IGNORECASE,
)


def detect_action(reply: str) -> str | None:
    """The phrase showing the agent acted, or None."""
    for pattern in (_FIRST_PERSON, _PASSIVE, _PROGRESSIVE):
        match = pattern.search(reply or "")
        if match:
            return match.group(0)
    return None
