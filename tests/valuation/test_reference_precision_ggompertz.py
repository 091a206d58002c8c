"""Reference precision of the NBD and GGompertz/NBD kernels against mpmath (40 digits).

The same layer as tests/valuation/test_reference_precision.py: deterministic product grids
of parameters over orders of magnitude, histories from an empty one to heavy buyers, and
every value finite and within ``RTOL`` of an independent mpmath evaluation. GGompertz/NBD's
references integrate the model's definition in its original variable
(tests/valuation/_mpref_ggompertz.py); the library integrates on a fixed tanh-sinh grid
after its own change of variable. The larger grids are marked slow (CI still runs them).
"""

from __future__ import annotations

import itertools
from functools import cache

import _mpref_ggompertz as ref
import mpmath as mp
import numpy as np
import pytest

from customer_models.valuation import _ggompertz_likelihood as gg_lik
from customer_models.valuation import _ggompertz_predictions as gg_pred
from customer_models.valuation import _nbd

RTOL = 1e-8

# ------------------------------------------------------------------------------------ NBD

NBD_PARAMS = list(itertools.product((1e-3, 0.05, 2.0, 1e3), (1e-3, 1.0, 1e3)))
NBD_HISTORIES = ((0.0, 1.0), (2.0, 39.0), (50.0, 1e4), (1e4, 1e4))


def test_nbd_grid_loglik_gradient_and_pmf():
    mp.mp.dps = 40
    rows = np.array([(*p, *h) for p in NBD_PARAMS for h in NBD_HISTORIES])
    params, x, T = rows[:, :2].T, rows[:, 2], rows[:, 3]
    ll, grad = _nbd.log_likelihood_gradient_kernel(params, x, 0.0 * x, T)
    pmf = _nbd.probability_of_purchases_kernel(params, 3.0, x, 0.0 * x, T, 26.0)
    for i, (r, alpha, xi, Ti) in enumerate(rows):

        def f(rr, aa, xi=xi, Ti=Ti):
            return (
                mp.loggamma(rr + xi)
                - mp.loggamma(rr)
                + rr * mp.log(aa)
                - (rr + xi) * mp.log(aa + Ti)
            )

        r_, a_ = mp.mpf(r), mp.mpf(alpha)
        value = f(r_, a_)
        assert ll[i] == pytest.approx(
            float(value), rel=1e-12, abs=1e-10 * max(1.0, abs(float(value)))
        )
        d_r = mp.diff(lambda v, a_=a_: f(v, a_), r_)
        d_a = mp.diff(lambda v, r_=r_: f(r_, v), a_)
        assert grad[i, 0] == pytest.approx(float(d_r), rel=RTOL, abs=1e-12)
        assert grad[i, 1] == pytest.approx(float(d_a), rel=RTOL, abs=1e-12 * abs(float(r_ / a_)))
        shape, p = r_ + xi, mp.mpf(26) / (a_ + Ti + 26)
        log_p = mp.loggamma(shape + 3) - mp.loggamma(shape) - mp.log(6)
        expected = mp.exp(log_p + shape * mp.log(1 - p) + 3 * mp.log(p))
        assert pmf[i] == pytest.approx(float(expected), rel=RTOL, abs=1e-300)


# ------------------------------------------------------------------------- GGompertz/NBD

#: r, alpha, b, s, beta: b from near-Pareto (1e-6 per period) to a hazard that grows e-fold
#: each period; beta from 1e-4 (strong ageing from the start) to 1e3.
GG_PARAMS = list(
    itertools.product(
        (0.05, 1.0, 20.0), (0.1, 10.0, 1e3), (1e-6, 0.02, 1.0), (0.05, 1.0, 20.0), (1e-4, 1.0, 1e3)
    )
)
GG_HISTORIES = ((0.0, 0.0, 1.0), (0.0, 0.0, 100.0), (2.0, 30.0, 39.0), (50.0, 3.0, 100.0))
HORIZONS = (1.0, 39.0, 1e3)


def _grid(step: int, offset: int = 0) -> np.ndarray:
    rows = [(*p, *h) for p in GG_PARAMS for h in GG_HISTORIES]
    return np.array(rows[offset::step])


@cache
def _references(step: int, offset: int) -> list[tuple[float, float, list[float]]]:
    out = []
    for row in _grid(step, offset):
        params, (x, t_x, T) = row[:5], row[5:]
        ll, alive = ref.log_likelihood_and_alive(params, x, t_x, T)
        given = [float(ref.expected_given_alive(params, x, T, t)) for t in HORIZONS]
        out.append((float(ll), float(alive), given))
    return out


def _check_gg(step: int, offset: int) -> None:
    rows = _grid(step, offset)
    refs = _references(step, offset)
    params, x, t_x, T = rows[:, :5].T, rows[:, 5], rows[:, 6], rows[:, 7]
    ll = gg_lik.log_likelihood_kernel(params, x, t_x, T)
    ll_grad, _ = gg_lik.log_likelihood_gradient_kernel(params, x, t_x, T)
    alive = gg_lik.probability_alive_kernel(params, x, t_x, T)
    assert np.all(np.isfinite(ll))
    assert np.all(np.isfinite(alive))
    np.testing.assert_allclose(ll_grad, ll, rtol=1e-13, atol=1e-13)
    for i, (ll_ref, alive_ref, given) in enumerate(refs):
        where = rows[i].tolist()
        assert ll[i] == pytest.approx(ll_ref, rel=RTOL, abs=RTOL), where
        if alive_ref > 1e-280:  # below, the float64 value underflows to 0 (as it should)
            assert alive[i] == pytest.approx(alive_ref, rel=RTOL), where
        for t, g in zip(HORIZONS, given, strict=True):
            got = gg_pred.expected_purchases_kernel(rows[i, :5], x[i], t_x[i], T[i], t)
            assert float(got) == pytest.approx(alive[i] * g, rel=RTOL, abs=1e-300), (where, t)


def test_ggompertz_grid():
    _check_gg(step=37, offset=0)


PMF_ROWS = (
    (0.553, 10.578, 0.0002, 0.603, 0.0026, 2.0, 38.86),
    (0.8, 6.0, 0.05, 1.5, 3.0, 0.0, 39.0),
    (0.8, 6.0, 0.05, 1.5, 3.0, 40.0, 80.0),
    (2.0, 0.5, 1.0, 0.3, 1e3, 5.0, 1.0),
    (0.05, 100.0, 1e-6, 20.0, 1e-4, 0.0, 100.0),
)


@pytest.mark.slow
@pytest.mark.parametrize("row", PMF_ROWS)
def test_ggompertz_pmf_given_alive(row):
    params, x, T = row[:5], row[5], row[6]
    for t in (1.0, 39.0):
        for n in (0, 1, 5):
            got = gg_pred._pmf_rows(*(np.array([v]) for v in (*params, n, x, T, t)))[0]
            expected = float(ref.pmf_given_alive(params, n, x, T, t))
            assert got == pytest.approx(expected, rel=RTOL, abs=1e-300), (row, t, n)


def test_ggompertz_new_customer_grid():
    rows = np.array(
        list(itertools.product((0.05, 20.0), (0.1, 1e3), (1e-6, 1.0), (0.05, 20.0), (1e-4, 1e3)))
    )
    for t in (1.0, 1e3):
        got = gg_pred.expected_purchases_new_customer_kernel(rows.T, t)
        for value, params in zip(got, rows, strict=True):
            expected = float(ref.expected_given_alive(params, 0.0, 0.0, t))
            assert value == pytest.approx(expected, rel=RTOL), (params.tolist(), t)


#: Rows on a shared grid of (x, t_x, T), so that the kernels take the two-tail path
#: (``∫_{t_x}^T = ∫_{t_x}^H − ∫_T^H``, each tail integrated once for the rows sharing it).
SHARED_ROWS = [(0.0, 0.0, T) for T in (30.0, 39.0, 64.0)] + [
    (x, t_x, T)
    for x in (2.0, 7.0)
    for t_x in (1.0, 5.0, 12.0, 20.0, 29.0)
    for T in (30.0, 39.0, 64.0)
]
SHARED_PARAMS = (
    (0.553, 10.578, 0.0002, 0.603, 0.0026),
    (0.8, 6.0, 0.05, 1.5, 3.0),
    (2.0, 0.5, 1.0, 0.3, 1e-4),
)


@pytest.mark.slow
@pytest.mark.parametrize("params", SHARED_PARAMS)
def test_shared_tails_match_mpmath(params):
    x, t_x, T = np.array(SHARED_ROWS).T
    flat = tuple(np.full(x.size, v) for v in params)
    _, high = gg_lik._tails(flat, x, t_x, T, gradient=False)
    assert high is not None  # the rows share their tails: the two-tail path was taken
    ll = gg_lik.log_likelihood_kernel(params, x, t_x, T)
    alive = gg_lik.probability_alive_kernel(params, x, t_x, T)
    ll_grad, _ = gg_lik.log_likelihood_gradient_kernel(params, x, t_x, T)
    np.testing.assert_allclose(ll_grad, ll, rtol=1e-13, atol=1e-13)
    for i, row in enumerate(SHARED_ROWS):
        ll_ref, alive_ref = ref.log_likelihood_and_alive(params, *row)
        assert ll[i] == pytest.approx(float(ll_ref), rel=1e-10), row
        if alive_ref > 1e-280:
            assert alive[i] == pytest.approx(float(alive_ref), rel=1e-10), row
