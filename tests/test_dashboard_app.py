"""The Dash app: page, callbacks (through Dash's own HTTP protocol), downloads, path traversal,
broken runs, binding, and the 'dashboard' command."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

import tests.test_dashboard_helpers as H
from deepmotif.dashboard import ids
from deepmotif.dashboard.app import _is_loopback, create_app, start_background
from deepmotif.errors import DeepMotifError
from tests.dash_client import DashClient


def _render(client, **values):
    base = {
        f"{ids.EX_SOURCE}.value": "test",
        f"{ids.EX_MODE}.value": "saliency",
        f"{ids.DATASET}.value": "TOY",
        f"{ids.ARCH}.value": "cnn",
    }
    base.update(values)
    return client.call(
        [f"{ids.EX_FIGURE}.figure", f"{ids.EX_PREDICTIONS}.children", f"{ids.EX_MESSAGE}.children"],
        base,
    )


def test_import_builds_nothing():
    import subprocess
    import sys

    code = (
        "import sys, deepmotif.dashboard as d; "
        "print(any(m in sys.modules for m in ('dash', 'torch', 'plotly')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_page_and_layout(client):
    status, page = client.get("/")
    assert status == 200 and b"deepmotif dashboard" in page
    assert b"https://" not in page and b"http://" not in page  # everything served locally
    status, layout = client.get("/_dash-layout")
    text = layout.decode()
    for cid in (ids.DATASET, ids.OV_TABLE, ids.EX_FIGURE, ids.OPT_CONTENT, ids.MO_TABLE):
        assert f'"{cid}"' in text
    assert '"TOY"' in text


def test_overview_callback_curves_match_roc_csv(client, bench):
    import pandas as pd

    out = client.call(
        [
            f"{ids.OV_ROC}.figure",
            f"{ids.OV_PR}.figure",
            f"{ids.OV_HISTORY}.figure",
            f"{ids.OV_MESSAGE}.children",
            f"{ids.OV_TABLE}.style_data_conditional",
        ],
        {f"{ids.DATASET}.value": "TOY"},
    )
    roc = out[f"{ids.OV_ROC}.figure"]
    names = [t["name"] for t in roc["data"] if t.get("name")]
    assert [n.split()[0] for n in names] == ["cnn", "rnn", "cnn-rnn"]
    ref = pd.read_csv(bench / "TOY" / "rnn" / "roc.csv")
    ref = ref[ref["split"] == "test"]
    rnn = roc["data"][1]
    x = rnn["x"] if isinstance(rnn["x"], list) else None
    if x is None:  # plotly >= 6 sends typed arrays
        import base64

        x = np.frombuffer(base64.b64decode(rnn["x"]["bdata"]), dtype=rnn["x"]["dtype"]).tolist()
    np.testing.assert_allclose(x, ref["fpr"].to_numpy())


def test_explorer_options_orders_and_render(client, app):
    out = client.call(
        [f"{ids.EX_SEQUENCE}.options", f"{ids.EX_SEQUENCE}.value"],
        {
            f"{ids.DATASET}.value": "TOY",
            f"{ids.ARCH}.value": "cnn",
            f"{ids.EX_ORDER}.value": "wrong",
            f"{ids.EX_LABEL}.value": "all",
        },
        trigger=f"{ids.EX_ORDER}.value",
    )
    table = app.store.test_table("TOY/cnn")
    s, y = table["score"].to_numpy(float), table["label"].to_numpy(int)
    worst = table["id"].iloc[int(np.argmax(np.abs(s - y)))]
    assert out[f"{ids.EX_SEQUENCE}.value"] == worst
    assert len(out[f"{ids.EX_SEQUENCE}.options"]) == len(table)

    res = _render(client, **{f"{ids.EX_SEQUENCE}.value": worst})
    fig = res[f"{ids.EX_FIGURE}.figure"]
    names = [t.get("name") for t in fig["data"]]
    assert names == ["saliency", "temporal"]
    assert fig["data"][0]["y"] == [
        f"cnn ({s[int(np.argmax(np.abs(s - y)))]:.2f})",
        "rnn",
        "cnn-rnn",
    ] or fig["data"][0]["y"][0].startswith("cnn (")
    assert worst in json.dumps(res[f"{ids.EX_PREDICTIONS}.children"], ensure_ascii=False)


def test_step_buttons_and_go_to_number(client):
    options = [
        {"label": "#1 · a · bound · 0.9", "value": "a"},
        {"label": "#2 · b · bound · 0.8", "value": "b"},
        {"label": "#7 · c · unbound · 0.1", "value": "c"},
    ]
    vals = {
        f"{ids.EX_SEQUENCE}.value": "c",
        f"{ids.EX_SEQUENCE}.options": options,
        f"{ids.EX_INDEX}.value": 2,
    }
    out = client.call([f"{ids.EX_SEQUENCE}.value"], vals, trigger=f"{ids.EX_NEXT}.n_clicks")
    assert out == {f"{ids.EX_SEQUENCE}.value": "a"}  # wraps around
    out = client.call([f"{ids.EX_SEQUENCE}.value"], vals, trigger=f"{ids.EX_PREV}.n_clicks")
    assert out == {f"{ids.EX_SEQUENCE}.value": "b"}
    vals[f"{ids.EX_INDEX}.value"] = 7
    out = client.call([f"{ids.EX_SEQUENCE}.value"], vals, trigger=f"{ids.EX_INDEX}.value")
    assert out == {f"{ids.EX_SEQUENCE}.value": "c"}


def test_paste_valid_and_invalid(client, monkeypatch):
    H.install_fake_explain(monkeypatch)
    bad = _render(
        client,
        **{
            f"{ids.EX_SOURCE}.value": "paste",
            f"{ids.EX_EXPLAIN}.n_clicks": 1,
            f"{ids.EX_PASTE}.value": "ACGTQ" * 5,
        },
    )
    assert "position 5: 'Q' is not a DNA letter" in json.dumps(
        bad[f"{ids.EX_MESSAGE}.children"], ensure_ascii=False
    )
    assert bad[f"{ids.EX_PREDICTIONS}.children"] is None
    good = _render(
        client,
        **{
            f"{ids.EX_SOURCE}.value": "paste",
            f"{ids.EX_EXPLAIN}.n_clicks": 1,
            f"{ids.EX_PASTE}.value": ">mine\n" + "ACGT" * 25 + "A",
        },
    )
    fig = good[f"{ids.EX_FIGURE}.figure"]
    assert [t["name"] for t in fig["data"]] == ["saliency", "temporal"]
    assert "101 bp" in json.dumps(good[f"{ids.EX_PREDICTIONS}.children"], ensure_ascii=False)
    long = _render(
        client,
        **{
            f"{ids.EX_SOURCE}.value": "paste",
            f"{ids.EX_EXPLAIN}.n_clicks": 1,
            f"{ids.EX_PASTE}.value": "A" * 1500,
        },
    )
    assert "at most 1000 bp" in json.dumps(long[f"{ids.EX_MESSAGE}.children"], ensure_ascii=False)


def test_csv_download_values(client, app):
    sid = app.store.test_table("TOY/cnn")["id"].iloc[2]
    out = client.call(
        [f"{ids.EX_CSV}.data"],
        {
            f"{ids.EX_CSV_BUTTON}.n_clicks": 1,
            f"{ids.EX_SOURCE}.value": "test",
            f"{ids.DATASET}.value": "TOY",
            f"{ids.ARCH}.value": "cnn",
            f"{ids.EX_SEQUENCE}.value": sid,
        },
    )
    data = out[f"{ids.EX_CSV}.data"]
    assert data["filename"] == f"deepmotif_TOY_{sid}.csv"
    lines = data["content"].splitlines()
    header = lines[0].split(",")
    assert (
        header[:2] == ["position", "base"] and "cnn_saliency" in header and "rnn_forward" in header
    )
    g = H.gradient_values(len(app.store.test_table("TOY/cnn")), H.LENGTH, 0)[2]
    first = dict(zip(header, lines[1].split(",")))
    assert float(first["cnn_gradient_G"]) == pytest.approx(float(g[2, 0]), rel=1e-5)


def test_motifs_table_and_detail(client):
    out = client.call(
        [
            f"{ids.MO_TABLE}.data",
            f"{ids.MO_TABLE}.columns",
            f"{ids.MO_TABLE}.active_cell",
            f"{ids.MO_LINKS}.children",
            f"{ids.MO_MESSAGE}.children",
        ],
        {f"{ids.DATASET}.value": "TOY", f"{ids.ARCH}.value": "cnn"},
    )
    rows = out[f"{ids.MO_TABLE}.data"]
    assert [r["target_name"] for r in rows] == ["CTCF", "Runx1", "SP1"]
    links = json.dumps(out[f"{ids.MO_LINKS}.children"], ensure_ascii=False)
    assert "/download?run=TOY%2Fcnn&file=motifs%2Fmotifs.meme" in links
    detail = client.call(
        [f"{ids.MO_DETAIL}.children"],
        {
            f"{ids.MO_TABLE}.active_cell": {"row": 0, "column": 0, "row_id": "0"},
            f"{ids.MO_TABLE}.data": rows,
            f"{ids.DATASET}.value": "TOY",
            f"{ids.ARCH}.value": "cnn",
        },
    )
    text = json.dumps(detail, ensure_ascii=False)
    assert text.count("data:image/png;base64,") == 2 and "JASPAR MA0139.2 CTCF" in text
    missing = client.call(
        [
            f"{ids.MO_TABLE}.data",
            f"{ids.MO_TABLE}.columns",
            f"{ids.MO_TABLE}.active_cell",
            f"{ids.MO_LINKS}.children",
            f"{ids.MO_MESSAGE}.children",
        ],
        {f"{ids.DATASET}.value": "TOY", f"{ids.ARCH}.value": "rnn"},
    )
    assert "no motifs/matches.tsv" in json.dumps(
        missing[f"{ids.MO_MESSAGE}.children"], ensure_ascii=False
    )


def test_optimization_tab_precomputed_logo_and_matches(client, monkeypatch):
    H.install_fake_explain(monkeypatch)  # the rnn and cnn-rnn have no optimize.npz
    out = client.call(
        [f"{ids.OPT_CONTENT}.children"],
        {f"{ids.TABS}.value": ids.TAB_OPTIMIZATION, f"{ids.DATASET}.value": "TOY"},
    )
    text = json.dumps(out, ensure_ascii=False)
    assert "cnn · best logit 0.97" in text and "optimised input of 60 bp (precomputed)" in text
    assert "optimised input, positions 15–34" in text  # the planted 8-mer centred in 20 columns
    assert (
        "rnn · best logit 0.99" in text
        and "optimised input of 60 bp (computed: 16 restarts x 300 steps)" in text
    )
    assert text.count("data:image/png;base64,") >= 4


def test_downloads_only_allowlisted_files_inside_runs(client, bench):
    status, body = client.get("/download?run=TOY%2Fcnn&file=motifs%2Fmatches.tsv")
    assert status == 200 and body == (bench / "TOY" / "cnn" / "motifs" / "matches.tsv").read_bytes()
    secret = bench.parent / "secret.txt"
    secret.write_text("SECRET")
    attempts = [
        "/download?run=TOY%2Fcnn&file=..%2F..%2F..%2Fsecret.txt",
        "/download?run=TOY%2Fcnn&file=%2Fetc%2Fpasswd",
        "/download?run=..%2F..&file=config.json",
        "/download?run=TOY%2Fcnn&file=model.safetensors",
        "/download?run=TOY%2Fcnn&file=motifs%2F..%2F..%2F..%2F..%2Fsecret.txt",
        "/download",
        "/assets/../../secret.txt",
        "/assets/..%2F..%2Fsecret.txt",
        "/_dash-component-suites/dash/..%2F..%2F..%2F..%2Fsecret.txt",
        "/_dash-component-suites/dash/../../../../etc/passwd",
        "/" + str(secret),
        "/static/app.py",
        "/static/..%2F..%2Fsecret.txt",
        "/static/../../secret.txt",
        "/..%2f..%2f..%2fetc%2fpasswd",
    ]
    for path in attempts:
        status, body = client.get(path)
        assert b"SECRET" not in body and b"root:" not in body, path
        assert status in (400, 404) or (status == 200 and b"react-entry-point" in body), (
            path,
            status,
        )


def test_broken_runs_show_a_message_in_the_page(tmp_path, bench):
    root = H.copy_runs(bench, tmp_path / "b")
    (root / "TOY" / "rnn" / "config.json").write_text("{oops")
    (root / "TOY" / "cnn-rnn" / "test.tsv").unlink()
    (root / "TOY" / "cnn-rnn" / "roc.csv").write_text("garbage,\n\x00\x01")
    app = create_app([root])
    c = DashClient(flask_client=app.server.test_client())
    status, layout = c.get("/_dash-layout")
    assert status == 200 and "not valid JSON" in layout.decode()
    out = c.call(
        [
            f"{ids.OV_ROC}.figure",
            f"{ids.OV_PR}.figure",
            f"{ids.OV_HISTORY}.figure",
            f"{ids.OV_MESSAGE}.children",
            f"{ids.OV_TABLE}.style_data_conditional",
        ],
        {f"{ids.DATASET}.value": "TOY"},
    )
    assert "roc.csv" in json.dumps(out[f"{ids.OV_MESSAGE}.children"], ensure_ascii=False)
    # the explorer falls back to the cnn test set; a missing run is a message, not a crash
    res = _render(c, **{f"{ids.EX_SEQUENCE}.value": "no-such-id"})
    assert "no test sequence 'no-such-id'" in json.dumps(
        res[f"{ids.EX_MESSAGE}.children"], ensure_ascii=False
    )


def test_server_binds_loopback_and_answers(app):
    srv = start_background(app)
    try:
        assert srv.host == "127.0.0.1" and srv.url.startswith("http://127.0.0.1:")
        c = DashClient(srv.url)
        status, page = c.get("/")
        assert status == 200 and b"react-entry-point" in page
        # a request naming another host (DNS rebinding) is refused
        status, body = c.request("GET", "/_dash-layout", headers={"Host": "evil.example:80"})
        assert status == 403 and b"unexpected Host header" in body
        status, _ = c.request("GET", "/_dash-layout", headers={"Host": f"localhost:{srv.port}"})
        assert status == 200
        c.close()
    finally:
        srv.stop()


def test_port_in_use_is_a_clear_error(app):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        with pytest.raises(DeepMotifError, match=f"port {port} on 127.0.0.1 is in use"):
            start_background(app, port=port)


def test_serve_warns_when_not_loopback(monkeypatch, capsys, bench):
    from deepmotif.dashboard import app as app_mod

    class _Fake:
        server_port = 9999

        def serve_forever(self):
            raise KeyboardInterrupt

        def server_close(self):
            pass

    monkeypatch.setattr(app_mod, "_make_server", lambda app, host, port: _Fake())
    seen = []
    app_mod.serve([bench], host="0.0.0.0", port=9999, ready=seen.append)
    out = capsys.readouterr()
    assert "listening on 0.0.0.0, so other machines can reach it" in out.err
    assert seen == ["http://0.0.0.0:9999/"]
    app_mod.serve([bench], host="127.0.0.1", port=9999)
    out = capsys.readouterr()
    assert "other machines" not in out.err and "open http://127.0.0.1:9999/" in out.out
    assert _is_loopback("localhost") and _is_loopback("::1") and not _is_loopback("192.168.1.2")


def test_cli_dashboard_and_report_errors(tmp_path, capsys):
    from deepmotif.cli import main

    assert main(["dashboard", str(tmp_path / "nope")]) == 1
    assert "no such file or directory" in capsys.readouterr().err
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "no" / "r.html")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["dashboard", "--help"]) == 0
    assert "127.0.0.1" in capsys.readouterr().out


def test_one_device_setting_reaches_the_store(monkeypatch, bench):
    """``deepmotif dashboard --device`` reaches serve() and the store, whose models predict,
    explain and optimise there; a device that is not one fails before serving."""
    from deepmotif.cli import main
    from deepmotif.dashboard import app as app_mod

    seen = {}

    def fake_serve(paths, **kw):
        seen.update(kw)

    monkeypatch.setattr(app_mod, "serve", fake_serve)
    assert main(["dashboard", str(bench), "--device", "cpu"]) == 0
    assert seen["device"] == "cpu"
    app = create_app([bench], device="cpu")
    assert str(app.store.torch_device()) == "cpu"
    assert next(app.store.model("TOY/cnn").parameters()).device.type == "cpu"
    with pytest.raises(DeepMotifError, match="not a device"):
        create_app([bench], device="abacus")


def test_unexpected_errors_become_a_message_not_a_500(client, app, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    sid = app.store.test_table("TOY/cnn")["id"].iloc[0]
    monkeypatch.setattr(app.store, "explain_test", boom)
    res = _render(client, **{f"{ids.EX_SEQUENCE}.value": sid})
    text = json.dumps(res[f"{ids.EX_MESSAGE}.children"])
    assert "internal error: RuntimeError: disk on fire (details in the server log)" in text
