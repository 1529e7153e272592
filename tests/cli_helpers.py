"""Helpers of the command-line tests."""

from __future__ import annotations

from deepmotif.cli import main


def one_line_error(capsys, argv, match: str) -> str:
    """Run ``deepmotif ARGV``; assert it failed with one line on stderr, no traceback, holding
    ``match``; return that stderr."""
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code != 0
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert match in err, err
    return err
