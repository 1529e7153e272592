"""A safety net for callbacks: an unexpected exception becomes a message in the page, not a 500."""

from __future__ import annotations

import functools
import logging

log = logging.getLogger("deepmotif.dashboard")


def guarded(fallback):
    """Decorate a callback so an unexpected exception is logged and ``fallback(message)`` returned.

    ``fallback`` receives ``"internal error: <type>: <text> (details in the server log)"`` and
    returns the callback's outputs. Dash's own ``PreventUpdate`` passes through.
    """

    def deco(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            from dash.exceptions import PreventUpdate

            try:
                return fn(*args, **kwargs)
            except PreventUpdate:
                raise
            except Exception as exc:  # noqa: BLE001 - the page must keep working
                log.exception("callback %s failed", fn.__name__)
                return fallback(
                    f"internal error: {type(exc).__name__}: {exc} (details in the server log)"
                )

        return inner

    return deco
