"""The architecture names, defined once (torch-free, so the CLI and the dashboard import it
without loading torch). Models, plots, the dashboard, the CLI, the benchmark and the quickstart
all take the list and its order from here."""

from __future__ import annotations

#: The three Deep Motif Dashboard architectures, in the order they are shown everywhere.
ARCHS: tuple[str, ...] = ("cnn", "rnn", "cnn-rnn")

__all__ = ["ARCHS"]
