"""The dataset and architecture menus in the header, and choosing them from the overview.

The architecture menu lists the runs of the chosen dataset by name (see
:attr:`~deepmotif.dashboard.data.RunInfo.name`): the architecture, or ``"<arch> seed <S>"``
when the dataset has several runs of it, so every seed can be chosen. A click on the overview's
bar chart or table chooses a dataset and (for an architecture) its first run; a click naming
nothing the store knows changes nothing.
"""

from __future__ import annotations

from deepmotif.dashboard import ids

__all__ = ["arch_options", "chosen_bar", "chosen_cell", "register"]


def arch_options(store, dataset):
    """The architecture menu of ``dataset``: one entry per run (seeds apart), by run name."""
    if not isinstance(dataset, str) or not dataset:
        return []
    return [
        {"label": r.name if r.finished else f"{r.name} ({r.status})", "value": r.name}
        for r in store.runs_for(dataset)
    ]


def register(app, store) -> None:
    from dash import Input, Output, State, callback_context, no_update

    @app.callback(
        Output(ids.ARCH, "options"),
        Output(ids.ARCH, "value"),
        Input(ids.DATASET, "value"),
        State(ids.ARCH, "value"),
    )
    def _archs(dataset, current):
        options = arch_options(store, dataset)
        values = [o["value"] for o in options]
        return options, (current if current in values else (values[0] if values else None))

    @app.callback(
        Output(ids.DATASET, "value", allow_duplicate=True),
        Output(ids.ARCH, "value", allow_duplicate=True),
        Input(ids.OV_AUROC, "clickData"),
        Input(ids.OV_TABLE, "active_cell"),
        State(ids.DATASET, "value"),
        prevent_initial_call=True,
    )
    def _select(click, cell, dataset):
        trigger = callback_context.triggered[0]["prop_id"] if callback_context.triggered else ""
        if trigger.startswith(ids.OV_AUROC):
            return chosen_bar(store, click)
        if trigger.startswith(ids.OV_TABLE):
            return chosen_cell(store, cell)
        return no_update, no_update


def chosen_bar(store, click):
    """Dataset and run chosen by a click on the overview's bar chart (``no_update`` when the
    click names no known dataset)."""
    from dash import no_update

    points = click.get("points") if isinstance(click, dict) else None
    point = points[0] if isinstance(points, list) and points else None
    if not isinstance(point, dict):
        return no_update, no_update
    data = point.get("customdata")
    if isinstance(data, list) and len(data) == 2:
        dataset, arch = data
    else:
        dataset, arch = point.get("x"), None
    if not isinstance(dataset, str) or dataset not in store.datasets():
        return no_update, no_update
    run = store.run_named(dataset, arch) if isinstance(arch, str) else None
    return dataset, (run.name if run is not None else no_update)


def chosen_cell(store, cell):
    """Dataset (and, for a metric cell, run) chosen by a click on the overview's table."""
    from dash import no_update

    if not isinstance(cell, dict):
        return no_update, no_update
    dataset = cell.get("row_id")
    if not isinstance(dataset, str) or dataset not in store.datasets():
        return no_update, no_update
    column = cell.get("column_id")
    arch = column.split(":", 1)[0] if isinstance(column, str) and ":" in column else None
    run = store.run_named(dataset, arch) if arch else None
    return dataset, (run.name if run is not None else no_update)
