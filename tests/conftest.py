"""Shared fixtures: the tiny KB and tickets under tests/data, one embedding cache per test session.

The real packaged model and real FAISS are used throughout; sharing the cache keeps the suite fast
without mocking either.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shadoweval.config import load_settings

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, shared_cache: Path, tmp_path: Path) -> None:
    """Every test runs in an empty folder with the shared cache and no stray SHADOWEVAL_* settings."""
    import os

    for name in list(os.environ):
        if name.startswith("SHADOWEVAL_") or name in {"GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"}:
            monkeypatch.delenv(name)
    monkeypatch.setenv("SHADOWEVAL_CACHE_DIR", str(shared_cache))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A private copy of the tiny KB, so a test may edit it."""
    target = tmp_path / "kb"
    shutil.copytree(DATA / "kb", target)
    return target


@pytest.fixture
def settings(tmp_path: Path):
    return load_settings(DATA / "shadoweval.toml", overrides={"kb": DATA / "kb", "out": tmp_path / "out"})


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path):
    """One full pipeline run on the tiny fixture, shared by the tests that only read its outputs."""
    from shadoweval.pipeline import run

    out = tmp_path_factory.mktemp("tiny-run")
    cfg = load_settings(
        DATA / "shadoweval.toml",
        overrides={"kb": DATA / "kb", "out": out, "cache_dir": shared_cache},
        environ={},
    )
    return run(DATA / "tickets.csv", cfg)
