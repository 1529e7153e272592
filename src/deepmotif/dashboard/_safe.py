"""Safety nets for the dashboard: an unexpected exception in a callback becomes a message in the
page, and a callback request of the wrong shape or types gets a 400 and one log line, not a 500."""

from __future__ import annotations

import functools
import json
import logging
import math

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


def built(build, *args, what: str):
    """``build(*args)`` (a part of the page), or an error box naming ``what`` failed and why.

    The page's layout is built from every run at once; a run whose files hold something
    unexpected must cost only its part of the page, never the whole page (a 500 is a blank
    page). Expected problems (:class:`~deepmotif.errors.DeepMotifError`) are shown as they
    are; anything else is logged with its traceback and shown as an internal error.
    """
    from dash import html

    from deepmotif.errors import DeepMotifError

    try:
        return build(*args)
    except DeepMotifError as exc:
        message = f"{what}: {exc}"
    except Exception as exc:  # noqa: BLE001 - the rest of the page must keep working
        log.exception("building %s failed", what)
        message = f"{what}: internal error: {type(exc).__name__}: {exc} (details in the server log)"
    return html.Div(message, className="dm-alert dm-error")


# ------------------------------------------------------------------ callback requests
#
# Dash answers a body it cannot use with a 500 and a traceback. The checks below run before
# Dash sees a request to its callback endpoint: the body must be the object Dash's own page
# posts, for a registered callback, naming exactly that callback's outputs, inputs and states,
# with values of the type each property holds. Anything else is a 400 and one log line.

#: Deepest JSON nesting a callback request may have (Dash's own page posts about 8).
MAX_DEPTH = 24
#: Longest list a property value may hold (the explorer's sequence options are the longest).
MAX_ITEMS = 100_000


class BadRequest(ValueError):
    """A callback request that does not have the shape Dash's page posts (answered with 400)."""


# Exact type tests (``type(v) in ...``): JSON gives only these types, and the explorer's
# sequence options can be tens of thousands of items checked on every click.
_TEXT = (str, bool)
_NUMBER = (int, float)
_CONTAINER = (dict, list)


def _finite(v) -> bool:
    return type(v) in _NUMBER and math.isfinite(v)


def _scalar(v) -> bool:
    return v is None or type(v) in _TEXT or (type(v) in _NUMBER and math.isfinite(v))


def _count(v) -> bool:
    return v is None or (type(v) is int and v >= 0)


def _value(v) -> bool:  # dcc.Dropdown / Input / RadioItems / Checklist / Textarea / Tabs
    return _scalar(v) or (type(v) is list and all(map(_scalar, v)))


def _option(o) -> bool:
    if type(o) is dict:
        return "value" in o and _scalar(o["value"])
    return o is not None and _scalar(o)


def _options(v) -> bool:  # a list of options, or {value: label}
    if v is None or (type(v) is dict and all(_scalar(x) or type(x) is dict for x in v.values())):
        return True
    return type(v) is list and all(map(_option, v))


def _cell(v) -> bool:  # DataTable active_cell
    if v is None:
        return True
    if not isinstance(v, dict) or not {"row", "column"} <= v.keys():
        return False
    return (
        _count(v["row"])
        and _count(v["column"])
        and isinstance(v.get("column_id", ""), str)
        and _scalar(v.get("row_id"))
    )


def _points(v) -> bool:  # dcc.Graph clickData / hoverData / selectedData
    if v is None:
        return True
    return (
        isinstance(v, dict)
        and isinstance(v.get("points"), list)
        and all(isinstance(p, dict) for p in v["points"])
    )


def _records(v) -> bool:  # DataTable data, dcc.Store data (any JSON of bounded depth)
    return v is None or isinstance(v, dict | list) or _scalar(v)


#: What each callback property may hold, by property name; properties not listed may hold any
#: JSON of bounded depth.
PROPERTY_TYPES = {
    "value": (_value, "a string, a number, a list of them or null"),
    "n_clicks": (_count, "a non-negative integer or null"),
    "n_submit": (_count, "a non-negative integer or null"),
    "n_blur": (_count, "a non-negative integer or null"),
    "options": (_options, "a list of options ({label, value}) or null"),
    "active_cell": (_cell, "a table cell ({row, column, column_id, row_id}) or null"),
    "clickData": (_points, "an object with a list of points, or null"),
    "hoverData": (_points, "an object with a list of points, or null"),
    "selectedData": (_points, "an object with a list of points, or null"),
    "data": (_records, "JSON"),
}


def _depth(obj) -> int:
    """The nesting depth of a parsed JSON value, level by level (no recursion, so any depth is
    safe; stops counting past :data:`MAX_DEPTH`)."""
    depth, level = 0, [obj] if type(obj) in _CONTAINER else []
    while level and depth <= MAX_DEPTH:
        depth += 1
        below = []
        for item in level:
            for v in item.values() if type(item) is dict else item:
                if type(v) in _CONTAINER:
                    below.append(v)
        level = below
    return depth


def _specs(callback_id: str) -> list[tuple[str, str]]:
    """``"..a.b...c.d@h.."`` or ``"a.b"`` -> ``[("a", "b"), ("c", "d")]`` (``@hash`` dropped)."""
    body = callback_id[2:-2] if callback_id.startswith("..") else callback_id
    out = []
    for part in body.split("...") if callback_id.startswith("..") else [body]:
        cid, _, prop = part.rpartition(".")
        out.append((cid, prop.split("@")[0]))
    return out


def _pair(item, where: str) -> tuple[str, str]:
    if not isinstance(item, dict) or not isinstance(item.get("property"), str):
        raise BadRequest(f"{where}: expected an object with 'id' and 'property'")
    cid = item.get("id")
    if isinstance(cid, dict):
        cid = json.dumps(cid, sort_keys=True, separators=(",", ":"))
    if not isinstance(cid, str):
        raise BadRequest(f"{where}: 'id' must be a string")
    return cid, item["property"].split("@")[0]


def _check_values(items, registered: list[dict], where: str) -> None:
    if not isinstance(items, list) or len(items) != len(registered):
        raise BadRequest(f"'{where}' must list the callback's {len(registered)} {where}")
    for i, (item, spec) in enumerate(zip(items, registered)):
        if isinstance(item, list):  # pattern-matching (ALL) ids: one entry per component
            if not spec["id"].startswith("{"):
                raise BadRequest(f"{where}[{i}]: expected an object")
            entries = item
        else:
            entries = [item]
        for entry in entries:
            cid, prop = _pair(entry, f"{where}[{i}]")
            if prop != spec["property"] or (not spec["id"].startswith("{") and cid != spec["id"]):
                raise BadRequest(
                    f"{where}[{i}] is {cid}.{prop}; the callback expects "
                    f"{spec['id']}.{spec['property']}"
                )
            value = entry.get("value")
            if isinstance(value, list) and len(value) > MAX_ITEMS:
                raise BadRequest(f"{cid}.{prop}: more than {MAX_ITEMS} items")
            check, expected = PROPERTY_TYPES.get(prop, (None, ""))
            if check is not None and not check(value):
                raise BadRequest(f"{cid}.{prop}: expected {expected}, got {_kind(value)}")


def _kind(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int | float):
        return "a number" if math.isfinite(v) else "a non-finite number"
    return {str: "a string", list: "a list", dict: "an object"}.get(type(v), type(v).__name__)


def check_callback_request(body, callback_map: dict) -> None:
    """Raise :class:`BadRequest` unless ``body`` is a well-formed call of a registered callback.

    Parameters
    ----------
    body : any
        The parsed JSON body of a ``POST /_dash-update-component``.
    callback_map : dict
        ``app.callback_map`` (callback id -> its registered inputs and state).
    """
    if not isinstance(body, dict):
        raise BadRequest(f"the body is {_kind(body)}; expected a JSON object")
    if _depth(body) > MAX_DEPTH:
        raise BadRequest(f"the body is nested more than {MAX_DEPTH} levels deep")
    output = body.get("output")
    if not isinstance(output, str):
        raise BadRequest("'output' must be a string naming a callback's outputs")
    registered = callback_map.get(output)
    if not isinstance(registered, dict) or "callback" not in registered:
        raise BadRequest(f"no callback writes {output[:120]!r}")
    want = _specs(output)
    outputs = body.get("outputs")
    outputs = outputs if isinstance(outputs, list) and output.startswith("..") else [outputs]
    pattern = any(cid.startswith("{") for cid, _ in want)
    if len(outputs) != len(want) or (
        not pattern and [_pair(o, "outputs") for o in outputs] != want
    ):
        raise BadRequest(f"'outputs' do not match the callback {output[:120]!r}")
    _check_values(body.get("inputs"), registered["inputs"], "inputs")
    _check_values(body.get("state", []), registered["state"], "state")
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise BadRequest("'changedPropIds' must be a list of strings")


def callback_error(exc):
    """Dash's ``on_error`` for the app: a callback that failed on an input of the wrong type
    (TypeError, ValueError, KeyError, IndexError, AttributeError raised outside
    :func:`guarded`) answers 400 with one log line; anything else stays a server error."""
    from werkzeug.exceptions import BadRequest as HTTPBadRequest

    if isinstance(exc, TypeError | ValueError | KeyError | IndexError | AttributeError):
        log.warning("refused a callback request: %s: %s", type(exc).__name__, exc)
        raise HTTPBadRequest(f"callback input of the wrong type ({type(exc).__name__})")
    raise exc


def install_request_checks(app) -> None:
    """Check every request to ``app``'s callback endpoint before Dash sees it (see
    :func:`check_callback_request`): a malformed one gets a 4xx and one log line."""
    import flask
    from werkzeug.exceptions import HTTPException

    endpoint = app.config.routes_pathname_prefix + "_dash-update-component"

    def _refuse(reason: str, status: int = 400):
        log.warning("refused a callback request: %s", reason)
        return flask.Response(
            f"malformed callback request: {reason}\n", status=status, mimetype="text/plain"
        )

    @app.server.before_request
    def _check_callback_request():
        request = flask.request
        if request.path != endpoint or request.method != "POST":
            return None  # Flask answers 405 to other methods
        if not request.is_json:
            return _refuse("the body must be JSON (Content-Type: application/json)", 415)
        if not request.get_data(cache=True):
            return _refuse("the body is empty; expected a JSON object")
        try:  # parsed once: Flask keeps the result for Dash
            body = request.get_json(cache=True)
        except RecursionError:
            return _refuse(f"the body is nested more than {MAX_DEPTH} levels deep")
        except HTTPException as exc:  # not JSON, not UTF-8, too-long integers
            return _refuse(f"the body is not JSON ({str(exc.description)[:120]})")
        try:
            check_callback_request(body, app.callback_map)
        except BadRequest as exc:
            return _refuse(str(exc)[:300])
        return None
