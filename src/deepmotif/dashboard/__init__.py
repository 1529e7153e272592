"""The dashboard (Dash/Plotly) over one or many trained runs, and the static HTML report.

Layers: :mod:`~deepmotif.dashboard.ids` (component ids), :mod:`~deepmotif.dashboard.data`
(:class:`RunStore`, the data-access object, one submodule per concern: discovery, files,
explain, optimize, motifs, cache), :mod:`~deepmotif.dashboard.figures` (one function
per Plotly figure), one module per page (:mod:`overview`, :mod:`explorer`, :mod:`optimization`,
:mod:`motifs`), :mod:`selection` (the header's dataset and architecture menus),
:mod:`_safe` (the safety nets: callback requests of the wrong shape get a 400, a failing
callback or part of the page becomes a message), :mod:`~deepmotif.dashboard.app`
(:func:`create_app`, :func:`serve`) and :mod:`~deepmotif.dashboard.report`
(:func:`write_report`). Importing the package builds nothing and imports neither Dash nor torch.
"""

from __future__ import annotations

__all__ = ["RunStore", "create_app", "serve", "start_background", "write_report"]


def __getattr__(name):
    if name in ("create_app", "serve", "start_background"):
        from deepmotif.dashboard import app

        return getattr(app, name)
    if name == "RunStore":
        from deepmotif.dashboard.data import RunStore

        return RunStore
    if name == "write_report":
        from deepmotif.dashboard.report import write_report

        return write_report
    raise AttributeError(f"module 'deepmotif.dashboard' has no attribute {name!r}")
