"""The dashboard against careless and hostile input: malformed callback requests (4xx and one
log line, never a 500), several runs of one dataset and architecture (seeds), and hand-edited or
corrupt run files (the run shows its message, the rest of the page works)."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

import tests.test_dashboard_helpers as H
from deepmotif.dashboard import ids
from deepmotif.dashboard.app import create_app
from deepmotif.dashboard.data import RunStore
from tests.dash_client import DashClient

_ARCHS = [f"{ids.ARCH}.options", f"{ids.ARCH}.value"]
_SELECT = [f"{ids.DATASET}.value", f"{ids.ARCH}.value"]
_STEP = [f"{ids.EX_SEQUENCE}.value"]
_DETAIL = [f"{ids.MO_DETAIL}.children"]


def _post(client, body, content_type="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.request("POST", "/_dash-update-component", data, {"Content-Type": content_type})


def _edit(body, **changes):
    out = json.loads(json.dumps(body))
    out.update(changes)
    return out


def _with_value(body, where, index, value):
    out = json.loads(json.dumps(body))
    out[where][index]["value"] = value
    return out


# ------------------------------------------------------------------ malformed requests


def _malformed(client):
    """(name, body, content type) of requests Dash's page never sends."""
    archs = client.body(_ARCHS, {f"{ids.DATASET}.value": "TOY"})
    select = client.body(_SELECT, {}, trigger=f"{ids.OV_AUROC}.clickData")
    step = client.body(_STEP, {}, trigger=f"{ids.EX_INDEX}.value")
    deep = 30
    nested = {"a": 1}
    for _ in range(deep):
        nested = {"a": nested}
    js = "application/json"
    return [
        ("empty object", b"{}", js),
        ("list", b"[]", js),
        ("null", b"null", js),
        ("string", b'"hello"', js),
        ("number", b"12", js),
        ("empty body", b"", js),
        ("not JSON", b"{oops", js),
        ("not UTF-8", b"\xff\xfe\xfa", js),
        ("huge integer", b'{"output": ' + b"9" * 5000 + b"}", js),
        ("form post", b"output=x", "application/x-www-form-urlencoded"),
        ("deeply nested brackets", b"[" * 100_000 + b"]" * 100_000, js),
        ("deep nesting inside a value", _with_value(archs, "inputs", 0, nested), js),
        ("unknown output", _edit(archs, output="nope.children"), js),
        ("output not a string", _edit(archs, output=["x"]), js),
        ("outputs missing", _edit(archs, outputs=None), js),
        ("outputs of another callback", _edit(archs, outputs=select["outputs"]), js),
        ("inputs not a list", _edit(archs, inputs="x"), js),
        ("inputs missing", {k: v for k, v in archs.items() if k != "inputs"}, js),
        ("too many inputs", _edit(archs, inputs=archs["inputs"] * 2), js),
        ("input of another component", _edit(archs, inputs=[{"id": "x", "property": "value"}]), js),
        ("state not a list", _edit(archs, state={"a": 1}), js),
        ("changedPropIds not strings", _edit(archs, changedPropIds=[1]), js),
        ("dropdown value an object", _with_value(archs, "inputs", 0, {"a": 1}), js),
        ("dropdown value not finite", _nan(archs), js),
        ("clickData a string", _with_value(select, "inputs", 0, "x"), js),
        ("clickData points not a list", _with_value(select, "inputs", 0, {"points": 3}), js),
        ("active_cell a list", _with_value(select, "inputs", 1, [1, 2]), js),
        ("active_cell negative row", _with_value(select, "inputs", 1, {"row": -1, "column": 0}), js),
        ("n_clicks a string", _with_value(step, "inputs", 0, "x"), js),
        ("n_clicks negative", _with_value(step, "inputs", 0, -3), js),
        ("options a string", _with_value(step, "state", 1, "abc"), js),
        ("options without values", _with_value(step, "state", 1, [{"label": "x"}]), js),
        # well typed, but the callbacks cannot use them: the generic guard answers 400
        ("step: options plain strings", _with_value(_with_value(step, "inputs", 2, 3), "state", 1, ["a"]), js),
        ("step: number a word", _with_value(_with_value(step, "inputs", 2, "abc"), "state", 1, [{"label": "#1 s1", "value": "s1"}]), js),
    ]  # fmt: skip


def _nan(body) -> bytes:
    text = json.dumps(_with_value(body, "inputs", 0, "PLACEHOLDER"))
    return text.replace('"PLACEHOLDER"', "NaN").encode()


def test_every_malformed_request_is_a_4xx_with_one_log_line(client, caplog):
    for name, body, content_type in _malformed(client):
        caplog.clear()
        with caplog.at_level(logging.INFO):
            status, answer = _post(client, body, content_type)
        assert 400 <= status < 500, (name, status, answer[:200])
        lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(lines) == 1, (name, [r.getMessage() for r in lines])
        assert lines[0].getMessage().startswith("refused a callback request"), name
        assert lines[0].exc_info is None, name  # no traceback
        assert b"Traceback" not in answer, name


def test_valid_requests_still_work_and_odd_clicks_change_nothing(client):
    out = client.call(_ARCHS, {f"{ids.DATASET}.value": "TOY"})
    assert [o["value"] for o in out[f"{ids.ARCH}.options"]] == ["cnn", "rnn", "cnn-rnn"]
    click = f"{ids.OV_AUROC}.clickData"
    # a bar click selects its dataset and architecture
    got = client.call(
        _SELECT, {click: {"points": [{"customdata": ["TOY", "rnn"], "x": "TOY"}]}}, trigger=click
    )
    assert got == {f"{ids.DATASET}.value": "TOY", f"{ids.ARCH}.value": "rnn"}
    # clicks naming nothing known (no points, numbers, an unknown dataset) change nothing
    for value in (
        {"points": []},
        {"points": [{"customdata": [1, 2]}]},
        {"points": [{"customdata": ["NOPE", "cnn"]}]},
        {"points": [{"x": None}]},
    ):
        assert client.call(_SELECT, {click: value}, trigger=click) == {}, value
    cell = f"{ids.OV_TABLE}.active_cell"
    got = client.call(
        _SELECT,
        {cell: {"row": 0, "column": 1, "row_id": "TOY", "column_id": "cnn-rnn:auroc"}},
        trigger=cell,
    )
    assert got == {f"{ids.DATASET}.value": "TOY", f"{ids.ARCH}.value": "cnn-rnn"}
    assert client.call(_SELECT, {cell: {"row": 0, "column": 0, "row_id": 7}}, trigger=cell) == {}


def test_motif_detail_ignores_rows_of_the_wrong_shape(client):
    values = {
        f"{ids.MO_TABLE}.active_cell": {"row": 0, "column": 0, "row_id": 1},
        f"{ids.MO_TABLE}.data": [1, "x", None],
        f"{ids.DATASET}.value": "TOY",
        f"{ids.ARCH}.value": "cnn",
    }
    out = client.call(_DETAIL, values)
    assert "Click a row" in json.dumps(out)


# ------------------------------------------------------------------ seeds


def _seeded(bench, root):
    """TOY/cnn three times: seed 0 (the original), seed 7 with a known AUROC (the layout
    ``deepmotif benchmark`` writes: OUT/<dataset>/<arch>/seed<S>), and a plain copy of seed 0
    in a sibling folder (same dataset, architecture and seed); plus rnn once."""
    H.copy_runs(bench / "TOY" / "cnn", root / "TOY" / "cnn" / "seed0")
    H.copy_runs(bench / "TOY" / "rnn", root / "TOY" / "rnn")
    run = H.copy_runs(bench / "TOY" / "cnn", root / "TOY" / "cnn" / "seed7")
    cfg = json.loads((run / "config.json").read_text())
    cfg["seed"] = 7
    cfg["benchmark_dataset"] = "TOY"
    (run / "config.json").write_text(json.dumps(cfg))
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["test"]["auroc"], metrics["test"]["auprc"] = 0.875, 0.8
    (run / "metrics.json").write_text(json.dumps(metrics))
    matches = run / "motifs" / "matches.tsv"
    matches.write_text(matches.read_text().replace("CTCF", "CTCFL"))  # tell seed 7 apart
    copy = H.copy_runs(bench / "TOY" / "cnn", root / "copy" / "TOY" / "cnn")
    cfg = json.loads((copy / "config.json").read_text())
    assert cfg["seed"] == 0
    for seed0 in (root / "TOY" / "cnn" / "seed0", copy):
        c = json.loads((seed0 / "config.json").read_text())
        c["benchmark_dataset"] = "TOY"
        (seed0 / "config.json").write_text(json.dumps(c))
    return root


def test_store_keeps_seeds_apart_and_summarises_them(bench, tmp_path):
    root = _seeded(bench, tmp_path / "s")
    store = RunStore([root])
    assert [(r.key, r.name, r.seed) for r in store.runs] == [
        ("TOY/cnn seed 0", "cnn seed 0", 0),
        ("TOY/cnn seed 0 (2)", "cnn seed 0 (2)", 0),
        ("TOY/cnn seed 7", "cnn seed 7", 7),
        ("TOY/rnn", "rnn", 0),
    ]
    assert store.problems == []
    assert store.run_named("TOY", "cnn").name == "cnn seed 0"  # an architecture: its first seed
    assert store.run_named("TOY", "cnn seed 7").path.name == "seed7"
    assert store.run_named("TOY", "lstm") is None and store.run_named(None, "cnn") is None
    base = json.loads((bench / "TOY" / "cnn" / "metrics.json").read_text())["test"]
    aurocs = np.array([base["auroc"], base["auroc"], 0.875])
    auprcs = np.array([base["auprc"], base["auprc"], 0.8])
    seeds = store.seed_summary().set_index("arch")
    assert seeds.loc["cnn", "n_runs"] == 3 and seeds.loc["cnn", "n_seeds"] == 3
    assert seeds.loc["cnn", "auroc"] == pytest.approx(aurocs.mean())
    assert seeds.loc["cnn", "auroc_sd"] == pytest.approx(aurocs.std(ddof=1))
    assert seeds.loc["cnn", "auprc_sd"] == pytest.approx(auprcs.std(ddof=1))
    assert seeds.loc["cnn", "auroc_min"] == pytest.approx(aurocs.min())
    assert seeds.loc["cnn", "auroc_max"] == 0.875
    assert seeds.loc["rnn", "n_runs"] == 1 and np.isnan(seeds.loc["rnn", "auroc_sd"])
    # the explorer shows every seed, each its own explanation
    exps = store.explain_test("TOY", store.test_table("TOY/rnn")["id"].iloc[0])
    assert list(exps) == ["cnn seed 0", "cnn seed 0 (2)", "cnn seed 7", "rnn"]


def test_page_groups_seeds_and_each_stays_selectable(bench, tmp_path):
    root = _seeded(bench, tmp_path / "s")
    app = create_app([root])
    c = DashClient(flask_client=app.server.test_client())
    status, layout = c.get("/_dash-layout")
    assert status == 200
    table = _find(json.loads(layout), ids.OV_TABLE)
    row = table["data"][0]
    aurocs = np.array([r.metrics["test"]["auroc"] for r in app.store.runs[:3]])
    assert row["cnn:auroc"] == pytest.approx(aurocs.mean(), abs=1e-4)
    assert row["cnn:sd"] == pytest.approx(aurocs.std(ddof=1), abs=1e-4)
    assert row["cnn:n"] == 3 and row["rnn:n"] == 1 and row.get("rnn:sd") is None
    assert {"name": ["cnn", "± sd"], "id": "cnn:sd", "type": "numeric"} in table["columns"]
    # one bar per architecture (the mean) with the spread as its error bar
    bars = _find(json.loads(layout), ids.OV_AUROC)["figure"]["data"]
    cnn = next(b for b in bars if b["name"] == "cnn")
    assert cnn["y"][0] == pytest.approx(aurocs.mean())
    assert cnn["error_y"]["array"][0] == pytest.approx(aurocs.std(ddof=1))
    # the architecture menu lists each seed; choosing one shows that run
    out = c.call(_ARCHS, {f"{ids.DATASET}.value": "TOY"})
    names = [o["value"] for o in out[f"{ids.ARCH}.options"]]
    assert names == ["cnn seed 0", "cnn seed 0 (2)", "cnn seed 7", "rnn"]
    cell = f"{ids.OV_TABLE}.active_cell"
    got = c.call(
        _SELECT, {cell: {"row": 0, "column": 1, "row_id": "TOY", "column_id": "cnn:auroc"}}, cell
    )
    assert got[f"{ids.ARCH}.value"] == "cnn seed 0"
    motifs = c.call(
        [f"{ids.MO_TABLE}.data", f"{ids.MO_TABLE}.columns", f"{ids.MO_TABLE}.active_cell",
         f"{ids.MO_LINKS}.children", f"{ids.MO_MESSAGE}.children"],
        {f"{ids.DATASET}.value": "TOY", f"{ids.ARCH}.value": "cnn seed 7"},
    )  # fmt: skip
    assert {r["target_name"] for r in motifs[f"{ids.MO_TABLE}.data"]} >= {"CTCFL"}
    links = _find(motifs[f"{ids.MO_LINKS}.children"], None, prop="href")
    status, body = c.get(links[1])
    assert (
        status == 200
        and body == (root / "TOY" / "cnn" / "seed7" / "motifs" / "matches.tsv").read_bytes()
    )
    overview = c.call(
        [f"{ids.OV_ROC}.figure", f"{ids.OV_PR}.figure", f"{ids.OV_HISTORY}.figure",
         f"{ids.OV_MESSAGE}.children", f"{ids.OV_TABLE}.style_data_conditional"],
        {f"{ids.DATASET}.value": "TOY"},
    )  # fmt: skip
    legend = [t["name"] for t in overview[f"{ids.OV_ROC}.figure"]["data"] if "name" in t]
    assert [n.split(" (0")[0] for n in legend] == names  # one ROC curve per seed


def _find(tree, cid, prop=None):
    """The props of the component with id ``cid`` in a serialised Dash layout (with ``prop``:
    that property of every component holding it, in page order)."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop(0)
        if isinstance(node, dict):
            props = node.get("props", {})
            if prop is None and isinstance(props, dict) and props.get("id") == cid:
                return props
            if prop is not None and isinstance(props, dict) and prop in props:
                found.append(props[prop])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    if prop is not None:
        return found
    raise KeyError(cid)


def test_report_without_computing_over_seeds(bench, tmp_path, capsys):
    from deepmotif.cli import main

    root = _seeded(bench, tmp_path / "s")
    out = tmp_path / "r.html"
    assert main(["report", str(root), "--no-compute", "--n-sequences", "1", "--out", str(out)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    text = out.read_text()
    assert "cnn ± sd" in text and "cnn seeds" in text
    assert "<h4>cnn seed 7</h4>" in text or "<h4>cnn seed 7 " in text


# ------------------------------------------------------------------ corrupt run files


def _config(change):
    def edit(run):
        cfg = json.loads((run / "config.json").read_text())
        change(cfg)
        (run / "config.json").write_text(json.dumps(cfg))

    return edit


def _metrics(change):
    def edit(run):
        m = json.loads((run / "metrics.json").read_text())
        change(m)
        (run / "metrics.json").write_text(json.dumps(m))

    return edit


def _test_table(change):
    def edit(run):
        lines = (run / "test.tsv").read_text().splitlines()
        (run / "test.tsv").write_text("\n".join(change(lines)) + "\n")

    return edit


#: name -> (how the run is broken, what the page says about it[, which run: default rnn])
CORRUPT = {
    "metrics not JSON": (lambda r: (r / "metrics.json").write_text("{oops"), "metrics.json is not readable JSON"),
    "config without data": (_config(lambda c: c.pop("data")), None),
    "model a list": (_config(lambda c: c.update(model=[1, 2])), "'model' must be an object of model settings"),
    "hidden -1": (_config(lambda c: c["model"].update(hidden=-1)), "model setting 'hidden' of rnn must be a whole number"),
    "filters -1": (_config(lambda c: c["model"].update(filters=-1)), "model setting 'filters' of cnn must be a whole number", "cnn"),
    "data a string": (_config(lambda c: c.update(data="x")), "'data' must be an object describing the data"),
    "data.train a number": (_config(lambda c: c["data"].update(train=3)), "'data.train' must be an object describing a data file"),
    "arch a number": (_config(lambda c: c.update(arch=5)), "'arch' must be one of cnn, rnn, cnn-rnn"),
    "metrics test a list": (_metrics(lambda m: m.update(test=[1])), "metrics.json: 'test' must be an object of metrics"),
    "metrics auroc a word": (_metrics(lambda m: m["test"].update(auroc="high")), "'test.auroc' must be a number in [0, 1] or null"),
    "test.tsv missing columns": (_test_table(lambda ls: [ln.split("\t")[0] for ln in ls]), None),
    "test.tsv short row": (_test_table(lambda ls: ls[:2] + [ls[2].split("\t")[0]] + ls[3:]), None),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CORRUPT))
def test_a_corrupt_run_shows_its_message_and_the_rest_works(
    bench, tmp_path, case, caplog, monkeypatch
):
    root = H.copy_runs(bench, tmp_path / "b")
    breaks, message, *target = CORRUPT[case]
    breaks(root / "TOY" / (target[0] if target else "rnn"))
    H.install_fake_explain(monkeypatch)  # computing on demand: the stand-ins, in no time
    app = create_app([root])
    c = DashClient(flask_client=app.server.test_client())
    status, layout = c.get("/_dash-layout")
    assert status == 200, case
    page = json.loads(layout)
    if message:  # the run is broken: the page lists it with the message
        problems = json.dumps(_find(page, ids.PROBLEMS))
        assert message in problems and (target[0] if target else "rnn") in problems, case
    # the other runs are all there and their views work
    rows = _find(page, ids.OV_TABLE)["data"]
    assert isinstance(rows[0]["cnn-rnn:auroc"], float)
    with caplog.at_level(logging.WARNING):
        overview = c.call(
            [f"{ids.OV_ROC}.figure", f"{ids.OV_PR}.figure", f"{ids.OV_HISTORY}.figure",
             f"{ids.OV_MESSAGE}.children", f"{ids.OV_TABLE}.style_data_conditional"],
            {f"{ids.DATASET}.value": "TOY"},
        )  # fmt: skip
        names = [t.get("name", "") for t in overview[f"{ids.OV_ROC}.figure"]["data"]]
        assert any(n.startswith("cnn-rnn (") for n in names), case
        # the explorer, on the broken run's own test set, shows the others or says why not
        lines = (bench / "TOY" / "cnn" / "test.tsv").read_text().splitlines()
        sid = lines[2 if case == "test.tsv short row" else 1].split("\t")[0]
        base = {
            f"{ids.EX_SOURCE}.value": "paste" if case == "filters -1" else "test",
            f"{ids.EX_PASTE}.value": "ACGT" * 15,
            f"{ids.EX_EXPLAIN}.n_clicks": 1,
            f"{ids.EX_MODE}.value": "saliency",
            f"{ids.DATASET}.value": "TOY",
            f"{ids.ARCH}.value": "rnn",
            f"{ids.EX_SEQUENCE}.value": sid,
        }
        out = c.call(
            [
                f"{ids.EX_FIGURE}.figure",
                f"{ids.EX_PREDICTIONS}.children",
                f"{ids.EX_MESSAGE}.children",
            ],
            base,
        )
        shown = json.dumps(out[f"{ids.EX_MESSAGE}.children"])
        if case == "test.tsv missing columns":
            assert "TOY/rnn" in shown and "missing column(s) sequence, label, score" in shown, shown
        elif case == "test.tsv short row":
            assert "rnn/test.tsv: line 3 is short or has empty fields" in shown, shown
        else:  # the broken run is left out; the others are explained
            assert "internal error" not in shown
            assert len(json.dumps(out[f"{ids.EX_FIGURE}.figure"])) > 1000
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], case


def test_seed_folders_take_the_dataset_from_above_the_architecture(bench, tmp_path):
    """``train --out OUT/<dataset>/<arch>/seed<S>`` without a dataset in the config."""
    for seed in (1, 2):
        run = H.copy_runs(bench / "TOY" / "rnn", tmp_path / "CTCF" / "rnn" / f"seed{seed}")
        cfg = json.loads((run / "config.json").read_text())
        cfg["seed"] = seed
        (run / "config.json").write_text(json.dumps(cfg))
    store = RunStore([tmp_path])
    assert [r.key for r in store.runs] == ["CTCF/rnn seed 1", "CTCF/rnn seed 2"]
