"""Drive the dashboard's callbacks over HTTP, as the browser does (for tests and benchmarks).

:class:`DashClient` reads ``/_dash-dependencies`` once, then :meth:`DashClient.call` posts the
same JSON body Dash's renderer posts to ``/_dash-update-component`` and returns the updated
properties. It speaks to a real server (``http.client``, one keep-alive connection per client)
or to a Flask test client (no socket).
"""

from __future__ import annotations

import http.client
import json
import re
from urllib.parse import urlsplit


def _outputs(spec: str) -> list[tuple[str, str]]:
    """``"..a.b...c.d.."`` or ``"a.b@hash"`` -> ``[("a", "b"), ("c", "d")]``."""
    spec = spec.strip(".")
    parts = spec.split("...") if "..." in spec else [spec]
    out = []
    for p in parts:
        p = re.sub(r"@[0-9a-f]+$", "", p)
        cid, _, prop = p.rpartition(".")
        out.append((cid, prop))
    return out


class DashClient:
    """Call the callbacks of a running dashboard.

    Parameters
    ----------
    url : str, optional
        ``http://127.0.0.1:PORT/`` of a running server.
    flask_client : flask.testing.FlaskClient, optional
        Use this instead of a socket (``app.server.test_client()``).
    timeout : float
        Seconds per request (real server only).
    """

    def __init__(self, url: str | None = None, *, flask_client=None, timeout: float = 60.0):
        if (url is None) == (flask_client is None):
            raise ValueError("give exactly one of url or flask_client")
        self.flask = flask_client
        self.timeout = timeout
        self._conn = None
        if url is not None:
            parts = urlsplit(url)
            self.host, self.port = parts.hostname, parts.port or 80
        self._deps = None

    # ------------------------------------------------------------------ transport
    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        """One request; returns ``(status, body)``."""
        headers = dict(headers or {})
        if self.flask is not None:
            resp = self.flask.open(path, method=method, data=body, headers=headers)
            return resp.status_code, resp.get_data()
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, path, body=body, headers=headers)
                resp = self._conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close" or resp.version < 11:
                    self.close()
                return resp.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt:
                    raise
        raise RuntimeError("unreachable")  # pragma: no cover

    def get(self, path: str) -> tuple[int, bytes]:
        return self.request("GET", path)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # ------------------------------------------------------------------ callbacks
    def dependencies(self) -> list[dict]:
        """The app's callbacks as listed by ``/_dash-dependencies`` (fetched once)."""
        if self._deps is None:
            status, data = self.get("/_dash-dependencies")
            if status != 200:
                raise RuntimeError(f"/_dash-dependencies answered {status}")
            self._deps = json.loads(data)
        return self._deps

    def find(self, outputs: list[str], trigger: str | None = None) -> dict:
        """The callback writing ``outputs`` (``"id.prop"``); ``trigger`` picks among duplicates."""
        want = [tuple(o.rsplit(".", 1)) for o in outputs]
        for dep in self.dependencies():
            if dep.get("clientside_function"):
                continue
            if _outputs(dep["output"]) != want:
                continue
            ins = [f"{i['id']}.{i['property']}" for i in dep["inputs"]]
            if trigger is None or trigger in ins:
                return dep
        raise KeyError(f"no callback writes {outputs}" + (f" on {trigger}" if trigger else ""))

    def body(self, outputs: list[str], values: dict, trigger: str | None = None) -> dict:
        """The JSON body Dash's page posts to run the callback that writes ``outputs`` (see
        :meth:`call`); tests change it to try malformed requests."""
        dep = self.find(outputs, trigger)

        def items(specs):
            return [
                {
                    "id": s["id"],
                    "property": s["property"],
                    "value": values.get(f"{s['id']}.{s['property']}"),
                }
                for s in specs
            ]

        outs = [{"id": i, "property": p} for i, p in _outputs(dep["output"])]
        return {
            "output": dep["output"],
            "outputs": outs if len(outs) > 1 else outs[0],
            "inputs": items(dep["inputs"]),
            "state": items(dep.get("state", [])),
            "changedPropIds": [
                trigger or f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"
            ],
        }

    def call(self, outputs: list[str], values: dict, trigger: str | None = None) -> dict:
        """Run the callback that writes ``outputs``.

        Parameters
        ----------
        outputs : list of str
            ``["explorer-figure.figure", ...]`` in the callback's order.
        values : dict
            ``"id.prop" -> value`` for its inputs and states (missing ones are None).
        trigger : str, optional
            The input that changed (default: the first input).

        Returns
        -------
        dict
            ``{"id.prop": new value}`` for every output the callback updated.

        Raises
        ------
        RuntimeError
            When the server does not answer 200 (204 = nothing updated gives ``{}``).
        """
        body = self.body(outputs, values, trigger)
        status, data = self.request(
            "POST",
            "/_dash-update-component",
            json.dumps(body).encode(),
            {"Content-Type": "application/json"},
        )
        if status == 204:
            return {}
        if status != 200:
            raise RuntimeError(f"callback {body['output']} answered {status}: {data[:300]!r}")
        response = json.loads(data)["response"]
        return {f"{cid}.{prop}": v for cid, props in response.items() for prop, v in props.items()}
