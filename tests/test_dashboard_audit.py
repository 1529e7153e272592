"""The audit in the dashboard and the report: the store's audit table, the Audit page, the
explorer's method selector (over the registry's attribution methods) and known-motif hits track,
a pasted sequence explained by every method, and the report's audit section."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tests.test_dashboard_helpers as H
from deepmotif.dashboard import ids

PLANTED = "CCGCGGGC"  # what the toy positives carry (tests/test_dashboard_helpers.py)


def _arr(value) -> np.ndarray:
    """A figure array as sent to the browser: a list, or plotly's typed array (base64)."""
    import base64

    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        if isinstance(shape, str):
            shape = [int(v) for v in shape.split(",")]
        return flat.reshape(shape) if shape is not None else flat
    return np.asarray(value, dtype=float)


def _w(L):
    return np.linspace(0.1, 1.0, L).astype(np.float32)


@pytest.fixture(scope="module")
def handmade():
    """An attribution method ``handmade`` whose map is ``X * w`` (w rising along the sequence),
    registered for this module and removed afterwards."""
    from deepmotif.explain import registry

    def compute(model, X, *, batch_size=None, device=None, verbose=False):
        X = np.asarray(X, dtype=np.float32)
        return {"attributions": X * _w(X.shape[-1])[None, None, :]}

    registry.register(
        registry.Method("handmade", "attribution", compute, ("attributions",), "hand-made map")
    )
    yield "handmade"
    registry._METHODS.pop("handmade", None)


@pytest.fixture(scope="module")
def bench(tmp_path_factory, handmade):
    """The toy runs; the cnn run with a motif file holding the planted 8-mer, planted sites, and
    an audit of saliency and the hand-made method."""
    from deepmotif.audit.run import audit_run
    from deepmotif.motifs.meme import write_meme

    src = H.trained_runs(tmp_path_factory.mktemp("dash"))
    bench = H.copy_runs(src, tmp_path_factory.mktemp("audit") / "bench")
    cnn = bench / H.DATASET / "cnn"
    pwm = np.full((4, 8), 0.01)
    for j, c in enumerate(PLANTED):
        pwm["ACGT".index(c), j] = 0.97
    write_meme(cnn / "motifs" / "motifs.meme", {"planted": pwm})
    test = pd.read_csv(cnn / "test.tsv", sep="\t", dtype={"id": str})
    rows = []
    for sid, seq, y in zip(test["id"], test["sequence"], test["label"]):
        p = seq.find(PLANTED)
        if y == 1 and p >= 0:
            rows.append((sid, p, p + len(PLANTED), "target"))
    sites = pd.DataFrame(rows, columns=["seq_id", "start", "end", "role"])
    truth = bench / "sites.tsv"
    sites.to_csv(truth, sep="\t", index=False)
    audit_run(cnn, truth=truth, methods=["saliency", "handmade"], verbose=False)
    return bench


def _audited(bench) -> pd.DataFrame:
    return pd.read_csv(bench / H.DATASET / "cnn" / "audit" / "audit.tsv", sep="\t")


def test_store_audit_table_is_the_runs_audit_files(app, bench):
    table = app.store.audit_table(H.DATASET)
    assert table["arch"].tolist() == ["cnn", "cnn"]  # the other runs have no audit
    want = _audited(bench)
    assert table["method"].tolist() == want["method"].tolist() == ["saliency", "handmade"]
    np.testing.assert_allclose(table["interpretation_auroc"], want["interpretation_auroc"])
    assert table["interpretation_auroc"].between(0, 1).all()


def test_audit_page_shows_table_bars_and_chance(client, bench):
    out = client.call(
        [f"{ids.AU_MESSAGE}.children", f"{ids.AU_TABLE}.children", f"{ids.AU_FIGURE}.figure"],
        {f"{ids.DATASET}.value": H.DATASET},
    )
    want = _audited(bench)
    fig = out[f"{ids.AU_FIGURE}.figure"]
    bars = [t for t in fig["data"] if t["type"] == "bar"]
    auroc = bars[0]  # first panel: interpretation AUROC of the cnn run
    assert auroc["name"] == "cnn" and auroc["x"] == ["saliency", "handmade"]
    np.testing.assert_allclose(_arr(auroc["y"]), want["interpretation_auroc"], rtol=1e-5)
    text = str(out[f"{ids.AU_TABLE}.children"])
    assert "handmade" in text and "chance 0.500" in text
    chance = f"chance {want['auprc_chance'].iloc[0]:.3f}"
    assert chance in text
    # a dataset without audits says how to make one
    empty = client.call(
        [f"{ids.AU_MESSAGE}.children", f"{ids.AU_TABLE}.children", f"{ids.AU_FIGURE}.figure"],
        {f"{ids.DATASET}.value": "nosuch"},
    )
    assert "nosuch" in str(empty[f"{ids.AU_MESSAGE}.children"])


def _render(client, **values):
    base = {
        f"{ids.EX_SOURCE}.value": "test",
        f"{ids.EX_MODE}.value": "saliency",
        f"{ids.DATASET}.value": H.DATASET,
        f"{ids.ARCH}.value": "cnn",
        f"{ids.EX_METHOD}.value": "saliency",
    }
    base.update(values)
    out = client.call(
        [f"{ids.EX_FIGURE}.figure", f"{ids.EX_PREDICTIONS}.children", f"{ids.EX_MESSAGE}.children"],
        base,
    )
    return out[f"{ids.EX_FIGURE}.figure"]


def test_method_selector_lists_the_registry(client, handmade):
    from deepmotif.explain.registry import attribution_methods

    status, layout = client.get("/_dash-layout")
    assert status == 200
    text = layout.decode()
    assert f'"{ids.EX_METHOD}"' in text
    for name in attribution_methods():
        assert f'"value": "{name}"' in text or f'"value":"{name}"' in text
    assert "handmade" in attribution_methods()


def test_explorer_map_of_the_chosen_method_and_hits_track(client, bench):
    from deepmotif.explain.registry import attribution_methods

    hits = pd.read_csv(bench / H.DATASET / "cnn" / "audit" / "hits.tsv", sep="\t", dtype=str)
    assert len(hits) and set(hits["motif"]) == {"planted"}
    sid = hits["seq_id"].iloc[0]
    test = pd.read_csv(bench / H.DATASET / "cnn" / "test.tsv", sep="\t", dtype={"id": str})
    seq = test.loc[test["id"] == sid, "sequence"].iloc[0]
    fig = _render(client, **{f"{ids.EX_SEQUENCE}.value": sid, f"{ids.EX_METHOD}.value": "handmade"})
    names = [t["name"] for t in fig["data"]]
    assert names == ["handmade", "hits", "temporal"]
    heat = fig["data"][0]
    # the hand-made map at the base present is w (every base here is A, C, G or T)
    w = _w(len(seq))
    np.testing.assert_allclose(_arr(heat["customdata"])[0], w, rtol=1e-6)
    track = _arr(fig["data"][1]["z"])
    want = np.zeros(len(seq))
    for r in hits[hits["seq_id"] == sid].itertuples():
        want[int(r.start) : int(r.end)] = 1.0 if r.strand == "+" else -1.0
    np.testing.assert_array_equal(track[0], want)
    assert seq[int(hits["start"].iloc[0]) : int(hits["end"].iloc[0])] in (PLANTED, "GCCCGCGG")
    # every method at once: one panel each, the track under them
    fig = _render(client, **{f"{ids.EX_SEQUENCE}.value": sid, f"{ids.EX_METHOD}.value": "all"})
    assert [t["name"] for t in fig["data"]] == [*attribution_methods(), "hits", "temporal"]
    # gradient view of the hand-made method: its four rows per architecture
    fig = _render(
        client,
        **{
            f"{ids.EX_SEQUENCE}.value": sid,
            f"{ids.EX_METHOD}.value": "handmade",
            f"{ids.EX_MODE}.value": "gradient",
        },
    )
    heat = next(t for t in fig["data"] if t["name"] == "cnn handmade")
    onehot = np.array([[b == c for b in seq] for c in "ACGT"], dtype=float)
    np.testing.assert_allclose(_arr(heat["customdata"]), onehot * w, rtol=1e-6)


def test_pasted_sequence_gets_every_method_and_its_hits(client):
    from deepmotif.explain.registry import attribution_methods

    out = client.call(
        [f"{ids.EX_TEST_PANEL}.style", f"{ids.EX_PASTE_PANEL}.style", f"{ids.EX_METHOD}.value"],
        {f"{ids.EX_SOURCE}.value": "paste"},
    )
    assert out[f"{ids.EX_METHOD}.value"] == "all"
    pasted = "A" * 20 + PLANTED + "T" * 32
    fig = _render(
        client,
        **{
            f"{ids.EX_SOURCE}.value": "paste",
            f"{ids.EX_EXPLAIN}.n_clicks": 1,
            f"{ids.EX_PASTE}.value": pasted,
            f"{ids.EX_METHOD}.value": "all",
        },
    )
    names = [t["name"] for t in fig["data"]]
    assert names[: len(attribution_methods())] == list(attribution_methods())
    for t in fig["data"][: len(attribution_methods())]:
        assert len(t["y"]) == 3  # every architecture
    track = next(t for t in fig["data"] if t["name"] == "hits")
    z = _arr(track["z"])[0]
    assert np.nonzero(z)[0].tolist() == list(range(20, 28))


def test_report_has_the_audit_section(app, bench):
    from deepmotif.dashboard.report import _audit_section

    text = _audit_section(app.store)
    assert "Attribution audit" in text and "interpretation AUROC" in text
    want = _audited(bench)
    assert f"{want['interpretation_auroc'].iloc[0]:.3f}" in text
    assert f"interpretation AUPRC {want['auprc_chance'].iloc[0]:.3f}" in text  # chance
    assert "handmade" in text and "data:image/png;base64," in text
