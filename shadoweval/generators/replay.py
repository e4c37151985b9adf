"""Score answers produced elsewhere, e.g. the log of a live shadow deployment.

Answers come from an `ai_answer` column in the tickets file, or from `--answers FILE` (CSV with
`ticket_id`, `ai_answer` and optionally `sources`, article ids separated by `;`) joined on ticket_id.
A ticket with no answer is not scored and is listed as rejected with the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from .base import Answer, GenerationContext, Generator, register


@register
class ReplayGenerator(Generator):
    name = "replay"

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "answers": "file" if self.settings.answers else "ai_answer column"}

    def generate(self, tickets: pd.DataFrame, context: GenerationContext) -> list[Answer]:
        answers, sources = self._load(tickets)
        result = []
        for ticket_id in tickets["ticket_id"]:
            text = answers.get(ticket_id, "").strip()
            if not text:
                result.append(Answer("", error="no AI answer to replay for this ticket"))
            else:
                result.append(Answer(text, sources.get(ticket_id, ())))
        return result

    def _load(self, tickets: pd.DataFrame) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
        path = self.settings.answers
        if path is None:
            if "ai_answer" not in tickets.columns:
                raise InputError(
                    "The replay generator needs AI answers: add an ai_answer column to the tickets file "
                    "or pass --answers FILE with ticket_id and ai_answer columns."
                )
            return dict(zip(tickets["ticket_id"], tickets["ai_answer"])), {}
        return read_answers_file(Path(path), encoding=self.settings.encoding)


def read_answers_file(path: Path, encoding: str = "utf-8") -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    if not path.is_file():
        raise InputError(f"Answers file {path} does not exist; check the --answers path.")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError:
        raise InputError(f"Answers file {path} could not be decoded as {encoding}; re-save it as UTF-8.") from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise InputError(f"Answers file {path} is not a readable CSV ({str(exc).strip()}); check the file.") from None
    missing = [c for c in ("ticket_id", "ai_answer") if c not in frame.columns]
    if missing:
        raise InputError(
            f"Answers file {path} is missing column(s) {', '.join(missing)} (columns found: {', '.join(frame.columns)}); "
            "it needs ticket_id and ai_answer."
        )
    duplicated = frame["ticket_id"][frame["ticket_id"].duplicated()]
    if not duplicated.empty:
        raise InputError(
            f"Answers file {path} has more than one answer for ticket(s) {', '.join(duplicated.unique()[:5])}; keep one per ticket."
        )
    sources: dict[str, tuple[str, ...]] = {}
    if "sources" in frame.columns:
        sources = {
            t: tuple(s.strip() for s in v.split(";") if s.strip()) for t, v in zip(frame["ticket_id"], frame["sources"])
        }
    return dict(zip(frame["ticket_id"], frame["ai_answer"])), sources
