"""The chained A_0 integral of the Pareto/NBD likelihood on large tables (fit path).

``log_j_chained`` sums the integral between neighbouring sorted times; it is checked against
mpmath's closed form (``_mpref._pareto_tail``, 2F1 at 60 digits) on sampled rows and against
the per-row/anchored path on whole tables, including the edge cases of its bookkeeping
(ties, unsorted input, a reused array mutated in place, groups that fall back).
"""

from __future__ import annotations

import _mpref
import mpmath as mp
import numpy as np
import pytest

from customer_models.valuation import _pareto_nbd_chain as integral
from customer_models.valuation import _pareto_nbd_likelihood as likelihood

PARAMS = (
    (0.8, 5.0, 0.6, 10.0),  # alpha < beta
    (0.55, 10.58, 0.61, 11.67),  # CDNOW-like
    (0.5, 12.0, 0.4, 3.0),  # alpha > beta
    (2.0, 3.0, 5.0, 400.0),  # 2F1 argument near 1
    (0.3, 0.2, 0.3, 50.0),
    (1.2, 4.0, 0.7, 4.0),  # alpha == beta
)


def _table(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frequency, recency, T of a Pareto/NBD-like base with continuous times (all distinct)."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(26.0, 52.0, n)
    x = rng.poisson(rng.gamma(0.8, 1.0, n) * 8.0).astype(float)
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1.0), 1.0), 0.0)
    return x, t_x, T


def _mp_log_j(params: tuple[float, ...], x: float, t: float) -> float:
    """``log((r+s+x) J(t))`` by mpmath's closed-form tail."""
    r, alpha, s, beta = (mp.mpf(v) for v in params)
    with mp.workdps(60):
        tail = _mpref._pareto_tail(alpha, beta, r + x, s + 1, mp.mpf(t))
        return float(mp.log((r + s + x) * tail))


@pytest.mark.parametrize("params", PARAMS)
def test_chained_against_mpmath_on_sampled_rows(params: tuple[float, ...]) -> None:
    x, t_x, T = _table(60_000, 1)
    rng = np.random.default_rng(2)
    for t in (t_x, T):
        log_j, _ = integral.log_j_chained(*params, x, t, grad=False)
        rows = rng.choice(x.size, 6, replace=False)
        rows = np.append(rows, [np.argmax(x), np.argmax(t), np.argmin(t)])
        ref = np.array([_mp_log_j(params, x[i], t[i]) for i in rows])
        np.testing.assert_allclose(log_j[rows], ref, rtol=1e-14, atol=2e-13)


@pytest.mark.parametrize("params", PARAMS)
def test_chained_equals_anchored_path_with_gradient(params: tuple[float, ...]) -> None:
    """The whole table against the (mpmath-verified) 2F1/anchored path, gradient included."""
    x, t_x, T = _table(60_000, 3)
    for t in (t_x, T):
        got, g_got = integral.log_j_chained(*params, x, t, grad=True)
        want, g_want = integral._log_j_anchored(*params, x, t, grad=True)
        assert g_got is not None
        assert g_want is not None
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=3e-13)
        for a, b in zip(g_got, g_want, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)


def test_ties_unsorted_input_and_a_mutated_array() -> None:
    params = (0.8, 5.0, 0.6, 10.0)
    x, _, T = _table(60_000, 4)
    T = np.round(T, 1)  # many ties
    first, _ = integral.log_j_chained(*params, x, T, grad=False)
    want, _ = integral._log_j_anchored(*params, x, T, grad=False)
    np.testing.assert_allclose(first, want, rtol=1e-14, atol=3e-13)
    # the same array objects, shuffled in place: a remembered sort order must not be reused
    perm = np.random.default_rng(5).permutation(x.size)
    x[:], T[:] = x[perm], T[perm]
    again, _ = integral.log_j_chained(*params, x, T, grad=False)
    np.testing.assert_allclose(again, want[perm], rtol=1e-14, atol=3e-13)
    # already sorted input (as a fit's patterns come) takes no sort and gives the same
    order = np.lexsort((T, x))
    xs, Ts = x[order].copy(), T[order].copy()
    assert integral._sort_order(xs, Ts) is None
    sorted_values, _ = integral.log_j_chained(*params, xs, Ts, grad=False)
    np.testing.assert_allclose(sorted_values, want[perm][order], rtol=1e-14, atol=3e-13)


def test_groups_beyond_the_chain_range_fall_back() -> None:
    """A frequency whose integrand falls by more than e^600 over its times: anchored path."""
    params = (0.8, 0.5, 0.6, 1.0)
    x, _, T = _table(60_000, 6)
    T = T.copy()
    heavy = np.arange(50)
    x[heavy] = 400.0
    T[heavy] = np.linspace(0.0, 50.0, heavy.size)  # (0.5 + t)^-400: falls by e^1800
    got, g_got = integral.log_j_chained(*params, x, T, grad=True)
    want, g_want = integral._log_j_anchored(*params, x, T, grad=True)
    assert g_got is not None
    assert g_want is not None
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=3e-13)
    for a, b in zip(g_got, g_want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)
    ref = [_mp_log_j(params, 400.0, float(T[i])) for i in (0, 25, 49)]
    np.testing.assert_allclose(got[[0, 25, 49]], ref, rtol=1e-14, atol=2e-13)


def _assert_whole_table_equals_chunks(params, x, t_x, T) -> None:
    """The likelihood of the whole table (the chain) equals that of chunks below its size."""
    ll, g = likelihood.log_likelihood_gradient_kernel(params, x, t_x, T)
    chunk = integral.CHAIN_MIN_ROWS // 2
    parts = [
        likelihood.log_likelihood_gradient_kernel(
            params, x[i : i + chunk], t_x[i : i + chunk], T[i : i + chunk]
        )
        for i in range(0, x.size, chunk)
    ]
    np.testing.assert_allclose(ll, np.concatenate([p[0] for p in parts]), rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(g, np.concatenate([p[1] for p in parts]), rtol=1e-10, atol=1e-12)


def test_likelihood_on_a_large_table_equals_the_small_table_path() -> None:
    """``log_a0_term`` dispatches to the chain above CHAIN_MIN_ROWS; chunks below it do not."""
    x, t_x, T = _table(integral.CHAIN_MIN_ROWS + 10_000, 7)
    params = np.array([0.55, 10.58, 0.61, 11.67])
    _assert_whole_table_equals_chunks(params, x, t_x, T)


def test_large_daily_grid_table_compresses_and_matches() -> None:
    """Times on a daily grid: the pairs compress, evaluated once per pair; same values."""
    x, t_x, T = _table(integral.CHAIN_MIN_ROWS + 10_000, 8)
    t_x, T = np.round(t_x * 7.0) / 7.0, np.round(T * 7.0) / 7.0
    params = np.array([0.8, 5.0, 0.6, 10.0])
    _assert_whole_table_equals_chunks(params, x, t_x, T)
