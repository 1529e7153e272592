"""The Dash application: :func:`create_app` builds it, :func:`serve` runs it on 127.0.0.1.

Nothing is read or built at import time. The app serves Dash's own JavaScript from the installed
package (no CDN), no assets folder, and one extra route, ``/download?run=KEY&file=NAME``, which
hands out only the files listed in :data:`deepmotif.dashboard.data.DOWNLOADABLE` from inside a
run directory.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from dataclasses import dataclass

from deepmotif.dashboard import ids
from deepmotif.errors import DeepMotifError

log = logging.getLogger(__name__)

_CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f5f7fa; --accent:#3b5bdb; --bad:#c92a2a; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font-family: Inter, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; font-size:14px; }
.dm-header { background:#1b2a41; color:#fff; padding:14px 28px 12px; display:flex; flex-wrap:wrap;
             align-items:flex-end; gap:18px 28px; }
.dm-brand h1 { margin:0; font-size:20px; font-weight:650; letter-spacing:.2px; }
.dm-brand .dm-sub { color:#b6c2d1; font-size:12.5px; margin-top:3px; }
.dm-select { min-width:220px; }
.dm-select label { display:block; font-size:11px; text-transform:uppercase; letter-spacing:.6px;
                   color:#b6c2d1; margin-bottom:4px; }
.dm-header .dm-select .dash-dropdown, .dm-header .dm-select .Select-control { color:var(--ink); }
.dm-main { padding:16px 28px 40px; max-width:1500px; margin:0 auto; }
.dm-card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:14px 16px;
           margin-bottom:16px; box-shadow:0 1px 2px rgba(16,24,40,.04); }
.dm-card h3 { margin:0 0 10px; font-size:15px; font-weight:600; }
.dm-card h4 { margin:0 0 6px; font-size:13.5px; font-weight:600; }
.dm-note { color:var(--muted); font-size:12.5px; margin:4px 0 8px; }
.dm-grid3 { display:grid; grid-template-columns:repeat(auto-fit, minmax(340px, 1fr)); gap:16px; }
.dm-explorer { display:grid; grid-template-columns:320px minmax(0, 1fr); gap:16px; align-items:start; }
@media (max-width: 900px) { .dm-explorer { grid-template-columns:1fr; } }
.dm-field { margin-bottom:12px; }
.dm-field > label { display:block; font-weight:600; font-size:12.5px; margin-bottom:4px; }
.dm-row { display:flex; gap:8px; align-items:center; flex-wrap:wrap; }
.dm-button { background:var(--accent); color:#fff; border:none; border-radius:6px; padding:7px 14px;
             font-size:13px; cursor:pointer; font-weight:550; }
.dm-button:hover { filter:brightness(1.08); }
.dm-button.dm-secondary { background:#fff; color:var(--ink); border:1px solid #cbd2d9; }
.dm-textarea { width:100%; height:130px; font-family: "JetBrains Mono", Menlo, Consolas, monospace;
               font-size:12px; border:1px solid #cbd2d9; border-radius:6px; padding:8px; resize:vertical; }
.dm-alert { border-radius:6px; padding:9px 12px; margin-bottom:10px; font-size:13px; }
.dm-alert.dm-error { background:#fff5f5; border:1px solid #ffc9c9; color:var(--bad); }
.dm-alert.dm-warn { background:#fff9db; border:1px solid #ffe066; color:#7c5e10; }
.dm-alert.dm-info { background:#edf2ff; border:1px solid #bac8ff; color:#364fc7; }
.dm-alert ul { margin:4px 0 0 18px; padding:0; }
table.dm-table { border-collapse:collapse; width:100%; font-size:13px; }
table.dm-table th { text-align:left; color:var(--muted); font-weight:600; font-size:12px;
                    border-bottom:1px solid var(--line); padding:6px 8px; }
table.dm-table td { border-bottom:1px solid #f0f2f5; padding:6px 8px; }
.dm-chip { display:inline-block; min-width:52px; text-align:center; border-radius:10px; padding:1px 8px;
           font-weight:600; font-variant-numeric:tabular-nums; }
.dm-seq { font-family: "JetBrains Mono", Menlo, Consolas, monospace; font-size:11.5px; word-break:break-all;
          color:#3e4c59; background:#f8f9fa; border-radius:6px; padding:6px 8px; }
.dm-logos { display:flex; flex-wrap:wrap; gap:14px; align-items:flex-start; }
.dm-logo-stack { display:inline-flex; flex-direction:column; gap:4px; max-width:100%; }
.dm-logo { padding:2px 0; background:#fff; }
.dm-logo img { display:block; height:96px; width:auto; max-width:100%; }
.dm-logo .dm-caption { font-size:12px; color:var(--muted); margin-top:4px; }
.dm-links a { margin-right:14px; color:var(--accent); font-weight:550; text-decoration:none; }
.dm-tabs { margin-bottom:14px; }
.dm-working { display:flex; align-items:center; gap:12px; background:#fff; border:1px solid var(--line);
              border-radius:8px; padding:14px 16px; color:var(--muted); }
.dm-spinner { width:22px; height:22px; border:3px solid #dbe4ff; border-top-color:var(--accent);
              border-radius:50%; animation:dm-spin .8s linear infinite; flex:none; }
@keyframes dm-spin { to { transform:rotate(360deg); } }
.dash-table-container .dash-spreadsheet-container .dash-spreadsheet-inner th { font-weight:600; }
"""

_INDEX = (
    """<!DOCTYPE html>
<html lang="en">
<head>
{%metas%}
<title>{%title%}</title>
{%favicon%}
{%css%}
<style>"""
    + _CSS
    + """</style>
</head>
<body>
{%app_entry%}
<footer>
{%config%}
{%scripts%}
{%renderer%}
</footer>
</body>
</html>"""
)


def create_app(
    paths,
    *,
    compute: bool = True,
    max_length: int = 1000,
    title: str = "deepmotif dashboard",
    store=None,
    torch_threads: int | None = None,
    device=None,
):
    """Build the dashboard for the runs under ``paths``.

    Parameters
    ----------
    paths : path or sequence of paths
        Run directories, or folders holding them (e.g. a ``deepmotif benchmark`` output).
    compute : bool
        Compute explanations and class optimizations that were not precomputed (needs the
        runs' weights; results are cached in memory).
    max_length : int
        The longest sequence accepted in the paste box.
    title : str
        The browser tab's title.
    store : RunStore, optional
        Use this store instead of building one from ``paths``.
    torch_threads : int, optional
        Torch intra-op threads for on-demand computing (see :class:`RunStore`); ``None`` leaves
        torch's setting alone (:func:`serve` uses 1).
    device : str, optional
        Where the models predict, explain and optimise (``"cpu"``, ``"cuda"``, ``"cuda:N"``);
        ``None``: CUDA when available, else the CPU (see :class:`RunStore`).

    Returns
    -------
    dash.Dash
        ``app.server`` is the Flask WSGI application; ``app.store`` the :class:`RunStore`.

    Raises
    ------
    DeepMotifError
        A path that does not exist or is not a directory.
    """
    import os

    import dash
    import flask
    from dash import dcc, html

    from deepmotif.dashboard import (
        audit,
        dependencies,
        explorer,
        motifs,
        optimization,
        overview,
        selection,
    )
    from deepmotif.dashboard._safe import built, callback_error, install_request_checks
    from deepmotif.dashboard.data import DOWNLOADABLE, RunStore

    if store is None:
        store = RunStore(
            paths,
            compute=compute,
            max_length=max_length,
            torch_threads=torch_threads,
            device=device,
        )
    no_assets = os.path.join(
        os.path.dirname(__file__), "_no_assets_"
    )  # never created: nothing served
    # Our own Flask app without a static folder: nothing is served from the package directory.
    flask_app = flask.Flask(__name__, static_folder=None)
    app = dash.Dash(
        __name__,
        server=flask_app,
        title=title,
        update_title=None,
        assets_folder=no_assets,
        assets_ignore=".*",
        include_assets_files=False,
        serve_locally=True,
        index_string=_INDEX,
        suppress_callback_exceptions=True,
        enable_mcp=False,
        on_error=callback_error,
    )
    app.store = store
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = 1 << 20  # no request body above 1 MB

    @server.before_request
    def _check_host():
        # Served on a loopback address, answer only requests addressed to it: a web page
        # elsewhere cannot reach the dashboard by pointing its own domain at 127.0.0.1
        # (DNS rebinding). Set by _make_server; absent when listening on other addresses.
        allowed = server.config.get("DEEPMOTIF_ALLOWED_HOSTS")
        if allowed and _hostname(flask.request.host) not in allowed:
            return ("unexpected Host header; open the dashboard at the URL it printed", 403)
        return None

    @server.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    install_request_checks(app)  # a malformed callback request: 400 and one log line

    from dash.exceptions import DependencyException

    # Dash refuses script paths it did not register (e.g. "../"); answer 404, not 500.
    server.register_error_handler(DependencyException, lambda exc: ("not found", 404))

    @server.route("/download")
    def _download():
        run = flask.request.args.get("run", "")
        name = flask.request.args.get("file", "")
        try:
            path = store.file_path(run, name)
        except DeepMotifError:
            flask.abort(404)
        return flask.send_file(
            path,
            mimetype=DOWNLOADABLE[name],
            as_attachment=True,
            download_name=f"{run.replace('/', '_').replace(' ', '')}_{os.path.basename(name)}",
        )

    @server.route("/download-dependencies")
    def _download_dependencies():
        found = dependencies.serve_download(
            store, flask.request.args.get("result", ""), flask.request.args.get("file", "")
        )
        if found is None:
            flask.abort(404)
        folder, name = found
        return flask.send_file(folder / name, as_attachment=True, download_name=name)

    def layout():
        store.refresh()
        datasets = store.datasets()
        first = datasets[0] if datasets else None
        return html.Div(
            [
                built(_header, store, datasets, first, what="the header"),
                html.Div(
                    [
                        html.Div(
                            id=ids.PROBLEMS, children=built(_problems, store, what="the problems")
                        ),
                        dcc.Tabs(
                            id=ids.TABS,
                            value=ids.TAB_OVERVIEW,
                            className="dm-tabs",
                            children=[
                                dcc.Tab(
                                    label="Overview",
                                    value=ids.TAB_OVERVIEW,
                                    children=built(overview.layout, store, what="the overview tab"),
                                ),
                                dcc.Tab(
                                    label="Sequence explorer",
                                    value=ids.TAB_EXPLORER,
                                    children=built(
                                        explorer.layout, store, what="the sequence explorer tab"
                                    ),
                                ),
                                dcc.Tab(
                                    label="Class optimization",
                                    value=ids.TAB_OPTIMIZATION,
                                    children=built(
                                        optimization.layout,
                                        store,
                                        what="the class optimization tab",
                                    ),
                                ),
                                dcc.Tab(
                                    label="Motifs",
                                    value=ids.TAB_MOTIFS,
                                    children=built(motifs.layout, store, what="the motifs tab"),
                                ),
                                dcc.Tab(
                                    label="Dependencies",
                                    value=ids.TAB_DEPENDENCIES,
                                    children=built(
                                        dependencies.layout, store, what="the dependencies tab"
                                    ),
                                ),
                                dcc.Tab(
                                    label="Audit",
                                    value=ids.TAB_AUDIT,
                                    children=built(audit.layout, store, what="the audit tab"),
                                ),
                            ],
                        ),
                    ],
                    className="dm-main",
                ),
            ]
        )

    app.layout = layout
    selection.register(app, store)
    overview.register(app, store)
    explorer.register(app, store)
    optimization.register(app, store)
    dependencies.register(app, store)
    motifs.register(app, store)
    audit.register(app, store)
    return app


def _header(store, datasets, first):
    from dash import dcc, html

    from deepmotif.dashboard.selection import arch_options

    n_runs = len([r for r in store.runs if r.status != "broken"])
    sub = f"{n_runs} run{'s' if n_runs != 1 else ''} · {len(datasets)} dataset{'s' if len(datasets) != 1 else ''}"
    archs = [r.name for r in store.runs_for(first)] if first else []
    return html.Div(
        [
            html.Div(
                [html.H1("deepmotif dashboard"), html.Div(sub, id=ids.SUMMARY, className="dm-sub")],
                className="dm-brand",
            ),
            html.Div(
                [
                    html.Label("Dataset", htmlFor=ids.DATASET),
                    dcc.Dropdown(
                        id=ids.DATASET,
                        options=[{"label": d, "value": d} for d in datasets],
                        value=first,
                        clearable=False,
                        searchable=True,
                    ),
                ],
                className="dm-select",
                style={"minWidth": "300px"},
            ),
            html.Div(
                [
                    html.Label("Architecture", htmlFor=ids.ARCH),
                    dcc.Dropdown(
                        id=ids.ARCH,
                        options=arch_options(store, first),
                        value=archs[0] if archs else None,
                        clearable=False,
                        searchable=False,
                    ),
                ],
                className="dm-select",
            ),
        ],
        className="dm-header",
    )


def _problems(store):
    from dash import html

    problems = store.problems
    if not problems:
        return []
    return html.Details(
        [
            html.Summary(
                f"{len(problems)} problem{'s' if len(problems) != 1 else ''} reading the run "
                "directories (click for details); the rest of the dashboard works without them"
            ),
            html.Ul([html.Li(p) for p in problems]),
        ],
        className="dm-alert dm-warn",
    )


# ------------------------------------------------------------------------------ serving


@dataclass
class BackgroundServer:
    """A dashboard served from a thread (tests, benchmarks): ``url`` and ``stop()``."""

    url: str
    host: str
    port: int
    _server: object
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


def _hostname(host_header: str) -> str:
    """``"127.0.0.1:8050"`` -> ``"127.0.0.1"``; ``"[::1]:8050"`` -> ``"::1"``."""
    h = (host_header or "").strip().lower()
    if h.startswith("["):
        return h[1 : h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


def _make_server(app, host: str, port: int):
    """A threaded WSGI server on ``host:port``; a busy port or unknown host is a DeepMotifError.

    On a loopback address the app then answers only requests whose Host header names a
    loopback address (see ``_check_host`` in :func:`create_app`).
    """
    app.server.config["DEEPMOTIF_ALLOWED_HOSTS"] = (
        LOOPBACK_NAMES | {host.lower()} if _is_loopback(host) else None
    )
    import errno

    from werkzeug.serving import make_server

    # werkzeug prints and calls sys.exit() when it cannot bind, so check first.
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise DeepMotifError(f"cannot listen on {host!r}: {exc.strerror}") from exc
    family, _, _, _, address = infos[0]
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise DeepMotifError(
                f"port {port} on {host} is in use; choose another with --port"
            ) from exc
        raise DeepMotifError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from exc
    finally:
        probe.close()
    try:
        return make_server(host, port, app.server, threaded=True)
    except SystemExit as exc:  # lost a race for the port
        raise DeepMotifError(f"cannot listen on {host}:{port}") from exc


def start_background(app, host: str = "127.0.0.1", port: int = 0) -> BackgroundServer:
    """Serve ``app`` from a daemon thread (``port=0``: a free port); returns its URL."""
    server = _make_server(app, host, port)
    thread = threading.Thread(target=server.serve_forever, name="deepmotif-dashboard", daemon=True)
    thread.start()
    url = f"http://{host}:{server.server_port}/"
    return BackgroundServer(url, host, server.server_port, server, thread)


def serve(
    paths,
    host: str = "127.0.0.1",
    port: int = 8050,
    *,
    compute: bool = True,
    max_length: int = 1000,
    quiet: bool = False,
    ready=None,
    torch_threads: int | None = 1,
    device=None,
) -> None:
    """Serve the dashboard for ``paths`` until interrupted (Ctrl+C).

    Parameters
    ----------
    paths : path or sequence of paths
        Run directories or folders of runs.
    host : str
        Interface to listen on. The default, ``127.0.0.1``, is reachable only from this
        machine; any other address is announced with a warning (the dashboard has no login).
    port : int
        TCP port (0: any free port).
    compute, max_length
        See :func:`create_app`.
    quiet : bool
        No request log (the URL is still printed).
    ready : callable, optional
        Called with the URL once the server listens (used by ``deepmotif quickstart``).
    torch_threads : int or None
        Torch intra-op threads for on-demand computing (default 1: requests run in parallel
        threads; see :class:`~deepmotif.dashboard.data.RunStore`). ``None`` leaves torch's default.
    device : str, optional
        Where the models predict, explain and optimise; ``None``: CUDA when available, else CPU.
    """
    import sys

    app = create_app(
        paths,
        compute=compute,
        max_length=max_length,
        torch_threads=torch_threads,
        device=device,
    )
    server = _make_server(app, host, port)
    url_host = f"[{host}]" if ":" in host else host
    url = f"http://{url_host}:{server.server_port}/"
    logging.getLogger("werkzeug").setLevel(logging.ERROR if quiet else logging.WARNING)
    store = app.store
    n = len([r for r in store.runs if r.status != "broken"])
    print(f"deepmotif dashboard: {n} run(s), {len(store.datasets())} dataset(s)", flush=True)
    for problem in store.problems:
        print(f"deepmotif dashboard: warning: {problem}", file=sys.stderr, flush=True)
    if not _is_loopback(host):
        print(
            f"deepmotif dashboard: warning: listening on {host}, so other machines can reach it; "
            "it has no login. Use --host 127.0.0.1 to keep it on this machine.",
            file=sys.stderr,
            flush=True,
        )
    print(f"deepmotif dashboard: open {url}  (Ctrl+C to stop)", flush=True)
    if ready is not None:
        ready(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
