"""Packages whose public names are imported on first use (PEP 562), so that importing the
package (for the CLI's ``--help``, the dashboard, the registry) does not load torch."""

from __future__ import annotations

import importlib
import sys


def lazy_exports(package: str, where: dict[str, str]):
    """``(__getattr__, __dir__)`` for ``package``: a name of ``where`` (name -> module) is
    imported from its module when first read, then kept in the package."""

    def __getattr__(name: str):
        if name in where:
            value = getattr(importlib.import_module(where[name]), name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
