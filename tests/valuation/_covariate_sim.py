"""Simulation from the generative processes of BG/NBD and Pareto/NBD with covariates (test helper).

Customer i: ``lambda_i ~ Gamma(r, rate alpha_i)``, ``p_i ~ Beta(a_i, b_i)`` with the
covariate links of the model; purchases at the jumps of a Poisson(lambda_i) process until
the customer drops out after a repeat purchase with probability ``p_i`` (MBG/NBD: also at
time 0). Vectorized: one geometric draw of the number of repeat purchases before dropout and
gamma draws of the purchase times, no loop per customer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_bgnbd(
    n: int,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    z_purchase: np.ndarray,
    z_dropout: np.ndarray,
    gamma: np.ndarray,
    delta_a: np.ndarray,
    delta_b: np.ndarray,
    T_max: float = 52.0,
    T_min: float = 26.0,
    modified: bool = False,
    rng: np.random.Generator,
) -> pd.DataFrame:
    alpha_i = alpha * np.exp(-(z_purchase @ gamma))
    a_i = a * np.exp(z_dropout @ delta_a)
    b_i = b * np.exp(z_dropout @ delta_b)
    lam = rng.gamma(r, 1.0 / alpha_i)
    p = rng.beta(a_i, b_i)
    T = rng.uniform(T_min, T_max, n)
    # repeat purchases made before dropping out (BG: coin after each repeat purchase)
    k_max = rng.geometric(p) - (1 if modified else 0)  # purchases allowed while alive
    # simulate arrivals: count of Poisson arrivals in (0, T], capped by k_max
    counts = rng.poisson(lam * T)
    x = np.minimum(counts, k_max)
    # given N(T) = counts arrivals, arrival times are sorted uniforms on (0, T); the last kept
    # purchase is the x-th order statistic: T * Beta(x, counts - x + 1)
    safe_x = np.maximum(x, 1)
    t_x = np.where(x > 0, T * rng.beta(safe_x, np.maximum(counts - x + 1, 1)), 0.0)
    return pd.DataFrame({"frequency": x.astype(float), "recency": t_x, "T": T})


def simulate_spend(
    x: np.ndarray,
    *,
    p: float,
    q: float,
    v: float,
    z: np.ndarray,
    theta: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Mean spend of ``x`` transactions under Gamma-Gamma with ``v_i = v exp(theta'z_i)``.

    ``nu_i ~ Gamma(q, rate v_i)``; the mean of ``x`` transactions ``Gamma(p, rate nu_i)`` is
    ``Gamma(p x, rate x nu_i)``; 0 without repeat purchases.
    """
    v_i = v * np.exp(z @ theta)
    nu = rng.gamma(q, 1.0 / v_i)
    safe = np.maximum(x, 1.0)
    mean = rng.gamma(p * safe, 1.0 / (safe * nu))
    return np.where(x > 0, mean, 0.0)


def simulate_pareto_nbd(
    n: int,
    params: tuple[float, float, float, float],
    z: tuple[np.ndarray, np.ndarray],
    coefficients: tuple[np.ndarray, np.ndarray],
    *,
    rng: np.random.Generator,
    T_range: tuple[float, float] = (26.0, 52.0),
) -> pd.DataFrame:
    """Pareto/NBD with ``alpha_i = alpha exp(-gamma'z)``, ``beta_i = beta exp(-delta'z)``.

    ``params = (r, alpha, s, beta)``, ``z = (z_purchase, z_dropout)``, ``coefficients =
    (gamma, delta)``; T uniform on ``T_range``.

    ``lambda_i ~ Gamma(r, rate alpha_i)``, ``mu_i ~ Gamma(s, rate beta_i)``, lifetime
    ``tau_i ~ Exp(mu_i)``; purchases at the jumps of a Poisson(lambda_i) process while alive.
    The count in the observed active time ``a = min(tau, T)`` is Poisson(lambda a); given it,
    the times are uniform on ``(0, a)``, so the last one is ``a * Beta(x, 1)``.
    """
    r, alpha, s, beta = params
    alpha_i = alpha * np.exp(-(z[0] @ coefficients[0]))
    beta_i = beta * np.exp(-(z[1] @ coefficients[1]))
    lam = rng.gamma(r, 1.0 / alpha_i)
    mu = rng.gamma(s, 1.0 / beta_i)
    tau = rng.exponential(1.0 / mu)
    T = rng.uniform(*T_range, n)
    active = np.minimum(tau, T)
    x = rng.poisson(lam * active)
    t_x = np.where(x > 0, active * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    return pd.DataFrame({"frequency": x.astype(float), "recency": t_x, "T": T})
