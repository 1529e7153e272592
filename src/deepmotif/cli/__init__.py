"""The ``deepmotif`` command line.

Each subcommand lives in its own module of this package and defines ``ORDER`` (its place in
``--help``), ``register(subparsers)`` and ``run(args) -> int``. The CLI stays thin: it parses,
then calls one library function. Torch is imported only inside ``run`` so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import pkgutil
import sys
import warnings

from deepmotif import __version__
from deepmotif.errors import DeepMotifError, DeepMotifWarning


def _commands():
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        mods.append(importlib.import_module(f"{__name__}.{info.name}"))
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr (no usage block)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="deepmotif",
        description="Train CNN / RNN / CNN-RNN models on TF binding sites, explain them, "
        "match their motifs to JASPAR, and browse it all in a dashboard.",
    )
    parser.add_argument("--version", action="version", version=f"deepmotif {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _commands():
        mod.register(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    stream = file or sys.stderr
    if issubclass(category, DeepMotifWarning):
        print(f"deepmotif: warning: {message}", file=stream)
    else:
        print(
            warnings.formatwarning(message, category, filename, lineno, line), end="", file=stream
        )


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse ``argv`` and run one subcommand; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 2
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    warnings.showwarning = _show_warning
    try:
        return int(args.run(args) or 0)
    except DeepMotifError as exc:
        print(f"deepmotif {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print(f"deepmotif {args.command}: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        from deepmotif.limits import ENV

        print(
            f"deepmotif {args.command}: error: out of memory; ask for less (fewer or shorter "
            f"sequences, a smaller model or batch), or free memory ({ENV} sets the limit "
            "deepmotif checks requests against)",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        print(f"deepmotif {args.command}: error: {os_error_line(exc)}", file=sys.stderr)
        return 1


#: What to add to the system's message for the errors a user can act on.
_ADVICE = {
    errno.ENOSPC: "free some space and run the command again",
    errno.EROFS: "write the output somewhere writable",
    errno.EDQUOT: "free some space and run the command again",
    errno.ENAMETOOLONG: "choose a shorter name",
}


def os_error_line(exc: OSError) -> str:
    """One line for any OSError: the file (its target, not a temporary name), the reason."""
    from deepmotif.atomic import target_name

    reason = exc.strerror or str(exc) or type(exc).__name__
    reason = " ".join(str(reason).split())
    advice = _ADVICE.get(exc.errno)
    if advice:
        reason = f"{reason} ({advice})"
    name = exc.filename
    if name is None:
        return reason
    name = target_name(name)
    text = f"{name}: {reason}"
    if exc.filename2 is not None:
        text = f"{name} -> {target_name(exc.filename2)}: {reason}"
    return text if len(text) <= 400 else text[:397] + "..."


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
