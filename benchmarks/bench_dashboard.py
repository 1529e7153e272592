"""Dashboard speed and load, measured with real HTTP requests to a server on 127.0.0.1.

Usage::

    .venv/bin/python benchmarks/bench_dashboard.py                 # simulate + train 3 small runs
    .venv/bin/python benchmarks/bench_dashboard.py --runs OUT/runs  # existing runs
    .venv/bin/python benchmarks/bench_dashboard.py --browser        # also time a headless Chromium

What it measures (the server is ``deepmotif dashboard`` in its own process; the clients are
threads of this one, each with its own keep-alive HTTP connection, exactly the JSON Dash's page
posts):

* page load: the HTML, every script it names, the layout, the callback list and the first
  callbacks (cold, sequential, like a browser without cache); with ``--browser`` the time until
  Chromium has drawn the overview curves and the explorer heatmaps;
* interaction latency on precomputed results: choosing a test sequence (explanation figure of
  the three models), changing the order of the list, choosing a dataset (overview curves);
* explaining a pasted 101-bp sequence through every model of the dataset (never cached: each
  sequence is new);
* load: ``--clients`` concurrent clients x ``--requests`` sequence choices each; errors and
  latency percentiles.

Every loop is bounded; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

# The HTTP client the tests use lives in tests/dash_client.py (test tooling, not the package).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _stats(ms: list[float]) -> dict:
    a = np.asarray(ms, dtype=float)
    return {
        "n": int(a.size),
        "p50": float(np.percentile(a, 50)),
        "p90": float(np.percentile(a, 90)),
        "p95": float(np.percentile(a, 95)),
        "p99": float(np.percentile(a, 99)),
        "max": float(a.max()),
        "mean": float(a.mean()),
    }


# ------------------------------------------------------------------------------ runs


def make_runs(work: Path, n: int, epochs: int) -> Path:
    """Simulated CTCF data, the three architectures trained briefly (skipped when present)."""
    from deepmotif.data.simulate import simulate
    from deepmotif.training import run_is_finished, train

    out = work / "runs" / "CTCF-sim"
    ds = None
    for arch in ("cnn", "rnn", "cnn-rnn"):
        if run_is_finished(out / arch):
            continue
        if ds is None:
            ds = simulate(["CTCF"], n=n, length=101, seed=0).dataset
        t = time.perf_counter()
        train(ds, arch=arch, out=out / arch, config={"epochs": epochs}, verbose=False, force=True)
        print(f"  trained {arch} in {time.perf_counter() - t:.0f} s", flush=True)
    return work / "runs"


def precompute(runs_root: Path) -> bool:
    """Write explain/saliency.npz and temporal.npz for every run's test set (if missing)."""
    from deepmotif.explain.registry import get_method

    saliency, temporal = get_method("saliency").compute, get_method("temporal").compute

    from deepmotif.training import load_run, read_run_data

    for cfg in sorted(runs_root.rglob("config.json")):
        run = cfg.parent
        if (run / "explain" / "saliency.npz").is_file() and (
            run / "explain" / "temporal.npz"
        ).is_file():
            continue
        model, _ = load_run(run)
        test = read_run_data(run)
        X = test.one_hot()
        ids = np.array(test.ids)
        (run / "explain").mkdir(exist_ok=True)
        t = time.perf_counter()
        s = saliency(model, X)
        np.savez(
            run / "explain" / "saliency.npz",
            ids=ids,
            saliency=s["saliency"],
            gradient=s["gradient"],
        )
        tr = temporal(model, X)
        np.savez(
            run / "explain" / "temporal.npz",
            ids=ids,
            forward=tr["forward"],
            backward=tr["backward"],
        )
        print(
            f"  precomputed {run.name}: {len(ids)} sequences in {time.perf_counter() - t:.1f} s",
            flush=True,
        )
    return True


# ------------------------------------------------------------------------------ server


class Server:
    """``deepmotif dashboard`` in a subprocess on 127.0.0.1 and a free port."""

    def __init__(self, paths: list[str]):
        self.port = _free_port()
        self.url = f"http://{HOST}:{self.port}/"
        code = "import sys; from deepmotif.cli import main; sys.exit(main())"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                code,
                "dashboard",
                *paths,
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--quiet",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        from tests.dash_client import DashClient

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the dashboard exited: {self.proc.stdout.read()}")
            try:
                c = DashClient(self.url, timeout=5)
                status, _ = c.get("/")
                c.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("the dashboard did not answer within 120 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ------------------------------------------------------------------------------ measurements


def _client(url):
    from tests.dash_client import DashClient

    return DashClient(url)


def render_values(dataset, seq_id=None, paste=None, arch="cnn"):
    from deepmotif.dashboard import ids

    v = {
        f"{ids.EX_SOURCE}.value": "paste" if paste else "test",
        f"{ids.EX_MODE}.value": "saliency",
        f"{ids.DATASET}.value": dataset,
        f"{ids.ARCH}.value": arch,
        f"{ids.EX_SEQUENCE}.value": seq_id,
    }
    if paste:
        v[f"{ids.EX_EXPLAIN}.n_clicks"] = 1
        v[f"{ids.EX_PASTE}.value"] = paste
    return v


def _render_outputs():
    from deepmotif.dashboard import ids

    return [
        f"{ids.EX_FIGURE}.figure",
        f"{ids.EX_PREDICTIONS}.children",
        f"{ids.EX_MESSAGE}.children",
    ]


def _check_render(out: dict) -> None:
    from deepmotif.dashboard import ids

    fig = out.get(f"{ids.EX_FIGURE}.figure") or {}
    names = [t.get("name") for t in fig.get("data", [])]
    if "saliency" not in names:
        msg = json.dumps(out.get(f"{ids.EX_MESSAGE}.children"))[:300]
        raise RuntimeError(f"no saliency heatmap in the answer ({msg})")


def page_load(url: str, repeats: int) -> dict:
    """Cold page load over HTTP: HTML, scripts, layout, dependencies and the first callbacks."""
    from deepmotif.dashboard import ids

    times, sizes = [], []
    for _ in range(repeats):
        c = _client(url)
        t0 = time.perf_counter()
        total = 0
        status, html = c.get("/")
        total += len(html)
        for src in re.findall(r'<script src="([^"]+)"', html.decode()):
            status, body = c.get(src)
            assert status == 200, (src, status)
            total += len(body)
        for path in ("/_dash-layout", "/_dash-dependencies"):
            status, body = c.get(path)
            total += len(body)
        layout = json.loads(c.get("/_dash-layout")[1])
        dataset = _find_prop(layout, ids.DATASET, "value")
        c.call(
            [
                f"{ids.OV_ROC}.figure",
                f"{ids.OV_PR}.figure",
                f"{ids.OV_HISTORY}.figure",
                f"{ids.OV_MESSAGE}.children",
                f"{ids.OV_TABLE}.style_data_conditional",
            ],
            {f"{ids.DATASET}.value": dataset},
        )
        times.append((time.perf_counter() - t0) * 1000)
        sizes.append(total)
        c.close()
    return {"ms": _stats(times), "bytes": int(np.median(sizes))}


def _find_prop(node, cid, prop):
    if isinstance(node, dict):
        props = node.get("props", {})
        if props.get("id") == cid:
            return props.get(prop)
        for v in list(props.values()) + list(node.values()):
            found = _find_prop(v, cid, prop)
            if found is not None:
                return found
    elif isinstance(node, list):
        for v in node:
            found = _find_prop(v, cid, prop)
            if found is not None:
                return found
    return None


def interactions(url: str, dataset: str, seq_ids: list[str], n: int) -> dict:
    from deepmotif.dashboard import ids

    c = _client(url)
    out = {}
    lat = []
    for i in range(n):
        sid = seq_ids[i % len(seq_ids)]
        t = time.perf_counter()
        res = c.call(_render_outputs(), render_values(dataset, sid))
        lat.append((time.perf_counter() - t) * 1000)
        _check_render(res)
    out["choose a test sequence (3 models, precomputed)"] = _stats(lat)
    lat = []
    orders = ["score-desc", "confident", "wrong", "index", "score-asc"]
    for i in range(n):
        vals = {
            f"{ids.DATASET}.value": dataset,
            f"{ids.ARCH}.value": "cnn",
            f"{ids.EX_ORDER}.value": orders[i % len(orders)],
            f"{ids.EX_LABEL}.value": "all",
        }
        t = time.perf_counter()
        c.call(
            [f"{ids.EX_SEQUENCE}.options", f"{ids.EX_SEQUENCE}.value"],
            vals,
            trigger=f"{ids.EX_ORDER}.value",
        )
        lat.append((time.perf_counter() - t) * 1000)
    out["reorder the sequence list"] = _stats(lat)
    lat = []
    for _ in range(n):
        t = time.perf_counter()
        c.call(
            [
                f"{ids.OV_ROC}.figure",
                f"{ids.OV_PR}.figure",
                f"{ids.OV_HISTORY}.figure",
                f"{ids.OV_MESSAGE}.children",
                f"{ids.OV_TABLE}.style_data_conditional",
            ],
            {f"{ids.DATASET}.value": dataset},
        )
        lat.append((time.perf_counter() - t) * 1000)
    out["choose a dataset (overview curves)"] = _stats(lat)
    c.close()
    return out


def pasted(url: str, dataset: str, n: int) -> dict:
    rng = np.random.default_rng(1)
    c = _client(url)
    lat = []
    for _ in range(n):
        seq = "".join(rng.choice(list("ACGT"), 101))
        t = time.perf_counter()
        res = c.call(_render_outputs(), render_values(dataset, paste=seq))
        lat.append((time.perf_counter() - t) * 1000)
        _check_render(res)
    c.close()
    return _stats(lat)


def load(url: str, dataset: str, seq_ids: list[str], clients: int, requests: int) -> dict:
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def worker(k: int) -> None:
        c = _client(url)
        rng = np.random.default_rng(k)
        mine, errs = [], []
        start.wait()
        for _ in range(requests):
            sid = seq_ids[int(rng.integers(len(seq_ids)))]
            t = time.perf_counter()
            try:
                res = c.call(_render_outputs(), render_values(dataset, sid))
                _check_render(res)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                errs.append(f"{type(exc).__name__}: {exc}"[:200])
            mine.append((time.perf_counter() - t) * 1000)
        c.close()
        with lock:
            lat.extend(mine)
            errors.extend(errs)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    return {
        "clients": clients,
        "requests_per_client": requests,
        "errors": len(errors),
        "first_errors": errors[:3],
        "seconds": wall,
        "requests_per_second": len(lat) / wall,
        "ms": _stats(lat),
    }


def browser_load(url: str, repeats: int) -> dict | None:
    """Seconds until headless Chromium has drawn the overview curves and the explorer heatmaps."""
    import shutil

    chrome = next(
        (p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).exists()), None
    )
    driver_path = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
    )
    if not chrome or not driver_path:
        print("  no Chromium/chromedriver: browser timing skipped")
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from deepmotif.dashboard import ids

    overview, explorer = [], []
    for _ in range(repeats):
        opts = webdriver.ChromeOptions()
        opts.binary_location = chrome
        profile = tempfile.mkdtemp(prefix="dm-bench-")
        for flag in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--window-size=1400,1200",
        ):
            opts.add_argument(flag)
        drv = webdriver.Chrome(service=Service(driver_path), options=opts)
        try:
            t0 = time.perf_counter()
            drv.get(url)
            WebDriverWait(drv, 60, 0.05).until(
                lambda d: (
                    len(d.find_elements(By.CSS_SELECTOR, f"#{ids.OV_ROC} .scatterlayer .trace"))
                    >= 1
                )
            )
            overview.append(time.perf_counter() - t0)
            t1 = time.perf_counter()
            next(
                e
                for e in drv.find_elements(By.CSS_SELECTOR, ".tab")
                if e.text.strip() == "Sequence explorer"
            ).click()
            WebDriverWait(drv, 60, 0.05).until(
                lambda d: (
                    len(d.find_elements(By.CSS_SELECTOR, f"#{ids.EX_FIGURE} g.heatmaplayer image"))
                    >= 2
                )
            )
            explorer.append(time.perf_counter() - t1)
        finally:
            drv.quit()
            shutil.rmtree(profile, ignore_errors=True)
    return {
        "overview_s": float(np.median(overview)),
        "explorer_s": float(np.median(explorer)),
        "repeats": repeats,
    }


# ------------------------------------------------------------------------------ main


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--runs", nargs="+", help="existing run directories / folders (default: make them)"
    )
    p.add_argument("--workdir", help="where to make the runs (default: a temporary folder)")
    p.add_argument("--n", type=int, default=2000, help="simulated sequences (default 2000)")
    p.add_argument(
        "--epochs", type=int, default=2, help="training epochs of the made runs (default 2)"
    )
    p.add_argument(
        "--interactions", type=int, default=60, help="requests per interaction kind (default 60)"
    )
    p.add_argument("--pastes", type=int, default=20, help="pasted sequences (default 20)")
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--requests", type=int, default=50)
    p.add_argument("--page-loads", type=int, default=5)
    p.add_argument(
        "--browser", action="store_true", help="also time page loads in headless Chromium"
    )
    p.add_argument("--json", help="write the results here too")
    args = p.parse_args(argv)

    print(
        f"machine: {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f}, "
        f"Python {platform.python_version()}",
        flush=True,
    )
    if args.runs:
        paths = [str(Path(r)) for r in args.runs]
    else:
        work = Path(args.workdir or tempfile.mkdtemp(prefix="dm-bench-dashboard-"))
        print(f"making runs in {work} ...", flush=True)
        paths = [str(make_runs(work, args.n, args.epochs))]
    for root in paths:
        precompute(Path(root))

    from deepmotif.dashboard.data import RunStore

    store = RunStore(paths)
    dataset = store.datasets()[0]
    ref = store.reference_run(dataset, "cnn")
    seq_ids = [str(s) for s in store.test_table(ref.key)["id"]]
    print(
        f"dataset {dataset!r}: {len(store.runs_for(dataset))} runs, {len(seq_ids)} test sequences",
        flush=True,
    )

    server = Server(paths)
    results: dict = {"dataset": dataset, "cpus": os.cpu_count(), "load_average": os.getloadavg()[0]}
    try:
        results["page_load_http"] = page_load(server.url, args.page_loads)
        # one warm-up call so file parsing is not counted as an interaction
        c = _client(server.url)
        c.call(_render_outputs(), render_values(dataset, seq_ids[0]))
        c.close()
        results["interactions"] = interactions(server.url, dataset, seq_ids, args.interactions)
        results["paste_101bp"] = pasted(server.url, dataset, args.pastes)
        results["load"] = load(server.url, dataset, seq_ids, args.clients, args.requests)
        if args.browser:
            results["page_load_browser"] = browser_load(server.url, 3)
    finally:
        server.stop()

    _print(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 1 if results["load"]["errors"] else 0


def _print(r: dict) -> None:
    def row(name, s):
        return f"| {name} | {s['n']} | {s['p50']:.0f} | {s['p95']:.0f} | {s['max']:.0f} |"

    print()
    print(
        f"Dashboard on 127.0.0.1, dataset {r['dataset']!r}, {r['cpus']} CPUs (load average {r['load_average']:.1f})"
    )
    print()
    print("| request | n | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    pl = r["page_load_http"]
    print(row(f"page load over HTTP, cold ({pl['bytes'] / 1e6:.1f} MB)", pl["ms"]))
    for name, s in r["interactions"].items():
        print(row(name, s))
    print(row("explain a pasted 101-bp sequence (3 models, on demand)", r["paste_101bp"]))
    ld = r["load"]
    print(row(f"{ld['clients']} clients x {ld['requests_per_client']} sequence choices", ld["ms"]))
    print()
    print(
        f"load: {ld['errors']} errors, {ld['requests_per_second']:.1f} requests/s, "
        f"p90 {ld['ms']['p90']:.0f} ms, p99 {ld['ms']['p99']:.0f} ms"
    )
    if ld["first_errors"]:
        print("first errors:", *ld["first_errors"], sep="\n  ")
    if r.get("page_load_browser"):
        b = r["page_load_browser"]
        print(
            f"browser (headless Chromium, median of {b['repeats']}): overview drawn {b['overview_s']:.2f} s, "
            f"explorer heatmaps drawn {b['explorer_s']:.2f} s after the tab click"
        )


if __name__ == "__main__":
    sys.exit(main())
