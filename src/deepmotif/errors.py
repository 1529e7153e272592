"""The package's own exception and warning classes.

The library raises :class:`DeepMotifError` for every problem a user can fix (bad input files,
bad arguments, broken run directories). The command line turns it into one line on stderr and
a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import os


class DeepMotifError(Exception):
    """A problem with the user's input, arguments or files, with a message fit to print."""


class DeepMotifWarning(UserWarning):
    """Something was changed or assumed on the user's behalf (e.g. sequences padded)."""


def where(path: str | os.PathLike, line: int | None = None) -> str:
    """Format a location for an error message: ``"line 12 of peaks.fa"`` or ``"peaks.fa"``."""
    name = os.fspath(path)
    return f"line {line} of {name}" if line is not None else name


def check(condition: bool, message: str) -> None:
    """Raise :class:`DeepMotifError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise DeepMotifError(message)


def check_positive_int(name: str, value, *, allow_zero: bool = False) -> int:
    """Validate an integer argument such as ``--epochs`` or ``--batch-size``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise DeepMotifError(f"{name} must be a whole number, got {value!r}")
    value = int(value)
    low = 0 if allow_zero else 1
    if value < low:
        raise DeepMotifError(f"{name} must be at least {low}, got {value}")
    return value
