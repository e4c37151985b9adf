"""The one small interface every answer backend implements, and the registry that names them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import pandas as pd

from ..config import Settings
from ..embedding import Embedder
from ..errors import ShadowevalError
from ..kb import KnowledgeBase
from ..retrieve import Retrieval


@dataclass(frozen=True)
class Answer:
    """What the AI would have sent. `error` marks a ticket the backend could not answer at all."""

    text: str
    sources: tuple[str, ...] = ()
    abstained: bool = False
    cost_usd: float = 0.0
    usage: dict[str, int] = field(default_factory=dict)
    error: str | None = None


@dataclass
class GenerationContext:
    settings: Settings
    kb: KnowledgeBase
    embedder: Embedder
    retrieval: Retrieval
    progress: Callable[[int, str], Any] | None = None


class Generator(ABC):
    name: ClassVar[str]

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @abstractmethod
    def generate(self, tickets: pd.DataFrame, context: GenerationContext) -> list[Answer]:
        """One Answer per ticket row, in order."""

    def describe(self) -> dict[str, Any]:
        """Name and settings for the run manifest."""
        return {"name": self.name}


GENERATORS: dict[str, type[Generator]] = {}


def register(cls: type[Generator]) -> type[Generator]:
    GENERATORS[cls.name] = cls
    return cls


def get_generator(name: str, settings: Settings) -> Generator:
    try:
        cls = GENERATORS[name]
    except KeyError:
        raise ShadowevalError(
            f"Unknown generator {name!r}; choose one of: {', '.join(sorted(GENERATORS))}."
        ) from None
    return cls(settings)
