"""Per-row hypergeometric series (``_hyp2f1_rows``) against mpmath at 30 digits.

The grids are far from CDNOW's parameters (values from 1e-3 to 900, negative and terminating
``B``, arguments from -0.95 to 0.93). References are mpmath's own ``hyp2f1``/``hyp3f2``
(which add precision on cancellation), the rounding bound of a summed series
``16 eps sum_k (k+2) |t_k|`` comes from the terms' magnitudes computed here in logarithms, and
the BG/NBD expectation given alive with per-customer parameters is compared with the
independent mpmath reference of ``_mpref`` (closed form at 30 and 40 digits, tanh-sinh
quadrature where they disagree).
"""

from __future__ import annotations

import itertools
import math
from functools import cache

import _mpref
import mpmath as mp
import numpy as np
import pytest

from customer_models.exceptions import ParameterError
from customer_models.valuation import _bgnbd_predictions as bg_pred
from customer_models.valuation._hyp2f1_rows import (
    hyp2f1_rows,
    on_repeated_rows,
    ratio_series_rows,
)
from customer_models.valuation._special import pfq_series

EPS = np.finfo(float).eps
GRID = np.array(
    list(
        itertools.product(
            (1e-3, 0.37, 4.2, 63.0),
            (-7.0, -2.5, 0.61, 11.0, 350.0),
            (0.013, 1.9, 40.0, 900.0),
            (-0.95, -0.4, 0.02, 0.55, 0.93),
        )
    )
)


def _mp_value(row: np.ndarray, shift: float) -> float:
    A, B, C, z = (mp.mpf(float(v)) for v in row)
    with mp.workdps(30):
        if shift == 1.0:
            return float(mp.hyp2f1(A, B, C, z))
        return float(mp.hyp3f2(A, B, 1, C, 2, z, maxterms=10**5))


def _rounding_bound(row: np.ndarray, shift: float, n_terms: int = 6000) -> float:
    """``16 eps sum_k (k+2) |t_k|`` over the terms of the series, in logarithms (no overflow)."""
    A, B, C, z = (float(v) for v in row)
    logs = [math.log(2.0)]
    log_t, top = 0.0, logs[0]
    for k in range(n_terms):
        factor = abs(z * (A + k) * (B + k) / ((C + k) * (k + shift)))
        if factor == 0.0:
            break
        log_t += math.log(factor)
        logs.append(log_t + math.log(k + 3.0))
        top = max(top, logs[-1])
        if logs[-1] < top - 80.0 and k > max(-A, -B):
            break
    if top > 700.0:
        return math.inf
    return 16.0 * EPS * math.exp(top) * sum(math.exp(v - top) for v in logs)


@cache
def _references(shift: float) -> tuple[np.ndarray, np.ndarray]:
    values = np.array([_mp_value(row, shift) for row in GRID])
    bounds = np.array([_rounding_bound(row, shift) for row in GRID])
    return values, bounds


@pytest.mark.slow
@pytest.mark.parametrize("shift", [1.0, 2.0])
def test_series_within_its_rounding_bound_of_mpmath(shift: float) -> None:
    got, ok = ratio_series_rows(*GRID.T, shift=shift)
    ref, bound = _references(shift)
    finite_ref = np.isfinite(ref) & (np.abs(ref) < 1e300)
    # every row that converged is within the rounding bound of its terms
    err = np.abs(got[ok] - ref[ok])
    assert np.all(err <= bound[ok]), GRID[ok][err > bound[ok]][:5].tolist()
    # rows of one sign from the first term (no cancellation): a few ulps times the term count
    positive = ok & (GRID[:, 0] > 0) & (GRID[:, 1] > 0) & (GRID[:, 3] > 0)
    assert positive.sum() >= 90
    rel = np.abs(got[positive] / ref[positive] - 1.0)
    assert rel.max() < 1e-13, GRID[positive][np.argmax(rel)].tolist()
    # the rows it refuses are the ones a float64 series cannot sum: more than 4096 terms
    # or partial sums beyond float64 (both far outside the kernels' use)
    refused = ~ok & finite_ref
    for row in GRID[refused]:
        A, B, _, z = row
        assert abs(z) > 0.5, row.tolist()
        assert max(A, B) > 60.0, row.tolist()


def test_terminating_series_and_first_terms() -> None:
    # B = -2: the polynomial 1 + 2 A z / C + A (A+1) z^2 / (C (C+1)) (shift 1)
    A, C, z = 1.7, 3.2, -0.8
    expected = 1.0 - 2.0 * A * z / C + A * (A + 1.0) * z**2 / (C * (C + 1.0))
    value, ok = ratio_series_rows(A, -2.0, C, z)
    assert ok
    assert value == pytest.approx(expected, rel=1e-15)
    # z = 0, A = 0 or B = 0: the sum is its first term
    value, ok = ratio_series_rows(
        [1.0, 0.0, 2.0], [2.0, 3.0, 0.0], [3.0, 3.0, 3.0], [0.0, 0.5, 0.5]
    )
    assert value.tolist() == [1.0, 1.0, 1.0]
    assert ok.all()


def test_refuses_instead_of_a_truncated_sum() -> None:
    value, ok = ratio_series_rows([2.0, 2.0], [3.0, 3.0], [4.0, 4.0], [0.3, 0.9999], max_terms=256)
    assert ok.tolist() == [True, False]
    with mp.workdps(30):
        assert value[0] == pytest.approx(float(mp.hyp2f1(2, 3, 4, 0.3)), rel=1e-15)
    value, ok = ratio_series_rows([1e200, 2.0], [1e200, 3.0], 1.0, 0.5)  # overflow, fine
    assert ok.tolist() == [False, True]
    assert np.isnan(value[0])  # NaN, not inf (inf * 0 downstream would be a warning)
    with pytest.raises(ParameterError, match="max_terms=256"):
        hyp2f1_rows([2.0, 2.0], 3.0, 4.0, [0.3, 0.9999], max_terms=256)


def test_a_rows_value_does_not_depend_on_the_other_rows() -> None:
    rng = np.random.default_rng(3)
    n = 40_000  # three chunks, rows that finish at different terms in each
    A, B = rng.uniform(0.01, 30.0, n), rng.uniform(0.01, 30.0, n)
    C, z = rng.uniform(0.5, 60.0, n), rng.uniform(0.0, 0.95, n)
    together, ok = ratio_series_rows(A, B, C, z, shift=2.0)
    assert ok.all()
    picks = rng.choice(n, 25, replace=False)
    for i in picks:
        alone, _ = ratio_series_rows(A[i], B[i], C[i], z[i], shift=2.0)
        assert alone == together[i]
    # and the same sums as the block series of _special (another algorithm), to rounding
    ref, ok_ref = pfq_series([A, B, np.ones(n)], [C, np.full(n, 2.0)], z)
    assert ok_ref.all()
    np.testing.assert_allclose(together, ref, rtol=2e-14, atol=0)


# ------------------------------------------------------------------ the BG/NBD expectation
MEAN_GRID = np.array(
    list(
        itertools.product(
            (0.011, 0.7, 9.0, 240.0),  # r' = r + x
            (1e-3, 0.2, 1.7, 8.0, 30.0),  # u = t / (alpha + T)
            (0.05, 0.6, 1.0, 2.5, 19.0),  # a
            (0.04, 1.3, 27.0, 310.0),  # b' = b + x
        )
    )
)


@cache
def _mean_references() -> np.ndarray:
    return np.array([float(_mpref.bg_mean_given_alive(*row)) for row in MEAN_GRID])


@pytest.mark.slow
def test_expectation_given_alive_with_parameters_per_row() -> None:
    """Each row its own (r', u, a, b'): the series where it is trusted, else the quadrature."""
    rp, u, a, bp = MEAN_GRID.T
    ref = _mean_references()
    got = bg_pred._mean_given_alive(rp, u, a, bp)
    _mpref.assert_close(got, ref, MEAN_GRID, rtol=1e-10)
    # the rows the series answers (with the per-row recurrence): its final difference keeps
    # at least 1e-4 of its terms, so rounding of 1e-16 in the sum becomes at most ~1e-12
    series, trusted = bg_pred._mean_given_alive_series(rp, u, a, bp)
    assert trusted.sum() >= 150
    _mpref.assert_close(series[trusted], ref[trusted], MEAN_GRID[trusted], rtol=2e-11)


def test_expectation_equals_the_shared_parameter_path() -> None:
    """Every row on its own (no grouping) gives exactly what the grouped plain-model path gives."""
    rng = np.random.default_rng(5)
    n = 30_000
    x = rng.poisson(2.0, n).astype(float)
    T = rng.integers(20, 60, n).astype(float)
    t = 52.0
    ungrouped = bg_pred._mean_given_alive_block(0.8 + x, t / (5.0 + T), np.full(n, 0.8), 3.0 + x)
    shared = bg_pred._expected_alive(0.8, 5.0, 0.8, 3.0, x, T, t)
    np.testing.assert_array_equal(ungrouped, shared)
    pick = rng.choice(n, 12, replace=False)
    ref = [
        float(_mpref.bg_mean_given_alive(0.8 + x[i], t / (5.0 + T[i]), 0.8, 3.0 + x[i]))
        for i in pick
    ]
    np.testing.assert_allclose(ungrouped[pick], ref, rtol=1e-13)


def test_on_repeated_rows_groups_only_when_rows_repeat() -> None:
    calls: list[int] = []

    def double(v: np.ndarray, w: np.ndarray) -> np.ndarray:
        calls.append(v.size)
        return 2.0 * v + w

    rng = np.random.default_rng(1)
    repeated = rng.integers(0, 50, 100_000).astype(float)
    distinct = rng.permutation(100_000).astype(float)
    np.testing.assert_array_equal(on_repeated_rows(double, (repeated, 1.0)), 2.0 * repeated + 1.0)
    np.testing.assert_array_equal(on_repeated_rows(double, (distinct, 1.0)), 2.0 * distinct + 1.0)
    assert calls == [50, 100_000]
