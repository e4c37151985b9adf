"""Answer backends. Importing this package registers the built-in ones."""

from .base import GENERATORS, Answer, GenerationContext, Generator, get_generator, register
from . import extractive, openai, replay  # noqa: F401  (registration side effect)

__all__ = ["GENERATORS", "Answer", "GenerationContext", "Generator", "get_generator", "register"]
