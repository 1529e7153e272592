"""Packages whose public names are imported on first use (PEP 562), so that importing the
package (for the CLI's ``--help``, the dashboard, the registry) does not load torch."""

from __future__ import annotations

import importlib
import sys
import types


class _LazyPackage(types.ModuleType):
    """A package that keeps its exported functions when a submodule of the same name is
    imported: ``deepmotif.explain.saliency`` (the module) must not replace
    ``deepmotif.explain.saliency`` (the function) as the import system would."""

    def __setattr__(self, name: str, value) -> None:
        where = self.__dict__.get("_lazy_where", {})
        if (
            name in where
            and isinstance(value, types.ModuleType)
            and value.__name__ == f"{self.__name__}.{name}"
        ):
            return
        super().__setattr__(name, value)


def lazy_exports(package: str, where: dict[str, str]):
    """``(__getattr__, __dir__)`` for ``package``: a name of ``where`` (name -> module) is
    imported from its module when first read, then kept in the package. A submodule named
    like an exported name never shadows it."""
    module = sys.modules[package]
    module.__dict__["_lazy_where"] = dict(where)
    module.__class__ = _LazyPackage

    def __getattr__(name: str):
        if name in where:
            value = getattr(importlib.import_module(where[name]), name)
            module.__dict__[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*vars(module), *where})

    return __getattr__, __dir__
