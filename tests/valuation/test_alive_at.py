"""P(alive at T + t) of GGompertz/NBD and the NBD, against their generative processes.

A customer of GGompertz/NBD buys at Poisson rate ``λ ~ Gamma(r, α)`` until a lifetime of
survival ``exp(-η (e^(bτ) - 1))``, ``η ~ Gamma(s, β)``; simulated here by inversion, with the
summary at ``T`` and the customer's true state at ``T + t``. Averaged over customers, the
predicted probability at the true parameters must equal the share truly alive (the law of
total probability), overall and among customers with and without repeat purchases.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import customer_models as cm
from customer_models.valuation import GGompertzNBDModel, NegativeBinomialModel, ParetoNBDModel

GG = {"r": 0.8, "alpha": 6.0, "b": 0.05, "s": 1.5, "beta": 2.0}


def _simulate(n: int, t: float, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    lam = rng.gamma(GG["r"], 1.0 / GG["alpha"], n)
    eta = rng.gamma(GG["s"], 1.0 / GG["beta"], n)
    tau = np.log1p(rng.exponential(size=n) / eta) / GG["b"]
    T = rng.uniform(20.0, 60.0, n)
    active = np.minimum(tau, T)
    x = rng.poisson(lam * active)
    t_x = np.where(x > 0, active * rng.uniform(size=n) ** (1.0 / np.maximum(x, 1)), 0.0)
    data = pd.DataFrame({"frequency": x.astype(float), "recency": t_x, "T": T})
    return cm.with_time_unit(data, "W"), tau > T + t


@pytest.mark.parametrize("t", [0.0, 10.0, 52.0])
def test_ggompertz_alive_at_matches_the_simulated_share_alive(t):
    data, alive_later = _simulate(40_000, t, seed=21 + int(t))
    model = GGompertzNBDModel.from_params(**GG, time_unit="W")
    p = cm.probability_alive_at(model, data, t=t).to_numpy()
    for rows in (np.ones(len(data), bool), data["frequency"].to_numpy() > 0):
        share, predicted = alive_later[rows].mean(), p[rows].mean()
        se = np.sqrt(share * (1 - share) / rows.sum())
        assert abs(predicted - share) < 4 * se + 1e-3, (t, predicted, share)
    if t == 0.0:
        np.testing.assert_allclose(p, model.probability_alive(data).to_numpy(), rtol=1e-12)


def test_ggompertz_alive_at_tends_to_pareto_nbd_as_b_vanishes():
    """b -> 0 with beta = b * beta_pnbd is Pareto/NBD (S(τ) -> (beta_pnbd/(beta_pnbd+τ))^s)."""
    data, _ = _simulate(200, 0.0, seed=3)
    b, beta_p = 1e-7, 12.0
    gg = GGompertzNBDModel.from_params(r=0.55, alpha=10.6, b=b, s=0.6, beta=b * beta_p)
    pnbd = ParetoNBDModel.from_params(r=0.55, alpha=10.6, s=0.6, beta=beta_p)
    np.testing.assert_allclose(
        cm.probability_alive_at(gg, data, t=39.0),
        cm.probability_alive_at(pnbd, data, t=39.0),
        rtol=1e-4,
    )


def test_nbd_customers_never_drop_out():
    data, _ = _simulate(50, 0.0, seed=4)
    p = cm.probability_alive_at(NegativeBinomialModel.from_params(r=0.4, alpha=12.0), data, t=99)
    assert p.tolist() == [1.0] * 50
    assert p.name == "probability_alive"


@pytest.mark.parametrize("modified", [False, True])
def test_cnbd_with_k_1_is_the_bg_family(modified, cdnow_summary):
    from customer_models.valuation import (
        BetaGeoCNBDModel,
        BetaGeoModel,
        ModifiedBetaGeoCNBDModel,
        ModifiedBetaGeoModel,
    )

    cnbd_cls, bg_cls = (
        (ModifiedBetaGeoCNBDModel, ModifiedBetaGeoModel)
        if modified
        else (BetaGeoCNBDModel, BetaGeoModel)
    )
    values = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    cnbd = cnbd_cls.from_params(k=1, **values, time_unit="W")
    bg = bg_cls.from_params(**values, time_unit="W")
    for t in (0.0, 13.0, 104.0):
        np.testing.assert_allclose(
            cm.probability_alive_at(cnbd, cdnow_summary, t=t),
            cm.probability_alive_at(bg, cdnow_summary, t=t),
            rtol=1e-9,
        )


@pytest.mark.parametrize(("k", "modified"), [(2, False), (3, True)])
def test_cnbd_alive_at_matches_the_simulated_share_alive(k, modified):
    from _cnbd_sim import simulate_cnbd

    from customer_models.valuation import BetaGeoCNBDModel, ModifiedBetaGeoCNBDModel

    truth = {"r": 1.5, "alpha": 6.0, "a": 0.6, "b": 3.0}
    t = 26.0
    data = simulate_cnbd(30_000, k=k, **truth, T=39.0, horizon=t, modified=modified, seed=k)
    cls = ModifiedBetaGeoCNBDModel if modified else BetaGeoCNBDModel
    model = cls.from_params(k=k, **truth, time_unit="W")
    p = cm.probability_alive_at(model, data, t=t).to_numpy()
    alive_later = data["alive_at_end"].to_numpy()
    for rows in (np.ones(len(data), bool), data["frequency"].to_numpy() > 2):
        share, predicted = alive_later[rows].mean(), p[rows].mean()
        se = np.sqrt(share * (1 - share) / rows.sum())
        assert abs(predicted - share) < 4 * se, (k, predicted, share)
    assert np.all(p <= model.probability_alive(data).to_numpy() + 1e-12)
