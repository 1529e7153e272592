"""PWM helpers on hand-made matrices whose answers are worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from deepmotif.motifs.pwm import (
    Alignment,
    align,
    aligned_columns,
    information_content,
    informative_segments,
    normalize,
    reverse_complement,
    similarity,
    trim,
    trim_bounds,
)

U = [0.25, 0.25, 0.25, 0.25]


def onehot(seq: str) -> np.ndarray:
    return np.array([[1.0 if c == b else 0.0 for c in seq] for b in "ACGT"])


def cols(*columns) -> np.ndarray:
    return np.array(columns, dtype=float).T


def test_information_content_by_hand():
    pwm = cols([1, 0, 0, 0], U, [0.5, 0.5, 0, 0], [0.7, 0.1, 0.1, 0.1])
    ic = information_content(pwm)
    # 2 bits, 0 bits, 1 bit, 2 + 0.7 log2 0.7 + 3 * 0.1 log2 0.1
    expected = [2.0, 0.0, 1.0, 2 + 0.7 * np.log2(0.7) + 3 * 0.1 * np.log2(0.1)]
    np.testing.assert_allclose(ic, expected, atol=1e-12)


def test_information_content_against_background():
    # a column equal to the background carries no information
    bg = [0.3, 0.2, 0.2, 0.3]
    np.testing.assert_allclose(information_content(cols(bg), background=bg), [0.0], atol=1e-12)


def test_normalize_pseudocount_and_empty_column():
    pwm = normalize(cols([2, 0, 0, 2], [0, 0, 0, 0]), pseudocount=0.2)
    np.testing.assert_allclose(pwm[:, 0], [0.8 * 0.5 + 0.05, 0.05, 0.05, 0.8 * 0.5 + 0.05])
    np.testing.assert_allclose(pwm[:, 1], U)


def test_reverse_complement_by_hand():
    pwm = cols([0.7, 0.1, 0.1, 0.1], [0.1, 0.6, 0.2, 0.1], [0.0, 0.0, 0.5, 0.5])
    # reversed column order, and A<->T, C<->G within each column
    expected = cols([0.5, 0.5, 0.0, 0.0], [0.1, 0.2, 0.6, 0.1], [0.1, 0.1, 0.1, 0.7])
    np.testing.assert_allclose(reverse_complement(pwm), expected)
    np.testing.assert_allclose(reverse_complement(onehot("AACGT")), onehot("ACGTT"))
    np.testing.assert_allclose(reverse_complement(reverse_complement(pwm)), pwm)


def test_trim_bounds_and_trim():
    pwm = np.concatenate(
        [
            cols(U, U, [0.4, 0.2, 0.2, 0.2]),
            onehot("GATTACA"),
            cols(U, [0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3], U),
        ],
        axis=1,
    )
    # columns 0-1 uniform, 2 weak (0.078 bits), 3-9 one-hot, 10 uniform, 11 strong (1.37 bits), 12 uniform
    assert trim_bounds(pwm, min_ic=0.5) == (3, 12)
    assert trim_bounds(pwm, min_ic=1.5) == (3, 10)
    assert trim_bounds(pwm, min_ic=0.05) == (2, 12)
    assert trim_bounds(pwm, min_ic=1.5, flank=2) == (1, 12)
    np.testing.assert_allclose(trim(pwm, min_ic=1.5), onehot("GATTACA"))
    assert trim_bounds(cols(U, U), min_ic=0.1) == (0, 0)
    assert trim(cols(U, U), min_ic=0.1).shape == (4, 0)


def test_align_finds_a_part_on_both_strands():
    a = normalize(onehot("TTGAACGGCATG"), 0.1)
    part = a[:, 3:9]  # "AACGGC", whose reverse complement GCCGTT is not in a
    al = align(a, part)
    assert al == Alignment(3, "+", pytest.approx(1.0), 6)
    al = align(a, reverse_complement(part))
    assert (al.offset, al.strand, al.overlap) == (3, "-", 6)
    assert al.score == pytest.approx(1.0)
    assert similarity(a, reverse_complement(part)) == pytest.approx(1.0)


def test_align_negative_offset_when_b_starts_first():
    b = normalize(onehot("CCCCGATTACA"), 0.1)
    a = normalize(onehot("GATTACA"), 0.1)
    al = align(a, b)
    # b's column 4 (the first G) lies over a's column 0
    assert (al.offset, al.strand) == (-4, "+")
    assert al.score == pytest.approx(1.0)
    A, B, start = aligned_columns(a, b, al)
    assert start == 4 and A.shape == B.shape == (4, 11)
    assert np.isnan(A[:, :4]).all()
    np.testing.assert_allclose(A[:, 4:], B[:, 4:])


def test_align_unrelated_is_low():
    a = normalize(onehot("AAAAAAAA"), 0.1)
    b = normalize(onehot("CGCGCGCG"), 0.1)
    assert similarity(a, b) < 0.4


def test_aligned_columns_reverse_strand():
    a = normalize(onehot("ACGTTT"), 0.1)
    b = normalize(onehot("AAACG"), 0.1)  # reverse complement CGTTT = a[:, 1:]
    al = align(a, b)
    assert (al.offset, al.strand) == (1, "-")
    A, B, start = aligned_columns(a, b, al)
    assert start == 0
    np.testing.assert_allclose(B[:, 1:], reverse_complement(b))


def test_informative_segments():
    strong = onehot("ACGTAC")
    pwm = np.concatenate(
        [
            cols(U, U),
            strong,
            cols(U),
            onehot("GGTTA"),
            cols(U, U, U, U, U),
            onehot("CATG"),
            cols(U),
        ],
        axis=1,
    )
    # columns 2-7 strong, 8 gap (1 column), 9-13 strong, 14-18 gap, 19-22 (length 4, too short)
    assert informative_segments(pwm, 1.0, gap=2, min_length=5) == [(2, 14)]
    assert informative_segments(pwm, 1.0, gap=0, min_length=5) == [(2, 8), (9, 14)]
    assert informative_segments(pwm, 1.0, gap=0, min_length=4) == [(2, 8), (9, 14), (19, 23)]
    # a run longer than max_length is cut into pieces of at most max_length
    long = np.concatenate(
        [onehot("ACGTACGTACGT"), cols([0.6, 0.4 / 3, 0.4 / 3, 0.4 / 3])] + [onehot("A")] * 3, axis=1
    )
    pieces = informative_segments(long, 0.3, gap=0, min_length=2, max_length=12)
    assert pieces[0] == (0, 12)
    assert pieces[1] == (12, 16)
