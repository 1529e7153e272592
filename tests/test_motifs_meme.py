"""MEME files: our writer round-trips through memelite's reader; bad files give one clear line."""

from __future__ import annotations

import numpy as np
import pytest
from memelite.io import read_meme as memelite_read_meme

from deepmotif.errors import DeepMotifError
from deepmotif.motifs.base import ExtractedMotif
from deepmotif.motifs.match import load_database
from deepmotif.motifs.meme import read_meme, write_meme


def _random_pwm(rng, length):
    x = rng.gamma(0.5, size=(4, length))
    return x / x.sum(axis=0)


def test_write_meme_round_trips_through_memelite(tmp_path):
    rng = np.random.default_rng(1)
    motifs = [
        ExtractedMotif("cnn-optimize-1", _random_pwm(rng, 12), "optimize", "cnn", 3),
        ExtractedMotif("cnn-rnn-saliency-1", _random_pwm(rng, 7), "saliency", "cnn-rnn", 250),
        ExtractedMotif("cnn-filters-10", _random_pwm(rng, 9), "filters", "cnn", 41),
    ]
    path = tmp_path / "motifs.meme"
    write_meme(path, motifs)
    back = memelite_read_meme(str(path))
    assert list(back) == [m.name for m in motifs]
    for m in motifs:
        assert back[m.name].shape == m.pwm.shape
        np.testing.assert_allclose(back[m.name], m.pwm, atol=5e-7)
    text = path.read_text()
    assert "nsites= 250" in text and text.startswith("MEME version 4")
    # our reader (memelite behind it) agrees
    ours = read_meme(path)
    for m in motifs:
        np.testing.assert_allclose(ours[m.name], back[m.name])


def test_write_meme_from_dict_and_name_checks(tmp_path):
    pwm = np.full((4, 3), 0.25)
    write_meme(tmp_path / "a.meme", {"x": pwm, "y": pwm})
    assert list(memelite_read_meme(str(tmp_path / "a.meme"))) == ["x", "y"]
    with pytest.raises(ValueError, match="without spaces"):
        write_meme(tmp_path / "b.meme", {"bad name": pwm})


JASPAR_LIKE = """MEME version 4

ALPHABET= ACGT

strands: + -

Background letter frequencies
A 0.25 C 0.25 G 0.25 T 0.25

MOTIF MA9999.1 FAKE::TF
letter-probability matrix: alength= 4 w= 3 nsites= 20 E= 0
  0.9  0.05 0.025 0.025
  0.1  0.1  0.7   0.1
  0.25 0.25 0.25  0.25
URL http://example.org

MOTIF plainname
letter-probability matrix: alength= 4 w= 2 nsites= 20 E= 0
1 0 0 0
0 0 0 1
"""


def test_user_database_ids_and_names(write_file):
    path = write_file("db.meme", JASPAR_LIKE)
    db = load_database(db=path)
    assert db.ids == ["MA9999.1", "plainname"]
    assert db.names == ["FAKE::TF", "plainname"]
    np.testing.assert_allclose(db.pwms[0][:, 1], [0.1, 0.1, 0.7, 0.1])
    assert db.info["source"] == "meme" and str(path) in db.label


@pytest.mark.parametrize(
    "text, message",
    [
        ("hello\nworld\n", r"not a MEME motif file \(no 'MOTIF' line"),
        (
            JASPAR_LIKE.replace("  0.1  0.1  0.7   0.1\n", "  0.1  0.1  oops 0.1\n"),
            r"line 13 of .*row 2 of 3 .*'0.1  0.1  oops 0.1'",
        ),
        (JASPAR_LIKE.replace("1 0 0 0\n", "1 0 0\n"), r"line 19 of .*row 1 of 2"),
        (JASPAR_LIKE.replace("0 0 0 1\n", ""), r"line 17 of .*ends after 1 of its 2 rows"),
        (
            JASPAR_LIKE.replace(
                "letter-probability matrix: alength= 4 w= 2",
                "letter-probability matrix: alength= 4",
            ),
            r"line 18 of .*w= N",
        ),
        (JASPAR_LIKE.replace("alength= 4 w= 3", "alength= 20 w= 3"), r"line 11 of .*alength= 20"),
        (
            JASPAR_LIKE.replace("MOTIF plainname", "MOTIF MA9999.1 FAKE::TF"),
            r"'MA9999.1 FAKE::TF' appears more than once",
        ),
    ],
)
def test_bad_meme_files(write_file, text, message):
    path = write_file("bad.meme", text)
    with pytest.raises(DeepMotifError, match=message):
        read_meme(path)


def test_missing_meme_file(tmp_path):
    with pytest.raises(DeepMotifError, match="no such MEME file"):
        read_meme(tmp_path / "absent.meme")
    with pytest.raises(DeepMotifError, match="is a directory"):
        read_meme(tmp_path)
