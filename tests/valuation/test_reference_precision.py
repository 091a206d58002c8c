"""Reference-precision layer: float64 kernels against mpmath (>= 40 digits) on wide grids.

Grids are deterministic products of values from 1e-3 to 1e3 for the parameters, with
``t``/``T`` up to 1e4 periods and frequencies up to 1e4, and the near-singular points of each
model (``a`` = 1 and ``a + b`` = 1 in BG/NBD, ``alpha`` = ``beta`` in Pareto/NBD, and for
Pareto/NBD also ``alpha/beta`` 1e3 apart both ways, where the 2F1 argument is within 1e-3 of 1;
its purchase-count pmf and its closed-form DERT have grids of their own). Every
value must be finite and within the documented relative error (``RTOL`` below, and
docs/valuation.md, "Verified range and precision"). The larger grids are marked slow (CI still
runs them).
"""

from __future__ import annotations

import itertools
from functools import cache

import _mpref
import mpmath as mp
import numpy as np
import pytest
from _mpref import assert_close

from customer_models.valuation import _bgnbd, _mbgnbd, _pareto_nbd

RTOL = 1e-8

PARAM = (1e-3, 0.05, 2.0, 1e3)
A_VALUES = (1e-3, 0.3, 1.0, 1.0 + 1e-7, 13.0, 1e3)
TIMES = (1e-3, 500.0, 1e4)


@cache
def _new_customer_grid() -> np.ndarray:
    grid = itertools.product(PARAM, (1e-3, 1.0, 1e3), A_VALUES, (1e-3, 1.0, 1e3), TIMES)
    return np.array(list(grid))[::3]  # 216 of the 648 points, every value of each axis kept


@cache
def _bg_new_reference() -> np.ndarray:
    rows = _new_customer_grid()
    return np.array([float(_mpref.bg_mean_given_alive(r, t / al, a, b)) for r, al, a, b, t in rows])


@cache
def _mbg_new_reference() -> np.ndarray:
    rows = _new_customer_grid()
    return np.array(
        [
            float(b / (a + b) * _mpref.bg_mean_given_alive(r, t / al, a, b + 1.0))
            for r, al, a, b, t in rows
        ]
    )


def test_issue_points_bgnbd_new_customer() -> None:
    """The reported failures: -589,553.7 instead of 1.081, and 2e-4 errors at a = 0.3."""
    rows = np.array(
        [[1.0, 1.0, 13.0, 1.0, 500.0], [1.0, 1.0, 0.3, 1.0, 5000.0], [2.0, 0.5, 0.3, 5.0, 5e3]]
    )
    got = _bgnbd.expected_purchases_new_customer_kernel(rows[:, :4].T, rows[:, 4])
    ref = np.array([float(_mpref.bg_mean_given_alive(r, t / al, a, b)) for r, al, a, b, t in rows])
    assert_close(got, ref, rows)
    assert (
        round(float(_bgnbd.expected_purchases_new_customer_kernel([1, 1, 13, 1], 500)), 3) == 1.081
    )


@pytest.mark.slow
@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_new_customer_expectation_grid(model: str) -> None:
    rows = _new_customer_grid()
    kernel = (_bgnbd if model == "bgnbd" else _mbgnbd).expected_purchases_new_customer_kernel
    ref = _bg_new_reference() if model == "bgnbd" else _mbg_new_reference()
    got = kernel(rows[:, :4].T, rows[:, 4])
    assert_close(got, ref, rows)


HISTORIES = ((0.0, 0.0, 1.0), (0.0, 0.0, 1e4), (2.0, 30.0, 39.0), (50.0, 3.0, 1e4))
HEAVY_HISTORIES = ((1e4, 9e3, 1e4), (1e4, 1e4, 1e4))


def _conditional_grid(histories: tuple[tuple[float, float, float], ...]) -> np.ndarray:
    """(r, alpha, a, b, x, t_x, T, t) rows."""
    params = itertools.product(
        (1e-3, 0.25, 1e3), (1e-3, 4.0, 1e3), (1e-3, 1.0, 1e3), (1e-3, 2.5, 1e3)
    )
    return np.array([(*p, *h, t) for p in params for h in histories for t in (1.0, 1e4)])


def _check_conditional(model: str, rows: np.ndarray) -> None:
    mod = _bgnbd if model == "bgnbd" else _mbgnbd
    alive_ref_fn = _mpref.bg_alive if model == "bgnbd" else _mpref.mbg_alive
    shift = 0.0 if model == "bgnbd" else 1.0
    params = rows[:, :4].T
    x, t_x, T, t = rows[:, 4], rows[:, 5], rows[:, 6], rows[:, 7]
    alive_ref = [alive_ref_fn(*row[:7]) for row in rows]
    assert_close(mod.probability_alive_kernel(params, x, t_x, T), np.array(alive_ref, float), rows)
    expected_ref = np.array(
        [
            float(p * _mpref.bg_mean_given_alive(r + xx, tt / (al + TT), a, b + xx + shift))
            for p, (r, al, a, b, xx, _, TT, tt) in zip(alive_ref, rows, strict=True)
        ]
    )
    assert_close(mod.expected_purchases_kernel(params, x, t_x, T, t), expected_ref, rows)


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_conditional_expectation_and_alive_grid(model: str) -> None:
    _check_conditional(model, _conditional_grid(HISTORIES)[::2])


@pytest.mark.slow
@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_conditional_expectation_heavy_buyers(model: str) -> None:
    """Frequency 1e4: mpmath's 2F1 fails here, the reference is a tanh-sinh quadrature."""
    rows = _conditional_grid(HEAVY_HISTORIES)[::18]
    _check_conditional(model, rows)


def _assert_loglik_close(got: np.ndarray, ref: np.ndarray, rows: np.ndarray) -> None:
    """Log-likelihoods: the error of log L is the relative error of L (<= 1e-8), and float64
    cannot do better than ~1e-15 of the size of the terms summed (|log L| below)."""
    err = np.abs(np.asarray(got) - ref)
    assert np.all(np.isfinite(got))
    bad = err > RTOL + 1e-13 * np.abs(ref)
    assert not bad.any(), (rows[bad][:5].tolist(), err[bad][:5].tolist())


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_loglik_and_gradient_grid(model: str) -> None:
    rows = _conditional_grid(HISTORIES + HEAVY_HISTORIES)[::2]
    mod = _bgnbd if model == "bgnbd" else _mbgnbd
    ref_fn = _mpref.bg_loglik if model == "bgnbd" else _mpref.mbg_loglik
    params = rows[:, :4].T
    x, t_x, T = rows[:, 4], rows[:, 5], rows[:, 6]
    ref = np.array([float(ref_fn(*row[:7])) for row in rows])
    _assert_loglik_close(mod.log_likelihood_kernel(params, x, t_x, T), ref, rows)
    # analytic gradient against mpmath's numerical derivative of the reference
    for row in rows[::5]:
        _, g = mod.log_likelihood_gradient_kernel(np.array(row[:4]), row[4:5], row[5:6], row[6:7])
        with mp.workdps(40):
            p = [mp.mpf(float(v)) for v in row[:4]]
            for j in range(4):

                def f(h: mp.mpf, j: int = j, p: list = p, row: np.ndarray = row) -> mp.mpf:
                    q = list(p)
                    q[j] = p[j] * mp.exp(h)
                    return ref_fn(*q, *row[4:7])

                d_ref = float(mp.diff(f, 0, h=mp.mpf(10) ** -12) / p[j])
                # in log-parameter space (what the optimizer sees): 1e-7 relative or 1e-10
                err = float(p[j]) * abs(g[0, j] - d_ref)
                assert err <= 1e-7 * float(p[j]) * abs(d_ref) + 1e-10, (
                    row.tolist(),
                    j,
                    g[0, j],
                    d_ref,
                )


# ----------------------------------------------------------------------------- Pareto/NBD

PARETO_HISTORIES = ((0.0, 0.0, 1.0), (2.0, 30.0, 39.0), (50.0, 3.0, 1e4))


@cache
def _pareto_grid() -> np.ndarray:
    """(r, alpha, s, beta, x, t_x, T, t); beta = alpha (1 + 1e-9) and s = 1 included."""
    out = []
    for r, alpha, s, beta_rel in itertools.product(
        (1e-3, 1.0, 1e3), (1e-3, 1.0, 1e3), (1e-3, 1.0, 1e3), (1e-3, 1.0, 1.0 + 1e-9, 1e6)
    ):
        beta = alpha * beta_rel
        if not 1e-3 <= beta <= 1e3:
            continue
        for hist in PARETO_HISTORIES:
            out.append((r, alpha, s, beta, *hist, 1e4 if len(out) % 2 else 1.0))
    return np.array(out)


@cache
def _pareto_reference() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = _pareto_grid()
    ll, alive, expected = [], [], []
    for r, al, s, be, x, tx, T, t in rows:
        ll.append(float(_mpref.pareto_loglik(r, al, s, be, x, tx, T)))
        p = _mpref.pareto_alive(r, al, s, be, x, tx, T)
        alive.append(float(p))
        expected.append(float(p * _mpref.pareto_mean_given_alive(r, al, s, be, x, T, t)))
    return np.array(ll), np.array(alive), np.array(expected)


def test_pareto_loglik_alive_and_expectation_grid() -> None:
    rows = _pareto_grid()
    ll_ref, alive_ref, expected_ref = _pareto_reference()
    params = rows[:, :4].T
    x, t_x, T, t = rows[:, 4], rows[:, 5], rows[:, 6], rows[:, 7]
    _assert_loglik_close(_pareto_nbd.log_likelihood_kernel(params, x, t_x, T), ll_ref, rows)
    assert_close(_pareto_nbd.probability_alive_kernel(params, x, t_x, T), alive_ref, rows)
    assert_close(_pareto_nbd.expected_purchases_kernel(params, x, t_x, T, t), expected_ref, rows)


def test_pareto_new_customer_expectation_grid() -> None:
    rows = _pareto_grid()
    ref = np.array(
        [
            float(_mpref.pareto_mean_given_alive(r, al, s, be, 0.0, 0.0, t))
            for r, al, s, be, *_, t in rows
        ]
    )
    got = _pareto_nbd.expected_purchases_new_customer_kernel(rows[:, :4].T, rows[:, 7])
    assert_close(got, ref, rows)


# ------------------------------------------------- Pareto/NBD near z = 1, pmf and DERT

#: (alpha, beta) pairs: equal to 1e-9, and 1e3 apart both ways (z = |alpha-beta|/(max+t)
#: within 1e-3 of 1 for t << max, the region where 2F1's series needs >1e4 terms).
NEAR_ONE_SCALES = ((1.0, 1e3), (1e3, 1.0), (1e-3, 1.0), (1.0, 1e-3), (2.0, 2.0 * (1 + 1e-9)))
NEAR_ONE_HISTORIES = ((0.0, 0.0, 1e-3), (3.0, 0.5, 2.0), (50.0, 3.0, 1e4), (1e4, 9e3, 1e4))


@cache
def _near_one_grid() -> np.ndarray:
    """(r, alpha, s, beta, x, t_x, T) rows, r and s from 1e-3 to 1e3."""
    rows = [
        (r, alpha, s, beta, *hist)
        for r, s in itertools.product((1e-3, 1.0, 1e3), (1e-3, 1.0, 1e3))
        for alpha, beta in NEAR_ONE_SCALES
        for hist in NEAR_ONE_HISTORIES
    ]
    return np.array(rows)


@pytest.mark.slow
def test_pareto_loglik_and_gradient_near_z_one() -> None:
    rows = _near_one_grid()
    params = rows[:, :4].T
    x, t_x, T = rows[:, 4], rows[:, 5], rows[:, 6]
    ref = np.array([float(_mpref.pareto_loglik(*row)) for row in rows])
    _assert_loglik_close(_pareto_nbd.log_likelihood_kernel(params, x, t_x, T), ref, rows)
    # analytic gradient (log-parameter space) against mpmath's derivative of the reference
    _, g = _pareto_nbd.log_likelihood_gradient_kernel(params, x, t_x, T)
    for i in range(0, rows.shape[0], 7):
        row = rows[i]
        for j in range(4):

            def f(h: mp.mpf, j: int = j, row: np.ndarray = row) -> mp.mpf:
                q = [mp.mpf(float(v)) for v in row]
                q[j] = q[j] * mp.exp(h)
                return _mpref.pareto_loglik(*q)

            with mp.workdps(60):
                d_ref = float(mp.diff(f, 0, h=mp.mpf(10) ** -15))
            err = abs(row[j] * g[i, j] - d_ref)
            assert err <= 1e-7 * abs(d_ref) + 1e-10, (row.tolist(), j, row[j] * g[i, j], d_ref)


PMF_PARAMS = ((0.553, 10.578, 0.606, 11.669), (1e-3, 1e3, 1.0, 1e-3), (2.0, 1e-3, 1e3, 1e3))
PMF_HISTORIES = ((0.0, 0.0, 1.0), (2.0, 30.0, 39.0), (50.0, 3.0, 1e4))


@cache
def _pmf_grid() -> np.ndarray:
    """(r, alpha, s, beta, x, t_x, T, t, n) rows."""
    rows = [
        (*p, *h, t, n)
        for p in PMF_PARAMS
        for h in PMF_HISTORIES
        for t in (1.0, 1e3)
        for n in (0.0, 1.0, 7.0, 60.0)
    ]
    return np.array(rows)


@pytest.mark.slow
def test_pareto_pmf_grid() -> None:
    """``probability_of_purchases``: values below 1e-300 compare in absolute terms."""
    rows = _pmf_grid()
    ref = np.array([float(_mpref.pareto_pmf(row[8], *row[:8])) for row in rows])
    got = _pareto_nbd.probability_of_purchases_kernel(
        rows[:, :4].T, rows[:, 8], rows[:, 4], rows[:, 5], rows[:, 6], rows[:, 7]
    )
    assert_close(got, ref, rows)


DERT_PARAMS = ((0.553, 10.578, 0.606, 11.669), (1e3, 1e3, 1e-3, 1.0), (1e-3, 1e-3, 2.0, 1e3))
#: hyperu(s, s, delta (beta+T)) overflows for s = 1e3: the closed form declines (None) and CLV
#: integrates E[X(t)] instead; it must decline rather than return a wrong number.
DERT_DECLINED = (1e-3, 1.0, 1e3, 1e3)
DERT_HISTORIES = ((0.0, 0.0, 1.0), (2.0, 30.0, 39.0), (50.0, 3.0, 1e4))


@pytest.mark.slow
@pytest.mark.parametrize("horizon", [52.0, float("inf")])
def test_pareto_dert_grid(horizon: float) -> None:
    """Closed-form DERT (``_dert.pareto_nbd_dert``: hyperu) against mpmath quadrature."""
    import pandas as pd

    from customer_models.valuation import ParetoNBDModel, _clv

    deltas = np.array([1e-3, 0.1])
    hist = np.repeat(np.array(DERT_HISTORIES), deltas.size, axis=0)
    delta = np.tile(deltas, len(DERT_HISTORIES))
    data = pd.DataFrame(hist, columns=["frequency", "recency", "T"])
    for params in (*DERT_PARAMS, DERT_DECLINED):
        names = ("r", "alpha", "s", "beta")
        model = ParetoNBDModel.from_params(**dict(zip(names, params, strict=True)))
        got = _clv._closed_form_dert(model, data, delta, horizon)
        if params == DERT_DECLINED:
            assert got is None
            continue
        rows = np.column_stack([np.tile(params, (hist.shape[0], 1)), hist, delta])
        assert got is not None, f"closed form declined on {rows.tolist()}"
        ref = np.array(
            [
                float(_mpref.pareto_dert(*params, *h, d, horizon))
                for h, d in zip(hist, delta, strict=True)
            ]
        )
        assert_close(got, ref, rows)


def test_gamma_ratio_and_digamma_difference_by_region_against_mpmath() -> None:
    """Both regions (plain difference, Stirling series of the difference) stay at ~1e-15."""
    from customer_models.valuation._special import digamma_difference, log_gamma_ratio

    rng = np.random.default_rng(11)
    w = np.exp(rng.uniform(np.log(16.0), np.log(1e9), 400))  # both arguments >= 16
    c = np.exp(rng.uniform(np.log(1e-6), np.log(1e6), 400))
    with mp.workdps(40):
        pairs = [(mp.mpf(a), mp.mpf(b)) for a, b in zip(w, c, strict=True)]
        lgr = [float(mp.loggamma(a + b) - mp.loggamma(a)) for a, b in pairs]
        dd = [float(mp.digamma(a + b) - mp.digamma(a)) for a, b in pairs]
    np.testing.assert_allclose(log_gamma_ratio(w, c), lgr, rtol=5e-15, atol=0)
    np.testing.assert_allclose(digamma_difference(w, c), dd, rtol=5e-15, atol=0)
