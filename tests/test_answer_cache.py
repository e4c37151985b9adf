"""The answer cache: what a key covers, and that a killed process keeps every committed reply."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from shadoweval.answer_cache import AnswerCache, CachedReply, answer_key

MESSAGES = [{"role": "system", "content": "rules"}, {"role": "user", "content": "How long does shipping take?"}]
PARAMS = {"temperature": 0.0, "max_tokens": 64}


def test_key_changes_with_everything_that_changes_the_reply() -> None:
    base = answer_key("http://h/v1", "m", MESSAGES, "kb1", PARAMS)
    assert base == answer_key("http://h/v1/", "m", [dict(m) for m in MESSAGES], "kb1", dict(PARAMS))
    assert len({
        base,
        answer_key("http://other/v1", "m", MESSAGES, "kb1", PARAMS),
        answer_key("http://h/v1", "m2", MESSAGES, "kb1", PARAMS),
        answer_key("http://h/v1", "m", MESSAGES[:1], "kb1", PARAMS),
        answer_key("http://h/v1", "m", MESSAGES, "kb2", PARAMS),
        answer_key("http://h/v1", "m", MESSAGES, "kb1", {**PARAMS, "max_tokens": 65}),
    }) == 6


def test_replies_persist_across_instances(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path)
    cache.put("k1", CachedReply("Hello [source: a]", 10, 3, "m"))
    cache.close()
    again = AnswerCache(tmp_path)
    assert again.get_many(["k1", "k2"]) == {"k1": CachedReply("Hello [source: a]", 10, 3, "m")}
    assert again.count() == 1
    again.close()


def test_a_killed_writer_loses_no_committed_reply(tmp_path: Path) -> None:
    """SIGKILL right after three puts, without close(): all three rows are there."""
    code = f"""
import os, signal, sys
sys.path.insert(0, {str(Path(__file__).parents[1])!r})
from shadoweval.answer_cache import AnswerCache, CachedReply
cache = AnswerCache({str(tmp_path)!r})
for i in range(3):
    cache.put(f"k{{i}}", CachedReply(f"answer {{i}}", 1, 1, "m"))
os.kill(os.getpid(), signal.SIGKILL)
"""
    process = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert process.returncode == -signal.SIGKILL
    cache = AnswerCache(tmp_path)
    assert sorted(cache.get_many(["k0", "k1", "k2", "k3"])) == ["k0", "k1", "k2"]
    cache.close()
