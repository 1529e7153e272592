"""Tomtom matching: our table equals memelite's tomtom called directly; offsets and strands."""

from __future__ import annotations

import numpy as np
import pytest
from memelite import tomtom

from deepmotif import jaspar
from deepmotif.errors import DeepMotifError
from deepmotif.motifs.match import MATCH_COLUMNS, load_database, tomtom_matches
from deepmotif.motifs.meme import write_meme
from deepmotif.motifs.pwm import reverse_complement


@pytest.fixture(scope="module")
def database():
    return load_database()


@pytest.fixture(scope="module")
def queries():
    ctcf = jaspar.get_motif("CTCF").pwm
    rest = jaspar.get_motif("REST").pwm
    rng = np.random.default_rng(0)
    noise = rng.dirichlet(np.ones(4), size=8).T
    return {
        "q-ctcf-part": np.array(ctcf[:, 3:12]),
        "q-ctcf-rc": reverse_complement(ctcf[:, 3:12]),
        "q-rest": np.array(rest[:, 2:18]),
        "q-noise": noise,
    }


def _bh(p):
    """Benjamini-Hochberg by its definition: q_(i) = min over j >= i of p_(j) * n / j."""
    n = len(p)
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(n)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def test_matches_equal_memelite_called_directly(database, queries):
    top_k = 4
    table = tomtom_matches(queries, database, top_k=top_k)
    assert list(table.columns) == MATCH_COLUMNS
    assert len(table) == top_k * len(queries)
    # sorted by query, then p-value
    assert table.equals(
        table.sort_values(["query", "p_value"], kind="stable").reset_index(drop=True)
    )

    names = list(queries)
    p, scores, offsets, overlaps, strands = tomtom(list(queries.values()), database.pwms)
    for qi, name in enumerate(names):
        rows = table[table["query"] == name]
        order = np.lexsort((np.array(database.ids), p[qi]))[:top_k]
        assert list(rows["target_id"]) == [database.ids[t] for t in order]
        assert list(rows["target_name"]) == [database.names[t] for t in order]
        np.testing.assert_allclose(rows["p_value"], p[qi, order], rtol=1e-12)
        np.testing.assert_allclose(rows["e_value"], p[qi, order] * len(database), rtol=1e-12)
        np.testing.assert_allclose(rows["q_value"], _bh(p[qi])[order], rtol=1e-9)
        assert list(rows["offset"]) == offsets[qi, order].astype(int).tolist()
        assert list(rows["overlap"]) == overlaps[qi, order].astype(int).tolist()
        assert list(rows["orientation"]) == ["-" if s else "+" for s in strands[qi, order]]
        assert list(rows["rank"]) == list(range(1, top_k + 1))
    assert set(table["database"]) == {database.label}
    assert database.label.startswith(jaspar.DEFAULT_RELEASE)


def test_known_fragments_match_their_motif_with_the_right_offset(database, queries):
    table = tomtom_matches(queries, database, top_k=3)
    ctcf_id = jaspar.get_motif("CTCF").matrix_id
    best = table[table["rank"] == 1].set_index("query")
    assert best.loc["q-ctcf-part", "target_id"] == ctcf_id
    assert (best.loc["q-ctcf-part", "offset"], best.loc["q-ctcf-part", "orientation"]) == (3, "+")
    # the reverse complement of the same fragment matches the same motif on its - strand,
    # 15 - 12 = 3 columns from the start of the reverse-complemented target
    assert best.loc["q-ctcf-rc", "target_id"] == ctcf_id
    assert (best.loc["q-ctcf-rc", "offset"], best.loc["q-ctcf-rc", "orientation"]) == (3, "-")
    assert best.loc["q-rest", "target_name"] == "REST"
    assert best.loc["q-rest", "offset"] == 2
    assert best.loc["q-rest", "q_value"] < 1e-6
    assert best.loc["q-noise", "q_value"] > 0.05
    assert best.loc["q-ctcf-rc", "target_consensus"] == jaspar.get_motif("CTCF").consensus[
        ::-1
    ].translate(str.maketrans("ACGT", "TGCA"))


def test_user_meme_database_equals_direct_call(tmp_path, queries, database):
    # a database written as MEME gives the same table as the same matrices in memory
    db_path = tmp_path / "db.meme"
    subset = {f"{database.ids[i]}": database.pwms[i] for i in range(0, len(database), 7)}
    write_meme(db_path, subset)
    user = load_database(db=db_path)
    assert user.ids == list(subset) and user.info["source"] == "meme"
    table = tomtom_matches(queries, user, top_k=2)
    p = tomtom(list(queries.values()), user.pwms)[0]
    for qi, name in enumerate(queries):
        rows = table[table["query"] == name]
        np.testing.assert_allclose(rows["p_value"], np.sort(p[qi])[:2], rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"release": "JASPAR1999"}, "unknown JASPAR release 'JASPAR1999'"),
        ({"tax_group": "martians"}, "unknown JASPAR taxonomic group 'martians'"),
        ({"collection": "NOPE"}, "unknown JASPAR collection 'NOPE'"),
    ],
)
def test_bad_database_selection(kwargs, message):
    with pytest.raises(DeepMotifError, match=message):
        load_database(**kwargs)


def test_other_release_is_recorded():
    db = load_database(release="2022")
    assert db.info["release"] == "JASPAR2022" and db.label == "JASPAR2022 CORE vertebrates"


def test_empty_queries_give_empty_table(database):
    table = tomtom_matches({}, database)
    assert list(table.columns) == MATCH_COLUMNS and len(table) == 0
