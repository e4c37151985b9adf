"""shadoweval: decide, per ticket category, whether an AI assistant can take over from human agents.

    from shadoweval import run, load_settings
    result = run("tickets.csv", load_settings(overrides={"kb": "kb"}))
"""

from .config import Settings, load_settings
from .errors import BackendError, ShadowevalError


def run(*args, **kwargs):  # type: ignore[no-untyped-def]
    """Run a shadow evaluation; see shadoweval.pipeline.run (imported lazily to keep --help fast)."""
    from .pipeline import run as _run

    return _run(*args, **kwargs)


__all__ = ["run", "Settings", "load_settings", "ShadowevalError", "BackendError"]
