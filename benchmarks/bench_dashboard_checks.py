"""What checking callback requests costs: the same requests with and without the check.

Usage::

    .venv/bin/python benchmarks/bench_dashboard_checks.py RUNS_FOLDER [--options 10000]

Every POST to ``/_dash-update-component`` is checked before Dash sees it
(:func:`deepmotif.dashboard._safe.check_callback_request`). This script times, through the
Flask test client (no socket), two requests Dash's page sends: a small one (the architecture
menu of a dataset) and the largest one (the explorer's previous/next buttons, which post the
whole sequence menu, here ``--options`` entries). It prints the check alone on a parsed body
and the whole request with the check and with it switched off, alternated three times (the
fastest of each is kept; the machine is shared, so read the two side by side).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

# The HTTP client the tests use lives in tests/dash_client.py (test tooling, not the package).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _best(fn, n: int, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - t) / n)
    return min(times)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", help="a run directory or a folder of runs (one dataset is used)")
    p.add_argument("--options", type=int, default=10_000, help="entries in the sequence menu")
    args = p.parse_args(argv)

    from tests.dash_client import DashClient

    from deepmotif.dashboard import _safe, ids
    from deepmotif.dashboard.app import create_app

    app = create_app([args.runs], compute=False)
    client = DashClient(flask_client=app.server.test_client())
    dataset = app.store.datasets()[0]
    small = client.body(
        [f"{ids.ARCH}.options", f"{ids.ARCH}.value"], {f"{ids.DATASET}.value": dataset}
    )
    menu = [{"label": f"#{i} s{i} · bound · 0.50", "value": f"s{i}"} for i in range(args.options)]
    large = client.body(
        [f"{ids.EX_SEQUENCE}.value"],
        {f"{ids.EX_SEQUENCE}.options": menu, f"{ids.EX_PREV}.n_clicks": 1},
        trigger=f"{ids.EX_PREV}.n_clicks",
    )
    real = _safe.check_callback_request
    try:
        for name, body, n in (
            ("architecture menu", small, 200),
            (f"{args.options} options", large, 10),
        ):
            data = json.dumps(body).encode()
            check = _best(lambda body=body: real(body, app.callback_map), n)

            def post(data=data):
                status, _ = client.request(
                    "POST", "/_dash-update-component", data, {"Content-Type": "application/json"}
                )
                assert status == 200, status

            timed = {"with": [], "without": []}
            for mode in ("with", "without") * 3:
                _safe.check_callback_request = real if mode == "with" else (lambda b, m: None)
                timed[mode].append(_best(post, n, repeats=1))
            on, off = min(timed["with"]), min(timed["without"])
            print(
                f"{name}: body {len(data) / 1024:.0f} KB; check alone {check * 1e3:.3f} ms; "
                f"request with the check {on * 1e3:.2f} ms, without {off * 1e3:.2f} ms "
                f"(ratio {on / off:.2f})"
            )
    finally:
        _safe.check_callback_request = real
    return 0


if __name__ == "__main__":
    sys.exit(main())
