"""Pick doc2dial tickets (human reply + gold passage) for helpers to write answers that agree with,
contradict, or sidestep the human reply: the pair model's "answer -> human sentence" reads.

    python training/make_dialogue_seed.py ../shared/datasets/doc2dial training/data/seed

Excludes the test set's conversations and the dev tickets held back for fitting the score.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from shadoweval.scoring.reference import unscorable_reason  # noqa: E402

DEV_FILES = ("doc2dial_batch4.jsonl", "doc2dial_batch5.jsonl")
WRITTEN = Path(__file__).resolve().parent / "data" / "written"


def main() -> None:
    dataset, out = Path(sys.argv[1]), Path(sys.argv[2])
    frame = pd.read_csv(dataset / "tickets.csv", dtype=str, keep_default_na=False)
    test = {json.loads(line)["ticket_id"] for line in open(dataset / "realistic_answers.jsonl")}
    dev = {json.loads(line)["id"] for name in DEV_FILES for line in open(WRITTEN / name)}
    excluded = set(frame[frame.ticket_id.isin(test | dev)].conversation_id)
    usable = frame[
        ~frame.conversation_id.isin(excluded)
        & frame.agent_reply.map(lambda r: unscorable_reason(r) is None and len(r.split()) >= 8)
        & frame.gold_grounding.map(lambda g: len(g.split()) >= 6)
    ]
    rows = usable.sample(n=180, random_state=7)
    for i in range(3):
        with open(out / f"dialogue{i}.jsonl", "w", encoding="utf-8") as handle:
            for r in rows.iloc[i * 60 : (i + 1) * 60].itertuples():
                handle.write(json.dumps({"id": r.ticket_id, "customer_message": r.customer_message,
                                         "agent_reply": r.agent_reply, "kb_passage": r.gold_grounding}) + "\n")
    print(f"{len(usable)} usable tickets; wrote 3 files of 60")


if __name__ == "__main__":
    main()
