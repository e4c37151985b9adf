"""Reference quality: is the human reply something an AI answer can be compared with?

A reply with no content of its own — empty, only pleasantries, only a clarifying question, or only
"let me check / I'll pass this on" — says nothing about whether the AI's answer was right, so the
ticket is `unscorable`: counted, shown, and kept out of pass rates.
"""

from __future__ import annotations

import re

from ..text import content_words, split_sentences

_PLEASANTRY = re.compile(
    r"^(?:(?:hi|hello|hey|dear|greetings|good (?:morning|afternoon|evening))\b[^.!?]{0,30}[.!?,]?"
    r"|(?:many )?thanks?(?: you)?(?: so much| very much)?(?: for [^.!?]{0,60})?[.!?]?"
    r"|(?:great|good) question[.!]?"
    r"|(?:you'?re|you are) (?:very |most )?welcome[^.!?]{0,30}[.!?]?"
    r"|(?:i'?m |i am )?(?:so |very |really )?(?:sorry|apologi[sz]e)[^.!?]{0,60}(?:inconvenience|trouble|frustration|wait|delay|hear that)[^.!?]{0,20}[.!?]?"
    r"|(?:i'?m |i am |we'?re |we are )?(?:happy|glad) to help[^.!?]{0,40}[.!?]?"
    r"|(?:sure[,!]? )?(?:i|we)(?:'d| would|'ll| will| can| could)? (?:be (?:happy|glad|pleased) to |gladly )?(?:help|assist)(?: you)?"
    r"(?: with (?:that|this|it|your (?:question|request|inquiry)))?[.!]?"
    r"|(?:have|enjoy) a (?:great|nice|good|wonderful) (?:day|evening|weekend|one)[^.!?]{0,20}[.!?]?"
    r"|(?:best|kind|warm)?\s*(?:regards|wishes|best|cheers|sincerely)\b.{0,60}"
    r"|(?:(?:please )?let (?:me|us) know if (?:there(?:'s| is) |you (?:have|need) )?|is there )?anything else (?:i|we) can (?:help|do|assist)[^.!?]{0,30}[.!?]?"
    r"|(?:please )?let (?:me|us) know if you (?:have|need) (?:any )?(?:other|more|further) (?:questions?|help)[^.!?]{0,20}[.!?]?"
    r"|(?:i )?hope (?:this|that) helps[^.!?]{0,20}[.!?]?"
    r"|(?:please )?(?:feel free|don'?t hesitate) to (?:reply|reach out|contact us|get in touch|ask)[^.!?]{0,60}[.!?]?"
    r"|(?:we|i) (?:have )?received your (?:message|email|request)[^.!?]{0,20}[.!?]?"
    r"|(?:ok(?:ay)?|sure|great|certainly|of course|absolutely|no problem)[.!,]?)$",
    re.IGNORECASE,
)
_DEFERRAL = re.compile(
    r"\b(?:let me (?:check|look|find out|see|get back)|i'?ll (?:check|look into|find out|get back|pass (?:this|it) on|forward|follow up|investigate)"
    r"|i will (?:check|look into|find out|get back|pass (?:this|it) on|forward|follow up|investigate)"
    r"|(?:we'?ll|we will|and will) (?:get back|look into|follow up|be in touch)|bear with me|one moment|give me a (?:moment|minute|second)"
    r"|pass(?:ing)? (?:this|it|your \w+) (?:on|along) to|checking (?:on|with) (?:this|that|the)"
    r"|(?:i'?m|i am|we'?re|we are) (?:looking into|checking|investigating) (?:this|it|that)"
    r"|(?:i'?ve|i have|we'?ve|we have) (?:forwarded|passed|sent) (?:it|this|your \w+) (?:on |along )?to (?:the|our) (?:relevant|right|appropriate) (?:department|team|people)"
    r"|(?:someone|somebody|a (?:colleague|specialist|member of our team)) (?:from [\w\s]{0,20})?will (?:be in touch|contact you|reach out|get back))",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(r"^[-–—~]?\s*[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,3}\s*(?:[-–—,|]\s*[\w\s]{0,40})?$")
# A sign-off's tail is a name, a team or a company ("Anna, Customer Care", "Sam from Acme"); a
# clause with a pronoun or a verb ("Yes,you will need the original title") is an answer.
_NOT_IN_SIGN_OFF = re.compile(
    r"\b(?:you|your|i|we|it|is|are|was|will|would|can|could|need|needs|must|should|have|has|do|does|not|yes|no)\b", re.IGNORECASE
)


def classify_sentence(sentence: str) -> str:
    """One of: pleasantry, deferral, question, content."""
    stripped = sentence.strip()
    if _PLEASANTRY.match(stripped) or (
        len(stripped.split()) <= 6 and _SIGN_OFF.match(stripped) and "?" not in stripped and not _NOT_IN_SIGN_OFF.search(stripped)
    ):
        return "pleasantry"
    if _DEFERRAL.search(stripped) and len(content_words(_DEFERRAL.sub(" ", stripped))) <= 4:
        return "deferral"
    if stripped.endswith("?"):
        return "question"
    if len(content_words(stripped)) == 0:
        return "pleasantry"
    return "content"


def unscorable_reason(reply: str) -> str | None:
    """Why the human reply cannot serve as a reference, or None when it can."""
    if not reply or not reply.strip():
        return "the human reply is empty"
    kinds = [classify_sentence(s) for s in split_sentences(reply)]
    if "content" in kinds:
        return None
    if "deferral" in kinds:
        return "the human reply only defers (\"let me check\" / \"I'll pass this on\") without an answer"
    if "question" in kinds:
        return "the human reply only asks a clarifying question"
    return "the human reply is only a greeting or pleasantry"


def substantive_sentences(reply: str) -> list[str]:
    """The sentences that carry the reply's content (statements; questions only if nothing else)."""
    sentences = split_sentences(reply)
    kinds = [classify_sentence(s) for s in sentences]
    statements = [s for s, k in zip(sentences, kinds) if k == "content"]
    return statements or [s for s, k in zip(sentences, kinds) if k == "question"]


def meaningful_sentences(reply: str) -> list[str]:
    """Every sentence but greetings, sign-offs and deferrals: what a reader compares an answer to."""
    return [s for s in split_sentences(reply) if classify_sentence(s) in {"content", "question"}]


def substantive_text(reply: str) -> str:
    """The reply without greetings, sign-offs and pleasantries: what it actually says.

    Similarity is measured on this, so "Hi Sam, thanks for reaching out!" neither helps nor hurts.
    """
    kept = [s for s in split_sentences(reply) if classify_sentence(s) in {"content", "question"}]
    return " ".join(kept) if kept else (reply or "").strip()
