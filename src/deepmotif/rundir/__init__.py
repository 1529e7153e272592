"""The run directory: one owner for its layout, its reading and its writing.

Everything that reads or writes a run (training, explanations, motifs, plots, the dashboard,
the benchmark, the quickstart) goes through this room: file names from
:mod:`~deepmotif.rundir.layout`, reading and loading from :mod:`~deepmotif.rundir.run`,
streamed ``.npz`` results from :mod:`~deepmotif.rundir.npz`, and the package's one atomic write
(:mod:`deepmotif.atomic`, re-exported here). It imports nothing from ``training``.
"""

from deepmotif.atomic import (
    atomic_dir,
    atomic_files,
    atomic_group,
    atomic_path,
    clean_stale,
    foreign_entries,
    write_json,
)
from deepmotif.rundir.layout import (
    CHECKPOINT,
    CONFIG,
    EXPLAIN_DIR,
    EXPLAIN_FIGURES,
    HISTORY,
    METRICS,
    MOTIF_FILES,
    MOTIFS_JSON,
    MOTIFS_MATCHES,
    MOTIFS_MEME,
    TEST_TABLE,
    WEIGHTS,
    explain_file,
    motif_file,
    motifs_dir,
    motifs_finished,
)
from deepmotif.rundir.run import (
    LoadedRun,
    load_run,
    package_versions,
    read_config,
    read_history,
    read_json,
    read_metrics,
    read_run_data,
    run_is_finished,
    sha256_file,
)

__all__ = [
    "CHECKPOINT",
    "CONFIG",
    "EXPLAIN_DIR",
    "EXPLAIN_FIGURES",
    "HISTORY",
    "METRICS",
    "MOTIF_FILES",
    "MOTIFS_JSON",
    "MOTIFS_MATCHES",
    "MOTIFS_MEME",
    "TEST_TABLE",
    "WEIGHTS",
    "LoadedRun",
    "atomic_dir",
    "atomic_files",
    "atomic_group",
    "atomic_path",
    "clean_stale",
    "explain_file",
    "foreign_entries",
    "load_run",
    "motif_file",
    "motifs_dir",
    "motifs_finished",
    "package_versions",
    "read_config",
    "read_history",
    "read_json",
    "read_metrics",
    "read_run_data",
    "run_is_finished",
    "sha256_file",
    "write_json",
]
