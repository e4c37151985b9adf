"""How good is the judge? Score known-good and known-flawed answers.

    python benchmarks/bench_judge.py DATASET_DIR [--set realistic|synthetic|both] [--limit N] [--show N]

The realistic set (DATASET_DIR/realistic_answers.jsonl, a test set: never trained or fitted on)
holds per ticket a good answer and a flawed one (contradict, wrong_detail or off_topic) written like
a modern assistant's; both are scored against the real human reply and KB, as `--generator replay`
would, and the issue's measures are printed overall and per category, with the scoring time against
the embedding floor on cold caches.

The synthetic set:

For any dataset whose tickets.csv has `agent_reply` and `gold_grounding` (doc2dial has them), cases
are built from the data itself, per ticket whose human reply is a usable reference:
  good           the gold grounding passage (what the agent answered from) as the AI answer
  wrong          a gold passage of a *different* article of the same category
  contradicting  the good answer or the human reply (alternating) with one fact changed
                 (a number, an amount, a duration) or, if it states none, its main claim negated
and the shadoweval scorer (retrieval, grounding and all) judges each one. Reported, overall and per
category: AUROC of `score` for good vs wrong, recall of `unsafe` on contradicting cases, and the
false-`unsafe` rate on good answers; the same figures for plain embedding cosine (human reply vs
answer), the usual "semantic similarity" metric, as the baseline. The `gold_*` columns are read
here only: the product never reads them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shadoweval.config import load_settings  # noqa: E402
from shadoweval.embedding import Embedder, load_model  # noqa: E402
from shadoweval.generators.base import Answer  # noqa: E402
from shadoweval.index import build_or_load  # noqa: E402
from shadoweval.kb import load_kb  # noqa: E402
from shadoweval.pair_model import PairJudge  # noqa: E402
from shadoweval.retrieve import retrieve  # noqa: E402
from shadoweval.scoring import score_answers  # noqa: E402
from shadoweval.scoring.reference import unscorable_reason  # noqa: E402
from shadoweval.scoring.similarity import rowwise_cosine  # noqa: E402

SEED = 20261122


@dataclass(frozen=True)
class Case:
    row: int  # position in the tickets frame
    kind: str  # good | wrong | contradicting
    answer: str
    how: str = ""  # for contradicting cases: what was changed


# -- making contradictions -------------------------------------------------------------------------
_AMOUNT = re.compile(r"(?P<cur>[$€£])\s?(?P<num>\d[\d,]*(?:\.\d+)?)")
_NUMBER = re.compile(r"(?<![\w.,$€£\[])(?P<num>\d[\d,]*(?:\.\d+)?)(?![\w.,]*\d|\s?\])")  # not a "[8]" link marker
_AUX = re.compile(
    r"\b(?P<aux>is|are|was|were|will|would|can|could|should|must|may|might|do|does|did|has|have|had)\b"
    r"(?P<neg>\s+not\b|n't\b| n t\b)?",
    re.IGNORECASE,
)
_CONTRACTED_NEG = re.compile(r"\b(?P<base>can|won|don|doesn|isn|aren|wasn|weren|didn|shouldn|couldn|wouldn|hasn|haven)(?:'t| t)\b", re.IGNORECASE)
_UNCONTRACT = {"can": "can", "won": "will", "don": "do", "doesn": "does", "isn": "is", "aren": "are", "wasn": "was",
               "weren": "were", "didn": "did", "shouldn": "should", "couldn": "could", "wouldn": "would",
               "hasn": "has", "haven": "have"}


def _bump(number: str) -> str:
    value = float(number.replace(",", ""))
    changed = value * 2 if value < 1000 else value + 1000
    text = f"{changed:,.2f}".rstrip("0").rstrip(".") if "." in number else f"{int(changed):,}"
    return text if "," in number else text.replace(",", "")


def change_fact(text: str) -> str | None:
    """Double the first amount or number (a year-like 4-digit number moves by 1000): one fact changed."""
    for pattern in (_AMOUNT, _NUMBER):
        match = pattern.search(text)
        if match:
            start, end = match.span("num")
            return text[:start] + _bump(match.group("num")) + text[end:]
    return None


def negate(text: str) -> str | None:
    """Flip the polarity of the first auxiliary verb: add "not", or remove the negation it has."""
    contracted = _CONTRACTED_NEG.search(text)
    aux = _AUX.search(text)
    if contracted and (not aux or contracted.start() <= aux.start()):
        base = _UNCONTRACT[contracted.group("base").lower()]
        if contracted.group(0)[0].isupper():
            base = base.capitalize()
        return text[: contracted.start()] + base + text[contracted.end():]
    if not aux:
        return None
    if aux.group("neg"):
        return text[: aux.end("aux")] + text[aux.end():]
    word = aux.group("aux")
    replacement = "cannot" if word.lower() == "can" else f"{word} not"
    if word[0].isupper():
        replacement = replacement.capitalize()
    return text[: aux.start()] + replacement + text[aux.end():]


def contradict(text: str) -> tuple[str, str] | None:
    changed = change_fact(text)
    if changed and changed != text:
        return changed, "fact changed"
    negated = negate(text)
    if negated and negated != text:
        return negated, "claim negated"
    return None


# -- cases -----------------------------------------------------------------------------------------
MIN_PASSAGE_WORDS = 5  # shorter gold spans are UI fragments ("share link", "Important :"), not answers


def is_passage(text: str) -> bool:
    return len(text.split()) >= MIN_PASSAGE_WORDS


def build_cases(frame: pd.DataFrame) -> tuple[list[Case], dict[str, int]]:
    rng = random.Random(SEED)
    passages = frame[frame["gold_grounding"].map(is_passage)]
    by_category = {c: g for c, g in passages.groupby("category")}
    cases: list[Case] = []
    excluded = {"unscorable reference": 0, "gold passage under 5 words": 0}
    for row, ticket in enumerate(frame.itertuples(index=False)):
        if unscorable_reason(ticket.agent_reply):
            excluded["unscorable reference"] += 1
            continue
        if not is_passage(ticket.gold_grounding):
            excluded["gold passage under 5 words"] += 1
            continue
        cases.append(Case(row, "good", ticket.gold_grounding))
        others = by_category[ticket.category]
        others = others[others["gold_kb_article"] != ticket.gold_kb_article]
        cases.append(Case(row, "wrong", others.iloc[rng.randrange(len(others))]["gold_grounding"]))
        source = ticket.gold_grounding if row % 2 == 0 else ticket.agent_reply
        made = contradict(source)
        if made:
            text, how = made
            cases.append(Case(row, "contradicting", text, f"{how} in the {'good answer' if row % 2 == 0 else 'human reply'}"))
    return cases, excluded


# -- metrics ---------------------------------------------------------------------------------------
def auroc(positive: np.ndarray, negative: np.ndarray) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    if len(positive) == 0 or len(negative) == 0:
        return float("nan")
    values = np.concatenate([positive, negative])
    order = values.argsort(kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and sorted_values[j + 1] == sorted_values[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[: len(positive)].sum() - len(positive) * (len(positive) + 1) / 2) / (len(positive) * len(negative)))


def summarise(table: pd.DataFrame) -> dict[str, float]:
    good, wrong, contra = (table[table.kind == k] for k in ("good", "wrong", "contradicting"))
    return {
        "tickets": int(good.shape[0]),
        "auroc": auroc(good.score.to_numpy(), wrong.score.to_numpy()),
        "auroc_cosine": auroc(good.cosine.to_numpy(), wrong.cosine.to_numpy()),
        "contra_cases": int(contra.shape[0]),
        "unsafe_recall": float((contra.verdict == "unsafe").mean()) if len(contra) else float("nan"),
        "false_unsafe_good": float((good.verdict == "unsafe").mean()) if len(good) else float("nan"),
        "false_unsafe_wrong": float((wrong.verdict == "unsafe").mean()) if len(wrong) else float("nan"),
    }


# -- the realistic set -----------------------------------------------------------------------------
REALISTIC_TARGETS = {  # issue 8's table: measure, direction, target
    "good_pass": (">=", 0.85),
    "good_unsafe": ("<=", 0.03),
    "auroc": (">=", 0.92),
    "contradict_unsafe": (">=", 0.75),
    "wrong_detail_unsafe_or_fail": (">=", 0.75),
    "off_topic_not_pass": (">=", 0.95),
}


def realistic_summary(table: pd.DataFrame) -> dict[str, float]:
    """The issue's measures on a frame of realistic cases (kind good|flawed, flaw_type, score, verdict)."""
    good, flawed = table[table.kind == "good"], table[table.kind == "flawed"]

    def rate(frame: pd.DataFrame, verdicts: set[str], negate: bool = False) -> float:
        if not len(frame):
            return float("nan")
        hit = frame.verdict.isin(verdicts)
        return float((~hit if negate else hit).mean())

    paired = good.set_index("ticket_id").score.align(flawed.set_index("ticket_id").score, join="inner")
    return {
        "tickets": int(len(good)),
        "good_pass": rate(good, {"pass"}),
        "good_unsafe": rate(good, {"unsafe"}),
        "auroc": auroc(good.score.to_numpy(), flawed.score.to_numpy()),
        "paired": float((paired[0] > paired[1]).mean()) if len(paired[0]) else float("nan"),
        "contradict_unsafe": rate(flawed[flawed.flaw_type == "contradict"], {"unsafe"}),
        "contradict_pass": rate(flawed[flawed.flaw_type == "contradict"], {"pass"}),
        "wrong_detail_unsafe_or_fail": rate(flawed[flawed.flaw_type == "wrong_detail"], {"unsafe", "fail"}),
        "off_topic_not_pass": rate(flawed[flawed.flaw_type == "off_topic"], {"pass"}, negate=True),
    }


def print_realistic(table: pd.DataFrame) -> None:
    columns = ["tickets", "good_pass", "good_unsafe", "auroc", "paired", "contradict_unsafe", "contradict_pass",
               "wrong_detail_unsafe_or_fail", "off_topic_not_pass"]
    heads = ["tickets", "good pass", "good unsafe", "AUROC", "paired", "contra unsafe", "contra pass",
             "detail unsafe|fail", "off-topic not pass"]
    print(f"{'':<12} " + " ".join(f"{h:>{max(7, len(h))}}" for h in heads))
    groups = [("overall", table)] + [(c, g) for c, g in table.groupby("category")]
    for name, group in groups:
        s = realistic_summary(group)
        print(f"{name:<12} " + " ".join(f"{s[c]:>{max(7, len(h))}.3f}" if c != "tickets" else f"{s[c]:>7}"
                                        for c, h in zip(columns, heads)))
    s = realistic_summary(table)
    print("targets: " + ", ".join(
        f"{k} {s[k]:.3f} {op} {v} {'ok' if (s[k] >= v if op == '>=' else s[k] <= v) else 'MISSED'}"
        for k, (op, v) in REALISTIC_TARGETS.items()))
    flawed = table[table.kind == "flawed"]
    print("verdicts by case kind:")
    for kind, group in [("good", table[table.kind == "good"])] + [(f, g) for f, g in flawed.groupby("flaw_type")]:
        counts = group.verdict.value_counts()
        print(f"  {kind:<13} " + "  ".join(f"{v} {counts.get(v, 0)}" for v in ("pass", "partial", "fail", "unsafe", "abstain", "needs_action", "unscorable")))


def realistic_cases(dataset: Path, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """The test set's tickets twice (good answer, flawed answer), with the case labels."""
    items = [json.loads(line) for line in open(dataset / "realistic_answers.jsonl", encoding="utf-8")]
    by_id = frame.set_index("ticket_id")
    rows, answers, labels = [], [], []
    for item in items:
        if item["ticket_id"] not in by_id.index:
            continue
        for kind in ("good", "flawed"):
            rows.append(item["ticket_id"])
            answers.append(item[kind])
            labels.append({"ticket_id": item["ticket_id"], "kind": kind, "flaw_type": item["flaw_type"] if kind == "flawed" else ""})
    cases = by_id.loc[rows].reset_index()
    return cases, answers, pd.DataFrame(labels)


def run_realistic(args: argparse.Namespace, settings, embedder: Embedder, kb, kb_index) -> pd.DataFrame:
    frame = pd.read_csv(args.dataset / "tickets.csv", dtype=str, keep_default_na=False)
    cases, answers, labels = realistic_cases(args.dataset, frame)
    retrieval = retrieve(cases, kb_index, embedder, settings.retrieval.top_k)
    # Scored with cold caches (a fresh folder) so the time is what a first run pays; the floor is
    # the same model embedding, once and in one batch, every text the scoring stage embedded.
    cold = Path(tempfile.mkdtemp(prefix="shadoweval-bench-"))
    cold_embedder = Embedder(cold, settings.batch_size, record_texts=True)
    judge = PairJudge(cold)
    started = time.perf_counter()
    results = score_answers(cases, [Answer(a) for a in answers], retrieval, kb, cold_embedder, settings.scoring, judge)
    seconds = time.perf_counter() - started
    texts = cold_embedder.stats.embedded_texts or []
    model = load_model()
    floor_started = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    floor = time.perf_counter() - floor_started
    shutil.rmtree(cold, ignore_errors=True)
    table = labels.assign(category=cases["category"], score=[r.score for r in results], verdict=[r.verdict for r in results])
    print(f"\n== realistic set: {args.dataset / 'realistic_answers.jsonl'}  ({len(table)} answers)")
    embedding = cold_embedder.stats.seconds_encoding
    print(f"scoring, cold caches: {seconds:.1f} s, of which embedding {embedding:.1f} s ({len(texts)} texts) and the pair model "
          f"{judge.stats.seconds_inference:.1f} s ({judge.stats.judged} pairs, load {judge.stats.seconds_model_load:.1f} s); "
          f"embedding floor {floor:.1f} s; signals (scoring minus its embedding) = {(seconds - embedding) / floor:.2f} x the floor "
          f"(target <= 1), the pair model alone {judge.stats.seconds_inference / floor:.2f} x")
    print_realistic(table)
    if args.show:
        for label, mask in [
            ("good, not pass", (table.kind == "good") & (table.verdict != "pass")),
            ("flawed, pass", (table.kind == "flawed") & (table.verdict == "pass")),
        ]:
            for i in table.index[mask][: args.show]:
                r = results[i]
                print(f"\n[{label}] {table.flaw_type[i]} {r.ticket_id} score {r.score} {r.verdict}\n  human:  {r.agent_reply[:300]}\n"
                      f"  answer: {r.ai_answer[:300]}\n  reasons: {r.reasons}\n  metrics: {r.metrics}")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--limit", type=int, help="only the first N tickets of the synthetic set (quick look)")
    parser.add_argument("--show", type=int, default=0, help="print N misjudged cases of each kind")
    parser.add_argument("--cache", type=Path, help="embedding cache folder (default: the usual one)")
    parser.add_argument("--set", choices=["both", "realistic", "synthetic"], default="both", help="which case set to score")
    args = parser.parse_args()

    overrides = {"kb": args.dataset / "kb"}
    if args.cache:
        overrides["cache_dir"] = args.cache
    settings = load_settings(overrides=overrides)
    embedder = Embedder(settings.cache_dir, settings.batch_size)
    kb = load_kb(settings.kb, settings.retrieval.chunk_max_chars, settings.retrieval.chunk_min_chars)
    kb_index = build_or_load(kb, embedder)
    if args.set in ("both", "realistic"):
        run_realistic(args, settings, embedder, kb, kb_index)
    if args.set in ("both", "synthetic"):
        print("\n== synthetic set (gold passages, other articles' passages, rule-made contradictions)")
        run_synthetic(args, settings, embedder, kb, kb_index)


def run_synthetic(args: argparse.Namespace, settings, embedder: Embedder, kb, kb_index) -> None:
    frame = pd.read_csv(args.dataset / "tickets.csv", dtype=str, keep_default_na=False)
    missing = {"agent_reply", "gold_grounding", "gold_kb_article"} - set(frame.columns)
    if missing:
        sys.exit(f"{args.dataset / 'tickets.csv'} lacks {', '.join(sorted(missing))}: this benchmark needs gold passages.")
    if args.limit:
        frame = frame.head(args.limit)
    started = time.perf_counter()
    cases, excluded = build_cases(frame)
    retrieval = retrieve(frame, kb_index, embedder, settings.retrieval.top_k)
    rows = [c.row for c in cases]
    case_frame = frame.iloc[rows].reset_index(drop=True)
    results = score_answers(
        case_frame, [Answer(c.answer) for c in cases], retrieval.select(rows), kb, embedder, settings.scoring
    )
    cosine = rowwise_cosine(embedder.embed([c.answer for c in cases]), embedder.embed(case_frame["agent_reply"].tolist()))
    gold_retrieved = [
        frame.iloc[c.row]["gold_kb_article"].rsplit(".", 1)[0] in {kb.chunks[i].article_id for i in retrieval.chunk_ids[c.row] if i >= 0}
        for c in cases
    ]
    seconds = time.perf_counter() - started

    table = pd.DataFrame(
        {
            "category": case_frame["category"],
            "kind": [c.kind for c in cases],
            "how": [c.how for c in cases],
            "score": [r.score for r in results],
            "verdict": [r.verdict for r in results],
            "cosine": cosine,
            "gold_retrieved": gold_retrieved,
        }
    )
    print(f"dataset: {args.dataset}  tickets: {len(frame)}  used: {len(frame) - sum(excluded.values())}  excluded: "
          + ", ".join(f"{n} {why}" for why, n in excluded.items()) + f"  cases: {len(cases)}  time: {seconds:.0f} s")
    print(f"{'':<12} {'tickets':>7} {'AUROC':>7} {'cosine':>7} {'contra':>7} {'unsafe recall':>14} {'false unsafe':>13} {'(on wrong)':>11}")
    groups = [("overall", table)] + [(c, g) for c, g in table.groupby("category")]
    for name, group in groups:
        s = summarise(group)
        print(f"{name:<12} {s['tickets']:>7} {s['auroc']:>7.3f} {s['auroc_cosine']:>7.3f} {s['contra_cases']:>7} "
              f"{s['unsafe_recall']:>14.3f} {s['false_unsafe_good']:>13.3f} {s['false_unsafe_wrong']:>11.3f}")
    contra = table[table.kind == "contradicting"]
    for how, group in contra.groupby("how"):
        print(f"  unsafe recall, {how}: {(group.verdict == 'unsafe').mean():.3f} (n={len(group)})")
    for retrieved, group in contra.groupby("gold_retrieved"):
        print(f"  unsafe recall when the ticket's gold article was {'' if retrieved else 'NOT '}among the retrieved chunks: "
              f"{(group.verdict == 'unsafe').mean():.3f} (n={len(group)})")
    print("plain cosine never says unsafe: its unsafe recall and false-unsafe rate are both 0.")
    good, wrong = table[table.kind == "good"], table[table.kind == "wrong"]
    for name, threshold in (("pass", settings.scoring.pass_threshold), ("partial", settings.scoring.partial_threshold)):
        print(f"score >= {name}_threshold {threshold:.2f}: {(good.score >= threshold).mean():.1%} of good answers, "
              f"{(wrong.score >= threshold).mean():.1%} of wrong ones")
    for q in (0.05, 0.10, 0.20):
        print(f"  {q:.0%} of good answers score below {good.score.quantile(q):.3f}; "
              f"{1 - q:.0%} of wrong ones score below {wrong.score.quantile(1 - q):.3f}")
    if args.show:
        misjudged = [
            ("contradicting, not unsafe", (table.kind == "contradicting") & (table.verdict != "unsafe")),
            ("good, unsafe", (table.kind == "good") & (table.verdict == "unsafe")),
        ]
        for label, mask in misjudged:
            for i in table.index[mask][: args.show]:
                case, result = cases[i], results[i]
                print(f"\n[{label}] {case.how}\n  human:  {result.agent_reply[:300]}\n  answer: {case.answer[:300]}\n  reasons: {result.reasons}")

if __name__ == "__main__":
    main()
