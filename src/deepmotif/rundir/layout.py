"""The run directory's layout: every file name in one place.

A run directory (``RUN/``)::

    config.json          resolved config: arch, model and training settings, data files with
                         sha256, seed, package versions, JASPAR release where used
    model.safetensors    the best weights (safetensors: loading never unpickles)
    metrics.json         {"test": {...}, "valid": {...}, "best_epoch", "epochs_run", "plateau",
                         "still_learning"}
                         -- written last: a run is finished iff this file exists
    history.csv          one row per epoch
    test.tsv             the test sequences with label and predicted probability
    roc.csv, pr.csv      curves (split column: valid / test), and roc.png, pr.png
    checkpoint.pt        only while training (tensors and numbers only; weights_only loading)
    explain/<method>.npz explanations written by the quickstart (and read by the dashboard)
    explain/figures/     their figures
    motifs/              ``deepmotif motifs`` results: motifs.meme, matches.tsv, motifs.json
                         (written last), logos
    audit/               ``deepmotif audit`` results: audit.tsv, agreement.tsv, hits.tsv
                         (hits.bed), audit.json, audit.png/.svg -- written as one folder
    dependencies/        motif-dependency results (dependencies.tsv, dependencies.json)

Other modules name these files through the constants and helpers here, never as literals.
"""

from __future__ import annotations

from pathlib import Path

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
METRICS = "metrics.json"
HISTORY = "history.csv"
TEST_TABLE = "test.tsv"
CHECKPOINT = "checkpoint.pt"
ROC = "roc"  # roc.csv, roc.png
PR = "pr"  # pr.csv, pr.png
EXPLAIN_DIR = "explain"
EXPLAIN_FIGURES = "explain/figures"
MOTIFS_DIR = "motifs"
MOTIFS_MEME = "motifs.meme"
MOTIFS_MATCHES = "matches.tsv"
MOTIFS_JSON = "motifs.json"
#: The motif result files; ``motifs.json`` is written last and marks them complete.
MOTIF_FILES = (MOTIFS_MEME, MOTIFS_MATCHES, MOTIFS_JSON)
AUDIT_DIR = "audit"
AUDIT_TABLE = "audit.tsv"
AUDIT_AGREEMENT = "agreement.tsv"
AUDIT_HITS = "hits.tsv"
AUDIT_HITS_BED = "hits.bed"
AUDIT_JSON = "audit.json"
AUDIT_FIGURE = "audit"  # audit.png, audit.svg
DEPENDENCIES_DIR = "dependencies"

#: The files a finished run holds (``metrics.json`` is written last).
FINISHED_FILES = (CONFIG, WEIGHTS, METRICS)


def explain_file(run, method: str) -> Path:
    """``RUN/explain/<method>.npz``: where a run keeps the explanation of ``method``."""
    return Path(run) / EXPLAIN_DIR / f"{method}.npz"


def motifs_dir(run) -> Path:
    """``RUN/motifs``: where ``deepmotif motifs`` writes a run's motifs by default."""
    return Path(run) / MOTIFS_DIR


def motifs_finished(folder) -> bool:
    """True when ``folder`` holds finished motif results (its completion marker, motifs.json).

    Readers treat a folder without it as holding no results.
    """
    return (Path(folder) / MOTIFS_JSON).is_file()


def motif_file(run, name: str) -> Path:
    """``RUN/motifs/<name>`` (``name`` one of :data:`MOTIF_FILES`)."""
    return motifs_dir(run) / name


def audit_dir(run) -> Path:
    """``RUN/audit``: where ``deepmotif audit`` writes a run's audit by default."""
    return Path(run) / AUDIT_DIR
