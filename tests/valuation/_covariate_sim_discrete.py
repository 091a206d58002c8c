"""Simulation from the generative processes of BG/BB and sBG with covariates (test helper).

sBG: customer i churns at the end of each period with probability ``theta_i ~ Beta(alpha_i,
beta_i)``, so its lifetime (the period it churns in) is geometric on 1, 2, ...; observed for
``horizon_i`` periods it gives ``duration = min(T_i, horizon_i)`` and ``churned = T_i <=
horizon_i``.

BG/BB: ``p_i ~ Beta(alpha_i, beta_i)``, ``theta_i ~ Beta(gamma_i, delta_i)``; the customer is
alive for ``K_i`` opportunities with ``P(K = k) = theta (1 - theta)^k`` (it dies at the start
of an opportunity with probability theta), transacts at each opportunity it is alive for with
probability ``p_i``, and is observed for ``n_i`` opportunities. Vectorized: one matrix of
Bernoulli draws (customers x opportunities), no loop per customer.

The links are the models': each beta parameter is ``base * exp(z @ coefficients)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_sbg(
    *,
    alpha: float,
    beta: float,
    z: np.ndarray,
    coef_alpha: np.ndarray,
    coef_beta: np.ndarray,
    horizon: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    alpha_i = alpha * np.exp(z @ coef_alpha)
    beta_i = beta * np.exp(z @ coef_beta)
    theta = rng.beta(alpha_i, beta_i)
    lifetime = rng.geometric(np.clip(theta, 1e-300, 1.0))  # period of churn, >= 1
    churned = lifetime <= horizon
    duration = np.where(churned, lifetime, horizon)
    return pd.DataFrame({"duration": duration.astype(np.int64), "churned": churned.astype(int)})


def simulate_bgbb(
    *,
    alpha: float,
    beta: float,
    gamma: float,
    delta: float,
    z_purchase: np.ndarray,
    z_dropout: np.ndarray,
    coef_alpha: np.ndarray,
    coef_beta: np.ndarray,
    coef_gamma: np.ndarray,
    coef_delta: np.ndarray,
    n_periods: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    n = z_purchase.shape[0]
    p = rng.beta(alpha * np.exp(z_purchase @ coef_alpha), beta * np.exp(z_purchase @ coef_beta))
    theta = rng.beta(gamma * np.exp(z_dropout @ coef_gamma), delta * np.exp(z_dropout @ coef_delta))
    alive_for = rng.geometric(np.clip(theta, 1e-300, 1.0)) - 1  # opportunities alive: 0, 1, ...
    n_max = int(np.max(n_periods))
    opportunity = np.arange(1, n_max + 1)[None, :]
    alive = (opportunity <= alive_for[:, None]) & (opportunity <= n_periods[:, None])
    bought = alive & (rng.random((n, n_max)) < p[:, None])
    x = bought.sum(axis=1)
    last = np.where(bought, opportunity, 0).max(axis=1)
    return pd.DataFrame(
        {"frequency": x.astype(np.int64), "recency": last.astype(np.int64), "n_periods": n_periods}
    )
