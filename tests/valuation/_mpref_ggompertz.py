"""mpmath references of the GGompertz/NBD model (Bemmaor and Glady 2012), at 40 digits.

Straight from the model's definition, independent of the library's substitutions: the
integrals are mpmath's tanh-sinh quadrature in the original variable, on breakpoints graded
geometrically from the lower end (where the integrands concentrate) plus 40 uniform ones.
"""

from __future__ import annotations

import mpmath as mp

mp.mp.dps = 40


def _points(lo, hi, scale, *extra):
    """Breakpoints: geometric from ``lo`` (down to 2^-40 of the span, and from ``scale``),
    40 uniform ones, and the given points of regime change with their own grading."""
    span = hi - lo
    out = {lo, hi}
    out.update(lo + span / mp.mpf(2) ** k for k in range(1, 41))
    step = scale
    while lo + step < hi:
        out.add(lo + step)
        step *= 2
    out.update(lo + span * mp.mpf(k) / 40 for k in range(1, 40))
    for point in extra:
        for k in range(-20, 21):
            q = point + mp.mpf(2) ** -abs(k) * span * (1 if k > 0 else -1) / 4
            if lo < q < hi:
                out.add(q)
    return sorted(out)


def _mp(*values):
    return [mp.mpf(v) for v in values]


def log_likelihood_and_alive(params, x, t_x, T):
    """``(log L, P(alive))`` from the likelihood of Bemmaor and Glady (2012), eq. 9."""
    r, a, b, s, be = _mp(*params)
    x, t_x, T = _mp(x, t_x, T)
    first = (a + T) ** (-(r + x)) * (be / (be + mp.expm1(b * T))) ** s

    def f(tau):
        return (
            (a + tau) ** (-(r + x)) * b * mp.exp(b * tau) * (be + mp.expm1(b * tau)) ** (-(s + 1))
        )

    scale = min((a + t_x) / (r + x + 1), 1 / (b * (s + 1))) / 64
    switch = mp.log1p(be) / b  # e^(b tau) - 1 = beta: the lifetime changes regime
    integral = mp.quad(f, _points(t_x, T, scale, switch)) if t_x < T else mp.mpf(0)
    gamma_part = mp.exp(mp.loggamma(r + x) - mp.loggamma(r)) * a**r
    likelihood = gamma_part * (first + s * be**s * integral)
    return mp.log(likelihood), gamma_part * first / likelihood


def _survival_given_alive(b, s, be, T):
    base = be + mp.expm1(b * T)

    def survival(u):
        return (base / (be + mp.expm1(b * (T + u)))) ** s

    def density(u):
        return s * b * mp.exp(b * (T + u)) * base**s / (be + mp.expm1(b * (T + u))) ** (s + 1)

    return survival, density


def _switch(b, be, T):
    """Residual age at which e^(b (T + u)) - 1 = beta + 2 (e^(bT) - 1): the regime change."""
    base = be + mp.expm1(b * T)
    return mp.log1p(base * mp.exp(-b * T)) / b


def expected_given_alive(params, x, T, t):
    """``(r + x)/(α + T) ∫_0^t S_T(u) du``."""
    r, a, b, s, be = _mp(*params)
    x, T, t = _mp(x, T, t)
    survival, _ = _survival_given_alive(b, s, be, T)
    scale = 1 / (b * (s + 1) * mp.exp(b * T) / (be + mp.expm1(b * T)) + 1 / (t + 1)) / 64
    switch = _switch(b, be, T)
    return (r + x) / (a + T) * mp.quad(survival, _points(mp.mpf(0), t, scale, switch))


def pmf_given_alive(params, n, x, T, t):
    """``S_T(t) NB(n; t) + ∫_0^t f_T(u) NB(n; u) du`` with a Gamma(r + x, α + T) rate."""
    r, a, b, s, be = _mp(*params)
    n, x, T, t = _mp(n, x, T, t)
    survival, density = _survival_given_alive(b, s, be, T)
    shape, scale = r + x, a + T

    def nbd(u):
        log_p = mp.loggamma(shape + n) - mp.loggamma(shape) - mp.loggamma(n + 1)
        if u == 0:
            return mp.mpf(1) if n == 0 else mp.mpf(0)
        return mp.exp(log_p + shape * mp.log(scale / (scale + u)) + n * mp.log(u / (scale + u)))

    width = 1 / (b * (s + 1) * mp.exp(b * T) / (be + mp.expm1(b * T)) + 1 / (t + 1)) / 64
    points = _points(mp.mpf(0), t, width, _switch(b, be, T), scale * n / shape)
    dead = mp.quad(lambda u: density(u) * nbd(u), points)
    return survival(t) * nbd(t) + dead
