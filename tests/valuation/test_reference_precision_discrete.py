"""Reference-precision layer for the discrete and spend models: BG/BB, sBG and Gamma-Gamma.

Every kernel is compared with an mpmath reference computed here at 40 significant digits, on
deterministic grids: parameters from 1e-3 to 1e3 (with the near-singular ``gamma`` = 1 and
``gamma`` = 1 + 1e-7 of the BG/BB expectation and ``alpha`` = 1, 2 of the sBG mean lifetime),
``n``/``t``/durations up to 1e4 periods and frequencies up to 1e4. The references are the
model definitions summed term by term (each term an exact ratio of beta functions, the next
one by its exact rational factor), or mpmath's ``hyp2f1`` checked at two precisions,
independently of the library's algorithms. Every value must be finite and within ``RTOL``
relative (log-likelihoods: absolute, i.e. the relative error of ``L``); the bounds are the ones
stated in docs/valuation_discrete_and_spend.md, "Verified range and precision". The
purchase-count pmf and gradient grids are marked slow (CI still runs them).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from fractions import Fraction
from functools import cache
from types import ModuleType

import mpmath as mp
import numpy as np
import pytest
from _mpref import assert_close

from customer_models.valuation import _bgbb, _gamma_gamma, _sbg

DPS = 40
RTOL = 1e-8
PARAM = (1e-3, 1.0, 1e3)


def _mpf(*values: float) -> list[mp.mpf]:
    return [mp.mpf(float(v)) for v in values]


def _assert_loglik_close(got: np.ndarray, ref: np.ndarray, rows: np.ndarray) -> None:
    """The error of log L is the relative error of L: at most RTOL, plus 1e-13 of |log L|
    (float64 cannot resolve a log-likelihood of size 1e6 to better than ~1e-10)."""
    got = np.asarray(got, dtype=np.float64)
    assert np.all(np.isfinite(got)), rows[~np.isfinite(got)][:5].tolist()
    err = np.abs(got - ref)
    bad = err > RTOL + 1e-13 * np.abs(ref)
    assert not bad.any(), (rows[bad][:5].tolist(), err[bad][:5].tolist())


def _log_gradient(
    ref: Callable[..., mp.mpf], params: tuple[float, ...], data: tuple[float, ...]
) -> list[float]:
    """``d log L / d log theta_j`` by mpmath's numerical derivative of the reference."""
    out = []
    with mp.workdps(DPS):
        p = _mpf(*params)
        for j in range(len(p)):

            def f(h: mp.mpf, j: int = j) -> mp.mpf:
                q = list(p)
                q[j] = p[j] * mp.exp(h)
                return ref(*q, *data)

            out.append(float(mp.diff(f, 0, h=mp.mpf(10) ** -12)))
    return out


def _assert_gradient_close(got: np.ndarray, ref: list[float], params: np.ndarray, row) -> None:
    """In log-parameter units (what the optimizer sees): 1e-7 relative, or 1e-10 absolute."""
    got_log = np.asarray(got, dtype=np.float64) * params
    assert np.all(np.isfinite(got_log)), (row, got)
    err = np.abs(got_log - np.asarray(ref))
    assert np.all(err <= 1e-7 * np.abs(ref) + 1e-10), (row, got_log.tolist(), ref)


def _columns(row: np.ndarray, n_params: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """A grid row as a kernel call: the parameters, then each further column as a 1-array."""
    return row[:n_params], [row[j : j + 1] for j in range(n_params, len(row))]


def _assert_gradient_grid(
    gradient: Callable[..., tuple], reference: Callable[..., mp.mpf], rows: np.ndarray, n: int
) -> None:
    """The gradient kernel on each row (``n`` parameters, then the data) against mpmath's
    derivative of the ``reference`` log-likelihood, in log-parameter units."""
    for row in rows:
        params, data = _columns(row, n)
        _, grad = gradient(params, *data)
        ref = _log_gradient(reference, tuple(params), tuple(row[n:]))
        _assert_gradient_close(grad[0], ref, params, row.tolist())


def _assert_loglik_and_gradient_grid(
    kernels: ModuleType, reference: Callable[..., mp.mpf], rows: np.ndarray, n: int, every: int
) -> None:
    """The log-likelihood kernel on each row against the mpmath ``reference``, and the
    gradient kernel on every ``every``-th row."""
    ref = np.array([float(reference(*row)) for row in rows])
    got = np.empty(len(rows))
    for i, row in enumerate(rows):
        params, data = _columns(row, n)
        got[i] = kernels.log_likelihood_kernel(params, *data)[0]
    _assert_loglik_close(got, ref, rows)
    _assert_gradient_grid(kernels.log_likelihood_gradient_kernel, reference, rows[::every], n)


# ----------------------------------------------------------------------------- BG/BB


def _exact(value: float | mp.mpf) -> Fraction:
    """The exact dyadic rational of a float or mpf."""
    man, exp = mp.mpf(value).man_exp
    return Fraction(int(man)) * Fraction(2) ** int(exp)


def _rational_series(
    upper: list, lower: list, n_terms: int, bits: int = 256, factor: Fraction | float = 1.0
) -> mp.mpf:
    """``sum_{i<n_terms} prod_{j<i} factor prod_u (u+j) / prod_l (l+j)`` in integer arithmetic.

    The arguments are exact (floats or mpf sums of them), so every factor is an exact rational;
    each term is truncated to ``2**-bits`` of the first (all terms are positive, so the sum is
    exact to ``n_terms * 2**-bits`` relative). Much faster than the same loop in mpmath.
    """
    fractions = [_exact(v) for v in (*upper, *lower)]
    scale = max(f.denominator for f in fractions)  # powers of two: a common denominator
    ints = [int(f * scale) for f in fractions]
    up, lo = ints[: len(upper)], ints[len(upper) :]
    ratio = factor if isinstance(factor, Fraction) else _exact(factor)
    term, total = 1 << bits, 0
    for j in range(n_terms):
        total += term
        num, den = ratio.numerator, ratio.denominator
        for u in up:
            num *= u + j * scale
        for v in lo:
            den *= v + j * scale
        term = term * num // den
    return mp.mpf(total) / (1 << bits)


def _beta_ratio(a: mp.mpf, b: mp.mpf, a0: mp.mpf, b0: mp.mpf) -> mp.mpf:
    return mp.beta(a, b) / mp.beta(a0, b0)


def bgbb_likelihood(
    al: mp.mpf, be: mp.mpf, ga: mp.mpf, de: mp.mpf, x: mp.mpf, tx: mp.mpf, n: mp.mpf
) -> tuple[mp.mpf, mp.mpf]:
    """``(A, L)``: alive through all ``n`` opportunities, and the likelihood (FHS 2010 eq. 5).

    The sum over the opportunity of death ``t_x + i + 1`` is taken term by term; each term is
    the previous one times its exact factor ``(b'+i)/(a+b'+i) (d'+i)/(g+d'+1+i)``.
    """
    a_part = _beta_ratio(al + x, be + n - x, al, be) * _beta_ratio(ga, de + n, ga, de)
    first = _beta_ratio(al + x, be + tx - x, al, be) * _beta_ratio(ga + 1, de + tx, ga, de)
    series = _rational_series([be + tx - x, de + tx], [al + be + tx, ga + de + 1 + tx], int(n - tx))
    return a_part, a_part + first * series


def bgbb_loglik(*values: float | mp.mpf) -> mp.mpf:
    """log L(alpha, beta, gamma, delta | x, t_x, n)."""
    with mp.workdps(DPS):
        return mp.log(bgbb_likelihood(*(mp.mpf(v) for v in values))[1])


def _survival_sum(ga: mp.mpf, de: mp.mpf, start: mp.mpf, t: int) -> mp.mpf:
    """``sum_{k=1}^{t} B(g, d+start+k)/B(g, d)``: alive at each of the next t opportunities."""
    first = _beta_ratio(ga, de + start + 1, ga, de)
    return first * _rational_series([de + start + 1], [ga + de + start + 1], t)


def bgbb_predictions(row: np.ndarray) -> tuple[float, float, float, float]:
    """(log L, P(alive at n + 1), E[X(n, n+t)], new-customer E[X(t)]) for one grid row."""
    with mp.workdps(DPS):
        al, be, ga, de, x, tx, n = (mp.mpf(v) for v in row[:7])
        t = int(row[7])
        _, like = bgbb_likelihood(al, be, ga, de, x, tx, n)
        front = _beta_ratio(al + x, be + n - x, al, be)
        alive = front * _beta_ratio(ga, de + n + 1, ga, de) / like
        buy = _beta_ratio(al + x + 1, be + n - x, al, be)
        expected = buy * _survival_sum(ga, de, n, t) / like
        new = al / (al + be) * _survival_sum(ga, de, mp.mpf(0), t)
        return float(mp.log(like)), float(alive), float(expected), float(new)


def bgbb_pmf(row: np.ndarray, k: int) -> float:
    """P(X(n, n+t) = k | x, t_x, n) from the model's story: the customer dies after i = k..t-1
    future opportunities (k purchases among the i) or survives all t; dead before n + 1 buys
    nothing."""
    with mp.workdps(DPS):
        al, be, ga, de, x, tx, n = (mp.mpf(v) for v in row[:7])
        t = int(row[7])
        a_part, like = bgbb_likelihood(al, be, ga, de, x, tx, n)
        total = like - a_part if k == 0 else mp.mpf(0)
        if k < t:
            # alive through n + i, dead at n + i + 1, k purchases among the i (i = k .. t-1)
            first = _beta_ratio(al + x + k, be + n - x, al, be) * _beta_ratio(
                ga + 1, de + n + k, ga, de
            )
            total += first * _rational_series(
                [mp.mpf(k + 1), be + n - x, de + n + k],
                [mp.mpf(1), al + be + n + k, ga + de + 1 + n + k],
                t - k,
            )
        if k <= t:
            total += (
                mp.binomial(t, k)
                * _beta_ratio(al + x + k, be + n - x + t - k, al, be)
                * _beta_ratio(ga, de + n + t, ga, de)
            )
        return float(total / like)


BGBB_GAMMA = (1e-3, 1.0, 1.0 + 1e-7, 1e3)
BGBB_HISTORIES = (
    (0, 0, 0),
    (0, 0, 1),
    (3, 5, 6),
    (0, 0, 1e4),
    (50, 100, 1e4),
    (1e4, 1e4, 1e4),
    (5e3, 9e3, 1e4),
)
BGBB_TIMES = (1, 10, 1e4)


@cache
def _bgbb_grid() -> np.ndarray:
    """(alpha, beta, gamma, delta, x, t_x, n, t) rows: every parameter corner with every
    history, the future opportunities t cycling through 1, 10 and 1e4."""
    combos = itertools.product(PARAM, PARAM, BGBB_GAMMA, PARAM, BGBB_HISTORIES)
    rows = [(*p, g, d, *h, BGBB_TIMES[i % 3]) for i, (*p, g, d, h) in enumerate(combos)]
    return np.array(rows, dtype=float)


@cache
def _bgbb_reference() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rows = _bgbb_grid()
    ref = np.array([bgbb_predictions(row) for row in rows])
    return ref[:, 0], ref[:, 1], ref[:, 2], ref[:, 3]


def _bgbb_columns(rows: np.ndarray) -> tuple[np.ndarray, ...]:
    return rows[:, 4], rows[:, 5], rows[:, 6]


def _per_row(fn: Callable[..., np.ndarray], rows: np.ndarray, *args: int) -> np.ndarray:
    """A kernel takes one parameter vector: call it once per grid row."""
    return np.array(
        [float(np.asarray(fn(r[:4], r[4:5], r[5:6], r[6:7], *args)).ravel()[0]) for r in rows]
    )


def test_bgbb_loglik_grid() -> None:
    rows = _bgbb_grid()
    _assert_loglik_close(_per_row(_bgbb.log_likelihood_kernel, rows), _bgbb_reference()[0], rows)


@pytest.mark.slow
def test_bgbb_gradient_grid() -> None:
    rows = _bgbb_grid()[::9, :7]  # the likelihood's columns: without the future t
    _assert_gradient_grid(_bgbb.log_likelihood_gradient_kernel, bgbb_loglik, rows, 4)


def test_bgbb_alive_expectation_and_new_customer_grid() -> None:
    rows = _bgbb_grid()
    _, alive_ref, expected_ref, new_ref = _bgbb_reference()
    alive = _per_row(_bgbb.probability_alive_kernel, rows)
    expected = np.array(
        [_bgbb.expected_purchases_kernel(r[:4], r[4:5], r[5:6], r[6:7], r[7])[0] for r in rows]
    )
    new = np.array([float(_bgbb.expected_purchases_new_customer_kernel(r[:4], r[7])) for r in rows])
    assert_close(alive, alive_ref, rows)
    assert_close(expected, expected_ref, rows)
    assert_close(new, new_ref, rows)


@pytest.mark.slow
def test_bgbb_probability_of_purchases_grid() -> None:
    rows = _bgbb_grid()[::4]
    for row in rows:
        t = int(row[7])
        ks = sorted({0, 1, min(t, 5), t})
        got = np.array(
            [
                _bgbb.probability_of_purchases_kernel(row[:4], row[4:5], row[5:6], row[6:7], t, k)[
                    0
                ]
                for k in ks
            ]
        )
        ref = np.array([bgbb_pmf(row, k) for k in ks])
        assert_close(got, ref, np.array([[*row.tolist(), k] for k in ks]))


# ----------------------------------------------------------------------------- sBG

SBG_ALPHA = (1e-3, 0.5, 1.0, 2.0, 1e3)
SBG_DURATIONS = (0.0, 1.0, 2.0, 100.0, 1e4)
DISCOUNT_RATES = (1e-3, 0.01, 0.1, 1.0, 10.0)


def sbg_loglik(al: float | mp.mpf, be: float | mp.mpf, d: float, churned: float) -> mp.mpf:
    """log P(T = d) (churned in period d) or log S(d) = log P(T > d) (still active)."""
    with mp.workdps(DPS):
        al, be, d = mp.mpf(al), mp.mpf(be), mp.mpf(d)
        if churned:
            return mp.log(_beta_ratio(al + 1, be + d - 1, al, be))
        return mp.log(_beta_ratio(al, be + d, al, be))


def _hyp2f1_checked(a: mp.mpf, b: mp.mpf, c: mp.mpf, z: mp.mpf) -> mp.mpf:
    """mpmath's 2F1, accepted only when 40 and 55 digits agree to 1e-30."""
    with mp.workdps(55):
        high = mp.hyp2f1(a, b, c, z)
    low = mp.hyp2f1(a, b, c, z)
    assert abs(high - low) <= mp.mpf(10) ** -30 * abs(high)
    return high


def sbg_derl(al: float, be: float, s: float, d: float) -> mp.mpf:
    """DERL (Fader & Hardie 2010): (b+s)/(a+b+s) 2F1(1, b+s+1; a+b+s+1; 1/(1+d)).

    The 2F1 is its own series (positive terms, ratio below 1/(1+d)) summed exactly to 1e-36
    when that takes at most 5000 terms (d >= 0.02), else mpmath's ``hyp2f1`` (fast there).
    """
    with mp.workdps(DPS):
        al, be, s, d = mp.mpf(al), mp.mpf(be), mp.mpf(s), mp.mpf(d)
        if d == 0:
            return (be + s) / (al - 1)
        lead = (be + s) / (al + be + s)
        n_terms = int(mp.ceil(mp.log(mp.mpf(10) ** -36 * d / (1 + d)) / -mp.log1p(d)))
        if n_terms <= 5000:
            exact_x = 1 / (1 + _exact(d))  # 1/(1+d) as an exact rational
            series = _rational_series([be + s + 1], [al + be + s + 1], n_terms, factor=exact_x)
            return lead * series
        z = 1 / (1 + d)
        return lead * _hyp2f1_checked(1, be + s + 1, al + be + s + 1, z)


def sbg_del(al: float, be: float, d: float) -> mp.mpf:
    """DEL = sum_t S(t) / (1+d)^t = 2F1(1, b; a+b; 1/(1+d)) (mean lifetime when d = 0)."""
    with mp.workdps(DPS):
        al, be, d = mp.mpf(al), mp.mpf(be), mp.mpf(d)
        if d == 0:
            return (al + be - 1) / (al - 1)
        return _hyp2f1_checked(1, be, al + be, 1 / (1 + d))


def _sbg_params() -> list[tuple[float, float]]:
    return list(itertools.product(SBG_ALPHA, PARAM))


def test_sbg_loglik_and_gradient_grid() -> None:
    rows = np.array(
        [
            (a, b, d, c)
            for a, b in _sbg_params()
            for d in SBG_DURATIONS
            for c in (0.0, 1.0)
            if not (c == 1.0 and d == 0.0)
        ]
    )
    _assert_loglik_and_gradient_grid(_sbg, sbg_loglik, rows, 2, every=3)


def test_sbg_survival_and_retention_grid() -> None:
    times = np.array([0.0, 1.0, 2.0, 10.0, 1e3, 1e4])
    for a, b in _sbg_params():
        params = np.array([a, b])
        rows = np.array([(a, b, t) for t in times])
        with mp.workdps(DPS):
            surv = [_beta_ratio(mp.mpf(a), mp.mpf(b) + t, mp.mpf(a), mp.mpf(b)) for t in times]
        assert_close(_sbg.survival_kernel(params, times), np.array(surv, float), rows)
        retention = [surv[i] / surv[i - 1] for i in (1, 2)]
        with mp.workdps(DPS):  # r(t) = S(t)/S(t-1) at t = 1e4 (and 1e3 + 1)
            for t in (1e3 + 1.0, 1e4):
                retention.append(
                    _beta_ratio(mp.mpf(a), b + mp.mpf(t), mp.mpf(a), b + mp.mpf(t) - 1)
                )
        got = _sbg.retention_rate_kernel(params, np.array([1.0, 2.0, 1e3 + 1.0, 1e4]))
        assert_close(got, np.array(retention, float), rows[:4])


@cache
def _derl_grid() -> np.ndarray:
    """(alpha, beta, s, d): every parameter pair, s up to 1e4, d from 1e-3 to 10 (and 0
    where the undiscounted lifetime is finite, alpha > 1)."""
    rows = [
        (a, b, s, d)
        for a, b in _sbg_params()
        for d in (0.0, *DISCOUNT_RATES)
        if d > 0 or a > 1
        for s in (0.0, 1.0, 10.0, 1e3, 1e4)
    ]
    return np.array(rows)


def test_sbg_derl_grid() -> None:
    rows = _derl_grid()
    ref = np.array([float(sbg_derl(*row)) for row in rows])
    got = np.array(
        [
            _sbg.discounted_expected_residual_lifetime_kernel(r[:2], r[2:3], float(r[3]))[0]
            for r in rows
        ]
    )
    assert_close(got, ref, rows)
    # one call with every s of a parameter pair (the vectorized path)
    for a, b, d in {(r[0], r[1], r[3]) for r in rows}:
        part = rows[(rows[:, 0] == a) & (rows[:, 1] == b) & (rows[:, 3] == d)]
        got = _sbg.discounted_expected_residual_lifetime_kernel(np.array([a, b]), part[:, 2], d)
        assert_close(got, np.array([float(sbg_derl(*r)) for r in part]), part)


def test_sbg_del_grid() -> None:
    rows = np.array(
        [(a, b, d) for a, b in _sbg_params() for d in (0.0, *DISCOUNT_RATES) if d > 0 or a > 1]
    )
    ref = np.array([float(sbg_del(*row)) for row in rows])
    got = np.array([_sbg.discounted_expected_lifetime_kernel(r[:2], r[2]) for r in rows])
    assert_close(got, ref, rows)


# ----------------------------------------------------------------------------- Gamma-Gamma

GG_Q = (1e-3, 1.0 + 1e-7, 2.0, 1e3)
GG_HISTORIES = tuple(itertools.product((1.0, 50.0, 1e4), (1e-3, 1.0, 1e3, 1e4)))


def gg_loglik(*values: float | mp.mpf) -> mp.mpf:
    """log density of the mean m of x transactions (Hardie's note 025, eq. 1a)."""
    with mp.workdps(DPS):
        p, q, v, x, m = (mp.mpf(val) for val in values)
        return (
            mp.loggamma(p * x + q)
            - mp.loggamma(p * x)
            - mp.loggamma(q)
            + q * mp.log(v)
            + (p * x - 1) * mp.log(m)
            + p * x * mp.log(x)
            - (p * x + q) * mp.log(v + x * m)
        )


@cache
def _gg_grid() -> np.ndarray:
    """(p, q, v, x, m): every parameter corner (q also 1 + 1e-7 and 2) with every history."""
    return np.array(
        [(p, q, v, *h) for p, q, v in itertools.product(PARAM, GG_Q, PARAM) for h in GG_HISTORIES]
    )


def test_gamma_gamma_loglik_and_gradient_grid() -> None:
    _assert_loglik_and_gradient_grid(_gamma_gamma, gg_loglik, _gg_grid(), 3, every=5)


def test_gamma_gamma_expected_spend_grid() -> None:
    """Wherever it is finite (p x + q > 1), and the population mean (x = 0) when q > 1."""
    rows = _gg_grid()
    rows = rows[rows[:, 0] * rows[:, 3] + rows[:, 1] > 1.0]
    with mp.workdps(DPS):
        ref = [
            float(mp.mpf(p) * (v + mp.mpf(x) * m) / (mp.mpf(p) * x + q - 1))
            for p, q, v, x, m in rows
        ]
    got = np.array([_gamma_gamma.expected_spend_kernel(r[:3], r[3:4], r[4:5])[0] for r in rows])
    assert_close(got, np.array(ref), rows)
    pop = np.array([(p, q, v) for p, q, v in itertools.product(PARAM, GG_Q, PARAM) if q > 1])
    with mp.workdps(DPS):
        pop_ref = [float(mp.mpf(p) * v / (mp.mpf(q) - 1)) for p, q, v in pop]
    got = np.array([_gamma_gamma.expected_spend_kernel(r, [0.0], [0.0])[0] for r in pop])
    assert_close(got, np.array(pop_ref), pop)


# --- BG/NBD and MBG/NBD infinite-horizon DERT (_clv) ---------------------------------------

#: (r, alpha, a, b, frequency, recency, T, delta): the CDNOW-like fit with every history and
#: discount force (delta (alpha + T) from 1e-6 to 1e3, including the 4e-4 failure of the old
#: product quadrature at x = 0, T = 1, delta = 1e-3), then parameter corners in 1e-3..1e3.
BG_DERT_GRID = (
    *(
        (0.243, 4.414, 0.793, 2.426, *h, d)
        for h in ((0.0, 0.0, 1.0), (2.0, 30.0, 39.0), (50.0, 3.0, 1e3))
        for d in (1e-6, 1e-3, 0.1, 1.0)
    ),
    (1e-3, 1e-3, 1e-3, 1e-3, 0.0, 0.0, 1.0, 1e-6),
    (1e-3, 1e-3, 1e-3, 1.0, 50.0, 3.0, 1e3, 0.1),
    (1e-3, 1e-3, 1e-3, 1e3, 2.0, 30.0, 39.0, 1e-3),
    (1e-3, 1e-3, 1.0, 0.001, 0.0, 0.0, 1.0, 1e-6),
    (1e-3, 1e-3, 1e3, 1.0, 50.0, 3.0, 1e3, 0.1),
    (1e-3, 1.0, 1.0, 1e3, 2.0, 30.0, 39.0, 1e-3),
    (1e-3, 1.0, 1e3, 1e-3, 0.0, 0.0, 1.0, 1e-6),
    (1e-3, 1e3, 1e-3, 1e-3, 0.0, 0.0, 1.0, 1e-6),
    (1.0, 1.0, 1e-3, 1e-3, 2.0, 30.0, 39.0, 1e-3),
    (1e3, 1.0, 1.0, 1e3, 0.0, 0.0, 1.0, 1e-6),
    (1e3, 1e3, 1e3, 1.0, 2.0, 30.0, 39.0, 1e-3),
    (1e3, 1e-3, 1e-3, 1e3, 0.0, 0.0, 1.0, 1e-6),
    (2.0, 1e-2, 5.0, 1.0, 50.0, 3.0, 1e3, 1.0),
)


def _bg_dert_reference(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: float,
    t_x: float,
    T: float,
    delta: float,
    modified: bool = False,
) -> float:
    """``P(alive) E[lambda / (delta + p lambda)]``, lambda ~ Gamma(k, alpha + T), p ~ Beta(a, b').

    ``k = r + x``, ``b' = b + x`` (MBG/NBD: ``b + x + 1``). The other order than the library:
    given lambda the Beta expectation is ``2F1(1, a; a + b'; -lambda/delta) / delta`` (mpmath),
    and the size-biased rate ``W = lambda (alpha + T) ~ Gamma(k + 1, 1)`` is integrated by
    tanh-sinh quadrature in ``log W``, cut at the density's mode and where the 2F1 bends
    (``W ~ delta (alpha + T)``), at 20 digits (the float64 result is checked to 1e-8).
    """
    import _mpref

    with mp.workdps(20):
        k = mp.mpf(r) + x
        a_, c = mp.mpf(a), mp.mpf(a) + mp.mpf(b) + x + (1 if modified else 0)
        sigma = mp.mpf(delta) * (mp.mpf(alpha) + T)
        log_norm = mp.loggamma(k + 1)

        def weighted(s: mp.mpf) -> mp.mpf:  # W = e^s
            w = mp.exp(s)
            return mp.exp((k + 1) * s - w - log_norm) * mp.hyp2f1(1, a_, c, -w / sigma)

        mode, sd = mp.log(k + 1), 1 / mp.sqrt(k + 1)
        lo = min(mode - 40 * sd, mp.log(sigma) - 5) - 60 / (k + 1)  # W^(k+1) below e^-60
        hi = mode + max(40 * sd, mp.mpf(5))  # e^-W beyond
        cuts = {mp.log(sigma) + j for j in (-3, 0, 3)}
        cuts |= {mode + j * sd for j in (-30, -10, -3, 0, 3, 10, 30)}
        expectation = (
            k / sigma * mp.quad(weighted, sorted({lo, hi, *(v for v in cuts if lo < v < hi)}))
        )
        alive = (_mpref.mbg_alive if modified else _mpref.bg_alive)(r, alpha, a, b, x, t_x, T)
        return float(alive * expectation)


def _bg_dert_values(model_cls: type, row: np.ndarray, *, fallback: bool) -> float:
    """One row's infinite-horizon DERT by the closed form, or by CLV's integral of E[X(t)]
    (`_clv._continuous` with the closed form declined, as for a duck-typed model)."""
    import pandas as pd

    from customer_models.valuation import _clv

    model = model_cls.from_params(**dict(zip(("r", "alpha", "a", "b"), row[:4], strict=True)))
    data = pd.DataFrame([row[4:7]], columns=["frequency", "recency", "T"])
    delta = row[7:8]
    if not fallback:
        got = _clv._closed_form_dert(model, data, delta, np.inf)
        assert got is not None
        return float(got[0])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_clv, "_closed_form_dert", lambda *args: None)
        cumulative = _clv._cumulative_fn(model, data)
        return float(_clv._continuous(model, data, cumulative, np.inf, delta)[0])


@pytest.mark.slow
def test_bgnbd_infinite_dert_grid() -> None:
    """BG/NBD closed-form DERT (``_dert.bg_family_dert``) vs mpmath, to delta (alpha + T) = 1e-6."""
    from customer_models.valuation import BetaGeoModel

    grid = np.array(BG_DERT_GRID)
    ref = np.array([_bg_dert_reference(*row) for row in grid])
    got = np.array([_bg_dert_values(BetaGeoModel, row, fallback=False) for row in grid])
    assert_close(got, ref, grid)
    # the E[X(t)] fallback of CLV (other models, or a declined closed form), same grid
    fallback = np.array([_bg_dert_values(BetaGeoModel, row, fallback=True) for row in grid])
    assert_close(fallback, ref, grid)


def test_bgnbd_dert_small_scale_point() -> None:
    """The point the old product quadrature missed by 4e-4 (CDNOW-like, x = 0, T = 1)."""
    from customer_models.valuation import BetaGeoModel

    row = np.array([0.243, 4.414, 0.793, 2.426, 0.0, 0.0, 1.0, 1e-3])
    ref = _bg_dert_reference(*row)
    for fallback in (False, True):
        got = _bg_dert_values(BetaGeoModel, row, fallback=fallback)
        assert abs(got - ref) <= 1e-8 * ref, (fallback, got, ref)


@pytest.mark.slow
def test_mbgnbd_infinite_dert_grid() -> None:
    """MBG/NBD uses the same closed form with b' = b + x + 1 and its own P(alive)."""
    from customer_models.valuation import ModifiedBetaGeoModel

    grid = np.array(BG_DERT_GRID[::3])
    ref = np.array([_bg_dert_reference(*row, modified=True) for row in grid])
    got = np.array([_bg_dert_values(ModifiedBetaGeoModel, row, fallback=False) for row in grid])
    assert_close(got, ref, grid)
