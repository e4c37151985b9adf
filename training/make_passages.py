"""Pick short doc2dial KB passages (1–3 consecutive sentences) for helpers to write statement pairs.

    python training/make_passages.py ../shared/datasets/doc2dial training/data/passages

Passages that overlap a test ticket's gold passage are skipped, so no pair restates a test item's
evidence.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from shadoweval.text import split_sentences  # noqa: E402

SEED = 20261126
PER_FILE = 60
FILES = 14


def main() -> None:
    dataset, out = Path(sys.argv[1]), Path(sys.argv[2])
    frame = pd.read_csv(dataset / "tickets.csv", dtype=str, keep_default_na=False)
    test_ids = {json.loads(line)["ticket_id"] for line in open(dataset / "realistic_answers.jsonl")}
    test_text = " ".join(frame[frame.ticket_id.isin(test_ids)].gold_grounding).lower()
    rng = random.Random(SEED)
    candidates = []
    for path in sorted((dataset / "kb").glob("*.md")):
        sentences = [s for s in split_sentences(path.read_text(encoding="utf-8")) if not s.startswith("#")]
        for i in range(0, len(sentences), 3):
            size = rng.choice((1, 2, 2, 3))
            passage = " ".join(sentences[i : i + size])
            words = passage.split()
            if not 15 <= len(words) <= 90 or not re.search(r"[a-z]{3}", passage):
                continue
            if any(s.lower()[:80] in test_text for s in sentences[i : i + size]):
                continue
            candidates.append({"article": path.name.split("__")[0], "premise": passage})
    rng.shuffle(candidates)
    out.mkdir(parents=True, exist_ok=True)
    for f in range(FILES):
        with open(out / f"passages{f}.jsonl", "w", encoding="utf-8") as handle:
            for n, item in enumerate(candidates[f * PER_FILE : (f + 1) * PER_FILE]):
                handle.write(json.dumps({"id": f"P{f}-{n:02d}", **item}) + "\n")
    print(f"{len(candidates)} candidate passages; wrote {FILES} files of {PER_FILE}")


if __name__ == "__main__":
    main()
