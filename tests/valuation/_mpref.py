"""mpmath references (>= 40 significant digits) for the valuation kernels.

Each function takes float arguments and returns an ``mpmath.mpf``; the tests compare the
library's float64 kernels against them. The formulas are the published closed forms (Fader,
Hardie and Lee 2005; Fader and Hardie 2005 notes; Fader, Hardie and Shang 2010), evaluated
with mpmath's own ``hyp2f1``/``quad``, independently of the library's algorithms.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np

DPS = 40


def _mpf(*values: float) -> list[mp.mpf]:
    return [v if isinstance(v, mp.mpf) else mp.mpf(float(v)) for v in values]


# ----------------------------------------------------------------------------- BG/NBD family


def _bg_mean_hyp(rp: float, u: float, a: float, bp: float, dps: int) -> mp.mpf:
    with mp.workdps(dps):
        rp_, u_, a_, bp_ = _mpf(rp, u, a, bp)
        if a_ == 1:
            a_ += mp.mpf(10) ** -40
        c = a_ + bp_ - 1
        if c == 0:
            c += mp.mpf(10) ** -40
        w = u_ / (1 + u_)
        return +(c / (a_ - 1) * (1 - (1 + u_) ** (-rp_) * mp.hyp2f1(rp_, bp_, c, w)))


def _bg_mean_quad(rp: float, u: float, a: float, bp: float) -> mp.mpf:
    """``E_p[(1 - (1+pu)^-r')/p]``, ``p ~ Beta(a, b')``, by tanh-sinh quadrature in logit p."""
    with mp.workdps(DPS):
        rp_, u_, a_, bp_ = _mpf(rp, u, a, bp)
        log_b = mp.log(mp.beta(a_, bp_))

        def f(v: mp.mpf) -> mp.mpf:
            lp, lq = -mp.log1p(mp.exp(-v)), -mp.log1p(mp.exp(v))
            p = mp.exp(lp)
            return mp.exp(a_ * lp + bp_ * lq - log_b) * (-mp.expm1(-rp_ * mp.log1p(p * u_)) / p)

        mode = mp.log(a_ / bp_)
        sd = mp.sqrt(mp.psi(1, a_) + mp.psi(1, bp_))
        turn = -mp.log(u_ * (rp_ + 1))  # where g(p) bends from r'u to 1/p
        cuts = [mode + k * sd for k in (-40, -8, 0, 8, 40)] + [turn - 5, turn, turn + 5]
        # beyond lo (hi) g is r'u (g(1)) to a relative e^-80: exact beta tails for those
        lo, hi = turn - 80, mp.mpf(80)
        cuts += [lo + 10 * k for k in range(1, int((hi - lo) / 10) + 1)]
        pts = sorted({lo, hi, *(c for c in cuts if lo < c < hi)})
        left = mp.betainc(a_, bp_, 0, mp.exp(lo) / (1 + mp.exp(lo)), regularized=True) * rp_ * u_
        right = mp.betainc(bp_, a_, 0, 1 / (1 + mp.exp(hi)), regularized=True)  # in q = 1 - p
        right *= 1 - (1 + u_) ** -rp_
        return +(mp.quad(f, pts) + left + right)


def bg_mean_given_alive(rp: float, u: float, a: float, bp: float) -> mp.mpf:
    """Purchases in ``(T, T+t]`` given alive (FHL 2005 eq. 10 without P(alive)).

    ``(a+b'-1)/(a-1) [1 - (1+u)^-r' 2F1(r', b'; a+b'-1; u/(1+u))]`` with ``r' = r+x``,
    ``b' = b+x``, ``u = t/(alpha+T)``. mpmath's ``hyp2f1`` loses the product
    ``(1+u)^-r' 2F1`` for large ``r'``, ``b'`` (both factors beyond 1e±1000), so its value is
    accepted only when 30 and 40 digits agree to 1e-25; otherwise (and for ``r'`` or ``b'``
    above 2000) the expectation ``E_p[(1-(1+pu)^-r')/p]``, ``p ~ Beta(a, b')``, is integrated by
    mpmath's tanh-sinh quadrature. ``a = 1`` (and ``a + b' = 1``) is removable: evaluated 1e-40
    away with extra digits.
    """
    if u == 0:
        return mp.mpf(0)
    if max(rp, bp) <= 2e3:
        # digits lost to 1 - (...) near a = 1 and for small u
        extra = (40 if abs(a - 1.0) < 1e-6 else 0) + max(0, int(-mp.log10(u * (rp + 1))) + 2)
        v30 = _bg_mean_hyp(rp, u, a, bp, 30 + extra)
        v40 = _bg_mean_hyp(rp, u, a, bp, 40 + extra)
        if abs(v30 - v40) <= mp.mpf(10) ** -25 * abs(v40):
            return v40
    return _bg_mean_quad(rp, u, a, bp)


def bg_alive(r: float, alpha: float, a: float, b: float, x: float, t_x: float, T: float) -> mp.mpf:
    with mp.workdps(DPS):
        r_, al, a_, b_, x_, tx, T_ = _mpf(r, alpha, a, b, x, t_x, T)
        if x_ == 0:
            return mp.mpf(1)
        return 1 / (1 + a_ / (b_ + x_ - 1) * ((al + T_) / (al + tx)) ** (r_ + x_))


def mbg_alive(r: float, alpha: float, a: float, b: float, x: float, t_x: float, T: float) -> mp.mpf:
    with mp.workdps(DPS):
        r_, al, a_, b_, x_, tx, T_ = _mpf(r, alpha, a, b, x, t_x, T)
        return 1 / (1 + a_ / (b_ + x_) * ((al + T_) / (al + tx)) ** (r_ + x_))


def bg_loglik(r: float, alpha: float, a: float, b: float, x: float, t_x: float, T: float) -> mp.mpf:
    with mp.workdps(DPS):
        r_, al, a_, b_, x_, tx, T_ = _mpf(r, alpha, a, b, x, t_x, T)
        front = mp.beta(a_, b_ + x_) / mp.beta(a_, b_) * mp.gamma(r_ + x_) * al**r_ / mp.gamma(r_)
        like = front / (al + T_) ** (r_ + x_)
        if x_ > 0:
            like += (
                mp.beta(a_ + 1, b_ + x_ - 1)
                / mp.beta(a_, b_)
                * mp.gamma(r_ + x_)
                * al**r_
                / mp.gamma(r_)
                / (al + tx) ** (r_ + x_)
            )
        return mp.log(like)


def mbg_loglik(
    r: float, alpha: float, a: float, b: float, x: float, t_x: float, T: float
) -> mp.mpf:
    with mp.workdps(DPS):
        r_, al, a_, b_, x_, tx, T_ = _mpf(r, alpha, a, b, x, t_x, T)
        front = mp.beta(a_, b_ + x_ + 1) / mp.beta(a_, b_) * mp.gamma(r_ + x_) * al**r_
        front /= mp.gamma(r_)
        return mp.log(
            front * (1 / (al + T_) ** (r_ + x_) + a_ / (b_ + x_) / (al + tx) ** (r_ + x_))
        )


def bg_pmf_new(n: float, t: float, r: float, alpha: float, a: float, b: float) -> mp.mpf:
    """P(X(t) = n) for a new BG/NBD customer (FHL 2005 eq. 8)."""
    with mp.workdps(DPS):
        n_, t_, r_, al, a_, b_ = _mpf(n, t, r, alpha, a, b)
        nb = lambda j: (  # noqa: E731
            mp.gamma(r_ + j)
            / (mp.gamma(r_) * mp.factorial(j))
            * (al / (al + t_)) ** r_
            * (t_ / (al + t_)) ** j
        )
        out = mp.beta(a_, b_ + n_) / mp.beta(a_, b_) * nb(n_)
        if n_ > 0:  # 1 - sum_{j<n} NB(j) = P(NB >= n), a regularized incomplete beta
            tail = mp.betainc(n_, r_, 0, t_ / (al + t_), regularized=True)
            out += mp.beta(a_ + 1, b_ + n_ - 1) / mp.beta(a_, b_) * tail
        return out


# ----------------------------------------------------------------------------- Pareto/NBD


def _pareto_parts(
    r: float, alpha: float, s: float, beta: float, x: float, t_x: float, T: float
) -> tuple[mp.mpf, mp.mpf, mp.mpf]:
    """(log front, alive-through-T term, dropout integral) of the Pareto/NBD likelihood.

    ``L = Γ(r+x) α^r β^s / Γ(r) [(α+T)^-(r+x) (β+T)^-s + s ∫_{t_x}^T (α+τ)^-(r+x)
    (β+τ)^-(s+1) dτ]`` (Fader and Hardie 2005 note, eq. 19); the integral as the difference
    of two tails in closed form (mpmath's 2F1 at 60 digits: the difference cancels).
    """
    r_, al, s_, be, x_, tx, T_ = _mpf(r, alpha, s, beta, x, t_x, T)
    front = mp.loggamma(r_ + x_) - mp.loggamma(r_) + r_ * mp.log(al) + s_ * mp.log(be)
    alive_term = (al + T_) ** -(r_ + x_) * (be + T_) ** -s_
    if tx == T_:
        return front, alive_term, mp.mpf(0)
    integral = s_ * (
        _pareto_tail(al, be, r_ + x_, s_ + 1, tx) - _pareto_tail(al, be, r_ + x_, s_ + 1, T_)
    )
    return front, alive_term, integral


def _pareto_tail(al: mp.mpf, be: mp.mpf, p: mp.mpf, q: mp.mpf, t: mp.mpf) -> mp.mpf:
    """``∫_t^∞ (α+τ)^-p (β+τ)^-q dτ = (m+t)^-(p+q-1) 2F1(p+q-1, k; p+q; |α-β|/(m+t)) / (p+q-1)``

    with ``m = max(α, β)`` and ``k`` the exponent of the other factor (DLMF 15.6.1).
    """
    n = p + q - 1
    if al >= be:
        return (al + t) ** -n * mp.hyp2f1(n, q, n + 1, (al - be) / (al + t)) / n
    return (be + t) ** -n * mp.hyp2f1(n, p, n + 1, (be - al) / (be + t)) / n


def pareto_loglik(
    r: float, alpha: float, s: float, beta: float, x: float, t_x: float, T: float
) -> mp.mpf:
    with mp.workdps(60):
        front, alive_term, integral = _pareto_parts(r, alpha, s, beta, x, t_x, T)
        return front + mp.log(alive_term + integral)


def pareto_alive(
    r: float, alpha: float, s: float, beta: float, x: float, t_x: float, T: float
) -> mp.mpf:
    with mp.workdps(60):
        _, alive_term, integral = _pareto_parts(r, alpha, s, beta, x, t_x, T)
        return alive_term / (alive_term + integral)


def pareto_mean_given_alive(
    r: float, alpha: float, s: float, beta: float, x: float, T: float, t: float
) -> mp.mpf:
    """``(r+x)(β+T)/(α+T) [1 - ((β+T)/(β+T+t))^(s-1)]/(s-1)`` (log limit at s = 1)."""
    with mp.workdps(DPS):
        r_, al, s_, be, x_, T_, t_ = _mpf(r, alpha, s, beta, x, T, t)
        lead = (r_ + x_) * (be + T_) / (al + T_)
        if s_ == 1:
            return lead * mp.log1p(t_ / (be + T_))
        return lead * -mp.expm1((s_ - 1) * -mp.log1p(t_ / (be + T_))) / (s_ - 1)


def pareto_pmf_new(n: float, t: float, r: float, alpha: float, s: float, beta: float) -> mp.mpf:
    """P(X(t) = n) for a new Pareto/NBD customer, from the lifetime mixture (FHL note 028).

    ``S(t) NB_t(n) + ∫_0^t f(τ) NB_τ(n) dτ`` with ``S(t) = (β/(β+t))^s``, the lifetime density
    ``f(τ) = s β^s (β+τ)^-(s+1)`` and the NBD count ``NB_τ(n)``; mpmath's tanh-sinh quadrature
    in ``log τ`` (cut at α, β, the purchase-count peak and within ``1/(n+1)`` of ``t``, where
    ``τ^n`` piles up), the mass below ``t e^-60`` being at most ``s t e^-60 / β`` relative.
    """
    with mp.workdps(DPS):
        n_, t_, r_, al, s_, be = _mpf(n, t, r, alpha, s, beta)
        log_c = mp.loggamma(r_ + n_) - mp.loggamma(r_) - mp.loggamma(n_ + 1)

        def nb(tau: mp.mpf) -> mp.mpf:
            return mp.exp(log_c + r_ * mp.log(al / (al + tau)) + n_ * mp.log(tau / (al + tau)))

        def integrand(v: mp.mpf) -> mp.mpf:  # tau = t e^v
            tau = t_ * mp.exp(v)
            return s_ * be**s_ * (be + tau) ** -(s_ + 1) * nb(tau) * tau

        cuts = {mp.log(c / t_) for c in (al, be, al * n_ / r_ if n_ > 0 else al) if 0 < c < t_}
        near_t = (-mp.mpf(k) / (n_ + 1) for k in (1, 3, 10, 30) if k < 60 * (n_ + 1))  # tau^n
        steps = (mp.mpf(-k) for k in (1, 3, 10, 30))
        pts = sorted({mp.mpf(-60), mp.mpf(0), *cuts, *steps, *near_t})
        return (be / (be + t_)) ** s_ * nb(t_) + mp.quad(integrand, pts)


def pareto_pmf(
    n: float,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: float,
    t_x: float,
    T: float,
    t: float,
) -> mp.mpf:
    """P(X(T, T+t) = n | x, t_x, T): alive at T, a new customer with the posterior's parameters."""
    alive = pareto_alive(r, alpha, s, beta, x, t_x, T)
    with mp.workdps(DPS):
        p = alive * pareto_pmf_new(n, t, r + x, alpha + T, s, beta + T)
        return p + (1 - alive) if n == 0 else p


def pareto_dert(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: float,
    t_x: float,
    T: float,
    delta: float,
    horizon: float,
) -> mp.mpf:
    """Discounted expected purchases: ``P(alive) (r+x)/(α+T) ∫_0^H e^-δt (1 + t/(β+T))^-s dt``.

    The purchase rate at T + t given alive at T is the posterior mean rate times the chance to
    survive t more (Fader, Hardie and Lee 2005, DERT); integrated by mpmath's quadrature.
    """
    alive = pareto_alive(r, alpha, s, beta, x, t_x, T)
    with mp.workdps(DPS):
        r_, al, s_, be, x_, T_, d_ = _mpf(r, alpha, s, beta, x, T, delta)
        big_b = be + T_
        end = mp.inf if horizon == float("inf") else mp.mpf(horizon)
        pts = [mp.mpf(0)] + [c for c in (1 / d_, 10 / d_, 50 / d_, big_b) if c < end] + [end]
        integral = mp.quad(lambda u: mp.exp(-d_ * u) * (1 + u / big_b) ** -s_, sorted(pts))
        return alive * (r_ + x_) / (al + T_) * integral


def assert_close(got: np.ndarray, ref: np.ndarray, rows: np.ndarray, rtol: float = 1e-8) -> None:
    """Assert ``got`` is finite and within ``rtol`` of the reference, showing the worst rows."""
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert got.shape == ref.shape
    assert np.all(np.isfinite(got)), rows[~np.isfinite(got)][:5].tolist()
    scale = np.abs(ref)
    err = np.abs(got - ref)
    bad = err > rtol * scale + 1e-300
    rel = err / np.where(scale > 0, scale, 1.0)
    assert not bad.any(), (
        f"{int(bad.sum())} of {bad.size} off by > {rtol:g} relative; worst rows "
        f"{rows[bad][np.argsort(-rel[bad])][:5].tolist()}, max rel {float(rel.max()):.3g}"
    )
