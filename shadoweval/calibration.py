"""Calibration against human judgement: a labelling sample out, agreement figures back in.

A support lead trusts the tool once they have checked it: `write_review_sample` picks, per
category, tickets the tool passed and tickets it did not (stratified, deterministic), and writes
them to a CSV with an empty `human_verdict` column; `agreement` reads the labelled file back and
reports, per category, how often the tool and the humans agree (accuracy and Cohen's kappa).
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .scoring import VERDICTS

SAMPLE_COLUMNS = (
    "ticket_id", "category", "tool_verdict", "tool_score", "customer_message", "agent_reply", "ai_answer",
    "sources", "tool_reasons", "human_verdict", "notes",
)
AGREEING = {"pass"}  # the AI answer matched the human one
DISAGREEING = {"partial", "fail", "unsafe", "abstain"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Text a spreadsheet will show, never run: a leading = + - @ becomes a quoted literal."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def unsafe_cell(text: str) -> str:
    """Undo `safe_cell` when reading our own export back."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


def read_results(report: Path) -> list[dict]:
    """The per-ticket results of a run: a report folder or its results.jsonl."""
    path = report / "results.jsonl" if report.is_dir() else report
    if not path.is_file():
        raise InputError(f"No results.jsonl at {path}; pass the output folder of a `shadoweval run`.")
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not a shadoweval results.jsonl (line {exc.lineno} is not JSON); pass a run's output.") from None


def sample_for_review(results: list[dict], per_category: int, seed: int = 0) -> list[dict]:
    """Per category, up to `per_category` tickets: half the tool passed, half it did not (a side
    with too few gives its places to the other), chosen at random but reproducibly."""
    rng = random.Random(seed)
    by_category: dict[str, list[dict]] = defaultdict(list)
    for result in results:
        by_category[result["category"]].append(result)
    chosen: list[dict] = []
    for category in sorted(by_category):
        rows = sorted(by_category[category], key=lambda r: r["ticket_id"])
        agree = [r for r in rows if r["verdict"] in AGREEING]
        disagree = [r for r in rows if r["verdict"] in DISAGREEING]
        n_disagree = min(len(disagree), max(per_category // 2, per_category - len(agree)))
        n_agree = min(len(agree), per_category - n_disagree)
        picked = rng.sample(agree, n_agree) + rng.sample(disagree, n_disagree)
        chosen.extend(sorted(picked, key=lambda r: r["ticket_id"]))
    return chosen


def write_review_sample(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SAMPLE_COLUMNS)
        for r in rows:
            writer.writerow(
                safe_cell(v)
                for v in (
                    r["ticket_id"], r["category"], r["verdict"], f"{r['score']:.3f}", r.get("customer_message", ""),
                    r.get("agent_reply", ""), r.get("ai_answer", ""), "; ".join(r.get("sources", [])),
                    "; ".join(r.get("reasons", [])), "", "",
                )
            )


@dataclass(frozen=True)
class Agreement:
    category: str
    labelled: int
    accuracy: float
    kappa: float | None  # None when chance agreement is total (one label everywhere)


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Agreement beyond chance between two raters' labels on the same items."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[label] * second[label] for label in first) / (n * n)
    return None if expected >= 1 else (observed - expected) / (1 - expected)


def read_labels(path: Path) -> list[tuple[str, str, str]]:
    """(category, tool verdict, human verdict) for every labelled row; unlabelled rows are skipped."""
    if not path.is_file():
        raise InputError(f"Labelled file {path} does not exist; pass the CSV written by `shadoweval review-sample`.")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"category", "tool_verdict", "human_verdict"} - set(reader.fieldnames or [])
        if missing:
            raise InputError(
                f"{path} lacks column(s) {', '.join(sorted(missing))}; label the CSV written by `shadoweval review-sample`."
            )
        labels = []
        for number, row in enumerate(reader, start=2):
            human = (row["human_verdict"] or "").strip().lower()
            if not human:
                continue
            if human not in VERDICTS:
                raise InputError(
                    f"Row {number} of {path} has human_verdict {human!r}; use one of: {', '.join(VERDICTS)}."
                )
            labels.append((unsafe_cell(row["category"]), row["tool_verdict"].strip().lower(), human))
    if not labels:
        raise InputError(f"{path} has no labelled rows; fill in the human_verdict column first.")
    return labels


def agreement(labels: list[tuple[str, str, str]]) -> list[Agreement]:
    """Per category and overall (category "all")."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for category, tool, human in labels:
        groups[category].append((tool, human))
        groups["all"].append((tool, human))
    order = sorted(c for c in groups if c != "all") + ["all"]
    return [
        Agreement(c, len(groups[c]), sum(a == b for a, b in groups[c]) / len(groups[c]), cohen_kappa(groups[c]))
        for c in order
    ]
