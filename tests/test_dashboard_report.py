"""The static HTML report: self-contained (no web address, no external resource), with the
overview, sequences, optimization logos and motif tables."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest

import tests.test_dashboard_helpers as H
from deepmotif.dashboard.report import choose_sequences, write_report


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "data", "poster"):
                self.refs.append((tag, name, value))


@pytest.fixture(scope="module")
def report(bench, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    write_report([bench], out, n_sequences=1, compute=False)
    return out.read_text(encoding="utf-8")


def test_report_has_no_web_address_and_only_inline_resources(report):
    assert not re.search(r"https?://", report, flags=re.I)
    assert "<link" not in report and "<script" not in report
    parser = _Refs()
    parser.feed(report)
    assert parser.refs, "the report embeds its figures"
    for tag, name, value in parser.refs:
        assert value.startswith("data:image/png;base64,") or value.startswith("#"), (
            tag,
            name,
            value[:60],
        )
    # the embedded images are PNGs without the software text chunk
    for uri in re.findall(r'src="data:image/png;base64,([^"]+)"', report):
        png = base64.b64decode(uri)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and b"matplotlib" not in png


def test_report_content(report, bench):
    import pandas as pd

    assert "<h2>TOY</h2>" in report
    # overview values: the cnn's test AUROC rounded as in the table
    auroc = pd.read_json(bench / "TOY" / "cnn" / "metrics.json")["test"]["auroc"]
    assert f"{auroc:.3f}" in report
    assert "DeepBind* AUROC (published)" in report and "0.931" in report
    # one sequence panel, the optimization of the cnn (precomputed) and the rnn's missing one
    assert report.count("explanations</h4>") == 0 and report.count('alt="s') >= 1
    assert "optimised input, positions 15–34" in report  # the 8-bp motif centred
    assert "rnn: class optimization not precomputed (computing is off)" in report
    # motif tables: the cnn's three matches, the rnn has none
    assert "CTCF" in report and "MA0079.5" in report
    assert "no motifs/matches.tsv" in report


def test_choose_sequences(bench):
    from deepmotif.dashboard.data import RunStore

    store = RunStore([bench])
    table = store.test_table("TOY/cnn")
    best_bound = (
        table[table["label"] == 1]
        .sort_values("score", ascending=False, kind="stable")["id"]
        .iloc[0]
    )
    chosen = choose_sequences(store, "TOY", n=2)
    assert chosen[0] == best_bound and len(chosen) == 2
    assert choose_sequences(store, "TOY", sequences=["nope", table["id"].iloc[5]]) == [
        table["id"].iloc[5]
    ]


def test_report_command(bench, tmp_path, capsys, monkeypatch):
    from deepmotif.cli import main

    H.install_fake_explain(monkeypatch)
    out = tmp_path / "r.html"
    sid = "s1"
    assert (
        main(["report", str(bench), "--out", str(out), "--sequence", sid, "--motif-rows", "2"]) == 0
    )
    assert "report:" in capsys.readouterr().out
    text = out.read_text()
    assert not re.search(r"https?://", text, flags=re.I)
    # on demand: the cnn-rnn's explanations and the rnn's optimization were computed
    assert "class optimization not precomputed" not in text
    assert "2 of 3 matches, best first" in text


def test_report_never_overwrites_without_force_nor_a_run_file(bench, tmp_path, capsys):
    import shutil

    from deepmotif.cli import main

    out = tmp_path / "r.html"
    out.write_text("keep me")
    args = ["report", str(bench), "--no-compute", "--motif-rows", "1"]
    assert main([*args, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "already exists; pass --force" in err and err.count("\n") == 1
    assert out.read_text() == "keep me"
    assert main([*args, "--out", str(out), "--force"]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    run = tmp_path / "run"
    shutil.copytree(bench / "TOY" / "cnn", run)
    before = (run / "config.json").read_bytes()
    assert main([*args, "--out", str(run / "config.json"), "--force"]) == 1
    assert "is a file of the run" in capsys.readouterr().err
    assert (run / "config.json").read_bytes() == before


def test_report_says_how_training_went(bench, tmp_path):
    """A run whose metrics.json says the epoch limit cut it short, or that it never left its
    plateau, gets a Training note in its dataset's section; a run without either gets none."""
    import json
    import shutil

    copy = tmp_path / "bench"
    shutil.copytree(bench, copy)
    for metrics_file in copy.glob("TOY/*/metrics.json"):  # the toy runs train a few epochs
        metrics = json.loads(metrics_file.read_text())
        metrics_file.write_text(json.dumps({**metrics, "still_learning": False, "plateau": False}))
    out = tmp_path / "plain.html"
    write_report([copy], out, n_sequences=0, compute=False)
    assert "<b>Training:</b>" not in out.read_text(encoding="utf-8")
    metrics_file = copy / "TOY" / "rnn" / "metrics.json"
    metrics = json.loads(metrics_file.read_text())
    from deepmotif.training.health import still_learning_note

    cut = {"best_epoch": 60, "epochs": 60, "window": 15, "rise": 0.028}
    cut["note"] = still_learning_note(cut)  # as training writes it
    metrics_file.write_text(json.dumps({**metrics, "still_learning": cut, "plateau": False}))
    out = tmp_path / "cut.html"
    write_report([copy], out, n_sequences=0, compute=False)
    text = out.read_text(encoding="utf-8")
    assert "<b>Training:</b>" in text
    assert (
        "rnn: still learning when its epoch budget ended (best validation AUROC at epoch 60 of 60, up 0.028 over the last 15 epochs)"
        in text
    )
