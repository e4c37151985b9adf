"""User-facing errors.

Every message is one sentence that names the problem and says what to do next; the CLI prints it
and exits with the code the class carries, never a traceback.
"""


class ShadowevalError(Exception):
    """Bad usage or bad input: the user can fix it (exit code 2)."""

    exit_code = 2


class InputError(ShadowevalError):
    """A tickets file, answers file or KB folder cannot be used as given."""


class ConfigError(ShadowevalError):
    """A configuration file, environment variable or option has an invalid value."""


class BackendError(ShadowevalError):
    """A generator backend or the runtime failed (exit code 3): not the user's input."""

    exit_code = 3
