"""deepmotif.jaspar against pyjaspar called directly (the independent reference)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from deepmotif import jaspar
from deepmotif.errors import DeepMotifError

pyjaspar = pytest.importorskip("pyjaspar")


def _reference(release: str, **filters):
    """pyjaspar's own fetch_motifs, as {matrix_id: (name, counts (4, L))}."""
    db = pyjaspar.jaspardb(release=release)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            motifs = db.fetch_motifs(**filters)
    finally:
        db.conn.close()
    return {m.matrix_id: (m.name, np.array([m.counts[b] for b in "ACGT"])) for m in motifs}


def test_releases_newest_first_and_default_is_newest():
    releases = jaspar.available_releases()
    assert set(releases) == set(pyjaspar.jaspar_releases)
    years = [int(r[-4:]) for r in releases]
    assert years == sorted(years, reverse=True)
    assert jaspar.DEFAULT_RELEASE == releases[0]
    assert jaspar.DEFAULT_RELEASE == f"JASPAR{max(years)}"
    assert {"JASPAR2014", "JASPAR2024"} <= set(releases)


def test_ctcf_by_name_is_ma0139_core_vertebrates():
    motif = jaspar.get_motif("CTCF")
    assert motif.matrix_id == "MA0139.2"  # JASPAR2026 also has MA1929.2, MA1930.2 named CTCF
    assert (motif.name, motif.collection, motif.tax_group) == ("CTCF", "CORE", "vertebrates")
    assert motif.release == jaspar.DEFAULT_RELEASE
    assert jaspar.get_motif("ctcf") is motif  # case-insensitive, cached
    assert jaspar.get_motif("MA0139").matrix_id == "MA0139.2"  # base id -> latest version
    assert jaspar.get_motif("ma0139.1").matrix_id == "MA0139.1"
    assert jaspar.get_motif("CTCF", release="2014").matrix_id == "MA0139.1"
    assert jaspar.get_motif("MA1929").length == 31


def test_counts_match_pyjaspar_and_pwm_is_normalised_counts():
    motif = jaspar.get_motif("MA0139.2")
    db = pyjaspar.jaspardb(release=jaspar.DEFAULT_RELEASE)
    ref = db.fetch_motif_by_id("MA0139.2")
    db.conn.close()
    counts = np.array([ref.counts[b] for b in "ACGT"])
    np.testing.assert_array_equal(motif.counts, counts)
    assert motif.pwm.shape == (4, 15) == motif.counts.shape
    np.testing.assert_allclose(motif.pwm.sum(axis=0), 1.0, atol=1e-12)
    expected = 0.99 * counts / counts.sum(axis=0) + 0.0025  # PSEUDOCOUNT = 0.01 of uniform
    np.testing.assert_allclose(motif.pwm, expected, rtol=1e-12)
    # First column of MA0139.2 counts: A 281, C 49, G 449, T 134 (total 913).
    np.testing.assert_allclose(motif.pwm[:, 0], 0.99 * np.array([281, 49, 449, 134]) / 913 + 0.0025)
    assert motif.consensus == "GCCACCAGGGGGCGC"
    assert not motif.pwm.flags.writeable and not motif.counts.flags.writeable


def test_information_content_by_hand():
    counts = np.array([[10, 0, 5], [0, 10, 5], [0, 0, 0], [0, 0, 0]], dtype=float)
    pwm = jaspar._normalise(counts, jaspar.PSEUDOCOUNT)
    motif = jaspar.Motif("XX0001.1", "toy", pwm, counts, "none", "CORE", None)
    assert motif.information_content == pytest.approx(2 + 2 + 1)  # 2 bits, 2 bits, 1 bit
    assert motif.consensus == "ACA"  # the A/C tie goes to A
    assert (motif.base_id, motif.version, motif.length) == ("XX0001", 1, 3)
    # an all-zero column becomes uniform
    zero = jaspar._normalise(np.zeros((4, 1)), jaspar.PSEUDOCOUNT)
    np.testing.assert_allclose(zero[:, 0], 0.25)


def test_load_motifs_matches_pyjaspar_fetch_motifs():
    release = jaspar.DEFAULT_RELEASE
    ref = _reference(release, collection="CORE", tax_group="vertebrates")
    mine = jaspar.load_motifs()
    assert len(mine) == len(ref) > 800
    assert {m.matrix_id for m in mine} == set(ref)
    for m in mine:
        name, counts = ref[m.matrix_id]
        assert m.name == name
        np.testing.assert_array_equal(m.counts, counts)
        assert m.collection == "CORE" and m.tax_group == "vertebrates"
    ids = [m.matrix_id for m in mine]
    assert ids == sorted(ids)
    assert len({m.base_id for m in mine}) == len(mine)  # latest versions only


def test_load_motifs_other_group_all_versions_and_old_release():
    for release in ("JASPAR2014", jaspar.DEFAULT_RELEASE):
        ref = _reference(release, collection="CORE", tax_group="nematodes", all_versions=True)
        mine = jaspar.load_motifs(release, tax_group="Nematodes", all_versions=True)
        assert {m.matrix_id for m in mine} == set(ref)
        for m in mine:
            np.testing.assert_array_equal(m.counts, ref[m.matrix_id][1])


def test_load_motifs_is_cached_but_returns_a_new_list():
    a = jaspar.load_motifs()
    b = jaspar.load_motifs(jaspar.DEFAULT_RELEASE, "core", "VERTEBRATES")
    assert a is not b
    assert a[0] is jaspar.load_motifs()[0]
    a.clear()
    assert len(jaspar.load_motifs()) > 800


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: jaspar.get_motif("CTFC"), r"no JASPAR motif .*'CTFC'.*close names: .*\bCTCF\b"),
        (lambda: jaspar.get_motif("CTCF", release="JASPAR2099"), r"JASPAR2099.*JASPAR2026"),
        (lambda: jaspar.get_motif("MA0139.9"), r"MA0139\.9.*MA0139\.1, MA0139\.2"),
        (lambda: jaspar.get_motif("MA9999"), r"no JASPAR motif .*'MA9999'"),
        (lambda: jaspar.get_motif(""), r"name or id is needed"),
        (lambda: jaspar.load_motifs(tax_group="vertebrate"), r"taxonomic group.*\bvertebrates\b"),
        (lambda: jaspar.load_motifs(collection="COREX"), r"collection 'COREX'.*CORE, UNVALIDATED"),
        (lambda: jaspar.load_motifs("JASPAR1999"), r"bundled releases are JASPAR2026"),
    ],
)
def test_bad_names_and_releases_raise_one_line(call, pattern):
    with pytest.raises(DeepMotifError, match=pattern) as info:
        call()
    assert "\n" not in str(info.value)


def test_release_info_and_version():
    info = jaspar.release_info("jaspar2024")
    assert info == {
        "release": "JASPAR2024",
        "pyjaspar": pyjaspar.__version__,
        "collection": "CORE",
        "tax_group": "vertebrates",
    }
    assert re.fullmatch(r"\d+\.\d+.*", jaspar.pyjaspar_version())
