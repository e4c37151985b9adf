"""Build the labelled statement pairs the pair model is trained on.

    python training/build_pairs.py ../shared/datasets/doc2dial training/data/pairs.jsonl

Each pair is (premise, hypothesis, label) with label entailment | neutral | contradiction, shaped
like the pairs the scorer asks about at run time: a premise of one to three KB sentences (or a
human reply) and a hypothesis of one answer sentence. Sources:

- written/*.jsonl: answers written for the purpose by language-model helpers from doc2dial articles
  (tickets outside every test conversation) and from invented help-centre passages in 26 other
  support domains. Correct paraphrases are entailed by their evidence, flawed sentences contradict
  it, invented details, unsupported additions and off-topic answers are neutral to it.
- doc2dial itself (tickets outside every test conversation): human replies are entailed by the
  gold passage they paraphrase; a KB sentence is entailed by any window that holds it (a sentence
  never contradicts itself); other sentences of the same article and of other articles are neutral;
  rule-made variants (a changed number, a flipped auxiliary) contradict.

Every pair has a `group` (the ticket or item it came from) so the held-out split never shares a
ticket with training. The test set (realistic_answers.jsonl) is never read except for its ticket
ids, to exclude their conversations.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from shadoweval.scoring.reference import unscorable_reason  # noqa: E402
from shadoweval.text import split_sentences  # noqa: E402

SEED = 20261125
HELD_OUT = 0.12  # share of groups held out to measure the model
WRITTEN = ROOT / "training" / "data" / "written"
WRITTEN_PAIRS = ROOT / "training" / "data" / "written_pairs"
# Held back for fitting the score (training/fit_score.py): never in the pair model's training.
DEV_FILES = ("doc2dial_batch4.jsonl", "doc2dial_batch5.jsonl", "general_set1.jsonl")
# Items a writer flagged as wrongly labelled (D2D-01588: the passage is cut off, so the reply and the
# "agrees" answer give advice that is probably the opposite of the real rule).
DROPPED = {"D2D-01588"}


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _pair(premise: str, hypothesis: str, label: str, source: str, group: str) -> dict:
    return {"premise": _clean(premise), "hypothesis": _clean(hypothesis), "label": label, "source": source, "group": group}


def _with_distractors(evidence: str, context_sentences: list[str], rng: random.Random) -> str:
    """The evidence, sometimes with one or two other sentences around it: at run time the premise is
    the few KB sentences closest to the answer sentence, not only the one that matters."""
    others = [s for s in context_sentences if s not in evidence and len(s.split()) >= 4]
    if not others or rng.random() < 0.4:
        return evidence
    extra = rng.sample(others, min(len(others), rng.choice((1, 1, 2))))
    parts = [evidence, *extra]
    rng.shuffle(parts)
    return " ".join(parts)


def written_pairs(rng: random.Random, context_of: dict[str, list[str]]) -> list[dict]:
    pairs: list[dict] = []
    for path in sorted(WRITTEN.glob("*.jsonl")):
        if path.name in DEV_FILES:
            continue
        for line in open(path, encoding="utf-8"):
            if not line.strip():
                continue
            item = json.loads(line)
            group = item["id"]
            context = context_of.get(group) or split_sentences(item.get("kb_passage", ""))
            evidence_good = " ".join(item.get("good_evidence") or [])
            if evidence_good:
                premise = _with_distractors(evidence_good, context, rng)
                for sentence in split_sentences(item["good"]):
                    if len(sentence.split()) >= 5:
                        pairs.append(_pair(premise, sentence, "entailment", "written:good", group))
                if item.get("unsupported_sentence"):
                    pairs.append(_pair(premise, item["unsupported_sentence"], "neutral", "written:unsupported", group))
                for sentence in split_sentences(item["off_topic"]["answer"]):
                    if len(sentence.split()) >= 5:
                        pairs.append(_pair(evidence_good, sentence, "neutral", "written:off_topic", group))
            for flaw in ("contradict", "wrong_detail"):
                entry = item.get(flaw) or {}
                if not entry.get("evidence") or not entry.get("flawed_sentence"):
                    continue
                premise = _with_distractors(entry["evidence"], context, rng)
                invented = flaw == "wrong_detail" and bool(entry.get("invented"))
                pairs.append(_pair(premise, entry["flawed_sentence"], "neutral" if invented else "contradiction", f"written:{flaw}", group))
                if entry.get("correct_sentence"):
                    pairs.append(_pair(premise, entry["correct_sentence"], "entailment", f"written:{flaw}_corrected", group))
                    # The flawed sentence against its own corrected form: the same point, opposite content.
                    if not invented:
                        pairs.append(_pair(entry["correct_sentence"], entry["flawed_sentence"], "contradiction", f"written:{flaw}_vs_correct", group))
    return pairs


def statement_pairs() -> list[dict]:
    """Helper-written statements about one passage (a paraphrase, a contradiction, a changed detail,
    a neutral sentence), and answers that agree with, contradict or sidestep a human reply."""
    labels = {"paraphrase": "entailment", "paraphrase2": "entailment", "contradiction": "contradiction",
              "changed_detail": "contradiction", "neutral": "neutral"}
    pairs = []
    for path in sorted(WRITTEN_PAIRS.glob("*.jsonl")):
        for line in open(path, encoding="utf-8"):
            if not line.strip():
                continue
            item = json.loads(line)
            if item["id"] in DROPPED:
                continue
            if "agent_reply" in item:  # dialogue items: the whole AI answer read against the human's reply
                for key, label in (("agrees", "entailment"), ("contradicts", "contradiction"), ("sidesteps", "neutral")):
                    if item.get(key):
                        pairs.append(_pair(item[key], item["agent_reply"], label, f"dialogue:{key}", item["id"]))
                continue
            for key, label in labels.items():
                if item.get(key):
                    pairs.append(_pair(item["premise"], item[key], label, f"statements:{key}", item["id"]))
            if item.get("paraphrase") and item.get("changed_detail"):
                pairs.append(_pair(item["paraphrase"], item["changed_detail"], "contradiction", "statements:paraphrase_vs_changed", item["id"]))
    return pairs


# -- rule-made variants from doc2dial -------------------------------------------------------------
_NUMBER = re.compile(r"(?<![\w.,$])(\d[\d,]*(?:\.\d+)?)(?![\w])")
_AUX = re.compile(r"\b(is|are|was|were|will|can|should|must|do|does|did|has|have)\b(\s+not\b)?", re.IGNORECASE)


def change_number(text: str, rng: random.Random) -> str | None:
    matches = list(_NUMBER.finditer(text))
    if not matches:
        return None
    m = rng.choice(matches)
    value = float(m.group(1).replace(",", ""))
    new = value + rng.choice((1, 2, 5, 10, 30)) if value < 1000 else value + 1000
    new_text = str(int(new)) if new == int(new) else f"{new:.2f}"
    return text[: m.start(1)] + new_text + text[m.end(1) :]


def flip_auxiliary(text: str) -> str | None:
    m = _AUX.search(text)
    if not m:
        return None
    if m.group(2):
        return text[: m.end(1)] + text[m.end(2) :]
    word = m.group(1)
    return text[: m.start(1)] + ("cannot" if word.lower() == "can" else f"{word} not") + text[m.end(1) :]


# Word swaps that reverse a claim without a "not" (each direction is used).
_ANTONYM_PAIRS = [
    ("required", "optional"), ("must", "do not have to"), ("can", "cannot"), ("before", "after"), ("eligible", "ineligible"),
    ("increase", "reduce"), ("always", "never"), ("automatically", "only if you apply"),
    ("allowed", "not allowed"), ("online", "only in person"), ("may", "may not"),
    ("approved", "denied"), ("earliest", "latest"), ("minimum", "maximum"),
    ("at least", "at most"), ("within", "after"), ("taxable", "tax-free"), ("accept", "reject"),
]
_ANTONYM_RE = [(re.compile(rf"\b{re.escape(a)}\b", re.IGNORECASE), b) for a, b in _ANTONYM_PAIRS] + [
    (re.compile(rf"\b{re.escape(b)}\b", re.IGNORECASE), a) for a, b in _ANTONYM_PAIRS
]


def swap_antonym(text: str, rng: random.Random) -> str | None:
    """Replace one claim-bearing word by its opposite ("required" -> "optional")."""
    options = [(m, b) for pattern, b in _ANTONYM_RE for m in pattern.finditer(text)]
    if not options:
        return None
    m, replacement = rng.choice(options)
    return text[: m.start()] + replacement + text[m.end() :]


def doc2dial_pairs(dataset: Path, rng: random.Random) -> tuple[list[dict], dict[str, list[str]]]:
    frame = pd.read_csv(dataset / "tickets.csv", dtype=str, keep_default_na=False)
    test_ids = {json.loads(line)["ticket_id"] for line in open(dataset / "realistic_answers.jsonl")}
    test_conversations = set(frame[frame.ticket_id.isin(test_ids)].conversation_id)
    test_passages = {_clean(p) for p in frame[frame.ticket_id.isin(test_ids)].gold_grounding}
    dev_ids = {json.loads(line)["id"] for name in DEV_FILES if (WRITTEN / name).exists() for line in open(WRITTEN / name)}
    test_conversations |= set(frame[frame.ticket_id.isin(dev_ids)].conversation_id)  # dev tickets stay unseen too
    article_sentences = {
        path.name: [s for s in split_sentences(path.read_text(encoding="utf-8")) if not s.startswith("#") and len(s.split()) >= 4]
        for path in sorted((dataset / "kb").glob("*.md"))
    }
    names = sorted(article_sentences)
    context_of = {row.ticket_id: article_sentences.get(row.gold_kb_article, []) for row in frame.itertuples()}
    pairs: list[dict] = []
    usable = frame[~frame.conversation_id.isin(test_conversations)]
    for row in usable.itertuples():
        passage, reply = _clean(row.gold_grounding), _clean(row.agent_reply)
        if len(passage.split()) < 5 or passage in test_passages or unscorable_reason(reply):
            continue
        group = row.ticket_id
        sentences = article_sentences.get(row.gold_kb_article, [])
        if len(reply.split()) >= 5:
            pairs.append(_pair(_with_distractors(passage, sentences, rng), reply, "entailment", "doc2dial:human_reply", group))
        roll = rng.random()
        if roll < 0.30:  # a sentence of the window is entailed by it: a sentence never contradicts itself
            inside = [s for s in sentences if s in passage or passage in s] or [passage]
            window = _with_distractors(rng.choice(inside), sentences, rng)
            pairs.append(_pair(window, rng.choice(inside), "entailment", "doc2dial:self", group))
        else:  # rule-made contradictions of a sentence the passage states (the reply may say other things)
            stated = rng.choice(split_sentences(passage))
            if roll < 0.45:
                made, source = change_number(stated, rng), "doc2dial:number_changed"
            elif roll < 0.55:
                made, source = flip_auxiliary(stated), "doc2dial:negated"
            else:
                made, source = swap_antonym(stated, rng), "doc2dial:antonym"
            if made and made != stated and len(stated.split()) >= 5:
                pairs.append(_pair(_with_distractors(passage, sentences, rng), made, "contradiction", source, group))
        others = [s for s in sentences if s not in passage and passage not in s and len(s.split()) >= 6]
        if others:
            pairs.append(_pair(passage, rng.choice(others), "neutral", "doc2dial:same_article", group))
        if rng.random() < 0.5:
            other = article_sentences[rng.choice(names)]
            if other:
                pairs.append(_pair(passage, rng.choice(other), "neutral", "doc2dial:other_article", group))
    return pairs, context_of


def main() -> None:
    dataset, out = Path(sys.argv[1]), Path(sys.argv[2])
    rng = random.Random(SEED)
    pairs, context_of = doc2dial_pairs(dataset, rng)
    pairs += written_pairs(rng, context_of)
    pairs += statement_pairs()
    pairs = [p for p in pairs if p["premise"] and p["hypothesis"]]
    groups = sorted({p["group"] for p in pairs})
    held = set(random.Random(SEED + 1).sample(groups, int(len(groups) * HELD_OUT)))
    for p in pairs:
        p["split"] = "held_out" if p["group"] in held else "train"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as handle:
        for p in pairs:
            handle.write(json.dumps(p, ensure_ascii=False) + "\n")
    table = pd.DataFrame(pairs)
    print(table.groupby(["source", "label"]).size().to_string())
    print(table.groupby(["split", "label"]).size().to_string())


if __name__ == "__main__":
    main()
