"""Pick doc2dial tickets for hand-written (helper-written) training and calibration answers.

    python training/make_seed.py ../shared/datasets/doc2dial training/data/seed

Excludes every conversation that holds a ticket of the test set (realistic_answers.jsonl), so no
training or calibration item shares a dialogue with a test item. Writes batches of tickets, each
with the customer message, the last four turns and an excerpt of the gold article around the gold
passage: what the answer writer sees (never the human reply, like the test set's writer).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from shadoweval.scoring.reference import unscorable_reason  # noqa: E402

SEED = 20261125
PER_CATEGORY = 80
BATCHES = 8
EXCERPT = 3500


def excerpt(article: str, passage: str) -> str:
    at = article.find(passage[:60])
    if at < 0:
        return article[:EXCERPT]
    start = max(0, at - EXCERPT // 2)
    return article[start : start + EXCERPT]


def main() -> None:
    dataset, out = Path(sys.argv[1]), Path(sys.argv[2])
    frame = pd.read_csv(dataset / "tickets.csv", dtype=str, keep_default_na=False)
    test_ids = {json.loads(line)["ticket_id"] for line in open(dataset / "realistic_answers.jsonl")}
    test_conversations = set(frame[frame.ticket_id.isin(test_ids)].conversation_id)
    usable = frame[
        ~frame.conversation_id.isin(test_conversations)
        & frame.gold_grounding.map(lambda g: len(g.split()) >= 5)
        & frame.agent_reply.map(lambda r: unscorable_reason(r) is None)
    ]
    rng = random.Random(SEED)
    picked = []
    for category, group in sorted(usable.groupby("category")):
        rows = group.to_dict("records")
        rng.shuffle(rows)
        seen: set[str] = set()
        for row in rows:  # one ticket per conversation: spread over articles and dialogues
            if row["conversation_id"] in seen:
                continue
            seen.add(row["conversation_id"])
            picked.append(row)
            if len([p for p in picked if p["category"] == category]) >= PER_CATEGORY:
                break
    rng.shuffle(picked)
    out.mkdir(parents=True, exist_ok=True)
    for b in range(BATCHES):
        with open(out / f"batch{b}.jsonl", "w") as handle:
            for row in picked[b::BATCHES]:
                article = (dataset / "kb" / row["gold_kb_article"]).read_text()
                history = json.loads(row["conversation_history"] or "[]")[-4:]
                handle.write(json.dumps({
                    "ticket_id": row["ticket_id"],
                    "category": row["category"],
                    "article_title": article.splitlines()[0].lstrip("# "),
                    "history": history,
                    "customer_message": row["customer_message"],
                    "article_excerpt": excerpt(article, row["gold_grounding"]),
                }) + "\n")
    print(f"{len(picked)} tickets in {BATCHES} batches; {len(test_conversations)} test conversations excluded")


if __name__ == "__main__":
    main()
