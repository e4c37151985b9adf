"""Read a helpdesk export into the canonical ticket frame, keeping every rejected row with its reason.

Whole-file problems (missing file, missing columns, undecodable bytes, duplicate ids) stop the run
with one sentence; row problems (empty message, reply or category) reject just that row, and the
report lists it: nothing is silently dropped.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import pandas as pd

from .errors import InputError

REQUIRED_COLUMNS = ("ticket_id", "category", "customer_message", "agent_reply")
OPTIONAL_COLUMNS = (
    "created_at",
    "subject",
    "conversation_history",
    "csat",
    "resolved",
    "escalated",
    "channel",
    "agent_id",
    "ai_answer",
)
CANONICAL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


@dataclass(frozen=True)
class RejectedRow:
    row_number: int  # 1-based data row number, as a spreadsheet would show it (header = row 1)
    ticket_id: str
    reason: str


@dataclass(frozen=True)
class Tickets:
    """Accepted tickets (canonical columns, all strings) plus the rows that could not be used."""

    frame: pd.DataFrame
    rejected: tuple[RejectedRow, ...]
    total_rows: int
    source: Path


def load_tickets(path: Path, columns: Mapping[str, str] | None = None, encoding: str = "utf-8") -> Tickets:
    """Load a CSV export; `columns` maps canonical names to the export's own column names."""
    path = Path(path)
    raw = _read_csv(path, encoding)
    frame = _rename_columns(raw, dict(columns or {}), path)
    _check_duplicate_ids(frame, path)
    return _split_rejected(frame, path)


def _read_csv(path: Path, encoding: str) -> pd.DataFrame:
    if not path.exists():
        raise InputError(f"Tickets file {path} does not exist; check the path.")
    if path.is_dir():
        raise InputError(f"{path} is a folder; pass the tickets CSV file itself.")
    if path.stat().st_size == 0:
        raise InputError(f"Tickets file {path} is empty; export the tickets again with a header row.")
    read_encoding = "utf-8-sig" if encoding.lower().replace("_", "-") in {"utf-8", "utf8"} else encoding
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            encoding=read_encoding,
            skip_blank_lines=True,
        )
    except UnicodeDecodeError as exc:
        raise InputError(
            f"Tickets file {path} could not be decoded as {encoding} (byte {exc.start}); "
            "re-save it as UTF-8 or pass its encoding with --encoding (e.g. --encoding cp1252)."
        ) from None
    except LookupError:
        raise InputError(f"Unknown encoding {encoding!r}; pass a Python codec name such as utf-8 or cp1252.") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"Tickets file {path} has no header row; export the tickets again with column names.") from None
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputError(
            f"Tickets file {path} is not a readable CSV ({str(exc).strip()}); check quoting and delimiters."
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise InputError(f"Tickets file {path} has a header but no rows; export some tickets first.")
    return frame


def _rename_columns(frame: pd.DataFrame, mapping: dict[str, str], path: Path) -> pd.DataFrame:
    unknown = sorted(set(mapping) - set(CANONICAL_COLUMNS))
    if unknown:
        raise InputError(
            f"--columns names unknown field(s) {', '.join(unknown)}; "
            f"map one of: {', '.join(CANONICAL_COLUMNS)}."
        )
    absent = sorted(source for source in mapping.values() if source not in frame.columns)
    if absent:
        raise InputError(
            f"Column mapping refers to {', '.join(map(repr, absent))}, not found in {path}; "
            f"columns found: {', '.join(frame.columns)}."
        )
    renamed = frame.rename(columns={source: canonical for canonical, source in mapping.items()})
    missing = [c for c in REQUIRED_COLUMNS if c not in renamed.columns]
    if missing:
        raise InputError(
            f"Tickets file {path} is missing required column(s) {', '.join(missing)} "
            f"(columns found: {', '.join(frame.columns)}); rename them or map them with "
            f"--columns {missing[0]}=YOUR_COLUMN."
        )
    kept = [c for c in CANONICAL_COLUMNS if c in renamed.columns]
    result = renamed[kept].copy()
    result.insert(0, "row_number", range(2, len(result) + 2))
    for column in kept:
        result[column] = result[column].astype(str)
    for column in ("ticket_id", "category"):
        result[column] = result[column].str.strip()
    return result


def _check_duplicate_ids(frame: pd.DataFrame, path: Path) -> None:
    ids = frame.loc[frame["ticket_id"] != "", "ticket_id"]
    duplicated = ids[ids.duplicated(keep=False)]
    if not duplicated.empty:
        examples = list(dict.fromkeys(duplicated))[:5]
        raise InputError(
            f"Tickets file {path} has {duplicated.nunique()} duplicate ticket_id value(s) "
            f"(e.g. {', '.join(examples)}); each ticket needs a unique id, so de-duplicate the export."
        )


def _split_rejected(frame: pd.DataFrame, path: Path) -> Tickets:
    reasons = pd.Series("", index=frame.index)
    checks = [
        (frame["ticket_id"] == "", "empty ticket_id"),
        (frame["category"] == "", "no category"),
        (frame["customer_message"].str.strip() == "", "empty customer_message"),
        (frame["agent_reply"].str.strip() == "", "empty agent_reply"),
    ]
    for mask, reason in checks:
        reasons[mask & (reasons == "")] = reason
    if "conversation_history" in frame.columns:
        bad_history = frame["conversation_history"].map(lambda v: not _history_ok(v))
        reasons[bad_history & (reasons == "")] = "conversation_history is not a JSON list of {role, text}"
    bad = reasons != ""
    rejected = tuple(
        RejectedRow(int(row.row_number), row.ticket_id, reason)
        for row, reason in zip(frame[bad].itertuples(index=False), reasons[bad])
    )
    accepted = frame[~bad].reset_index(drop=True)
    return Tickets(frame=accepted, rejected=rejected, total_rows=len(frame), source=path)


def _history_ok(value: str) -> bool:
    if not value.strip():
        return True
    try:
        turns = json.loads(value)
    except json.JSONDecodeError:
        return False
    return isinstance(turns, list) and all(isinstance(t, dict) and "text" in t for t in turns)


def parse_history(value: str) -> list[dict[str, str]]:
    """The earlier turns of a thread as `[{role, text}]` (validated at load time)."""
    if not value or not value.strip():
        return []
    return [{"role": str(t.get("role", "")), "text": str(t.get("text", ""))} for t in json.loads(value)]
