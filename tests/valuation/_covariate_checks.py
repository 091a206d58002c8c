"""Checks and simulated samples the covariate models' tests share (test helper).

The purchase models (BG/NBD, MBG/NBD, Pareto/NBD) use most of them, BG/BB and sBG the
model-independent ones (samples, derivatives, data errors, persistence, the penalty). Each
takes the model (or a factory of it) and data from the caller's own simulator, and asserts
against values computed independently there (the plain model's fit, the truth of the
simulation, a scipy optimum of a hand-written likelihood).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from sklearn.base import clone

from customer_models.exceptions import CustomerModelsError, DataValidationError, ParameterError
from customer_models.valuation import load_model
from customer_models.valuation._covariate_fit import LinkLayout, _derivatives
from customer_models.valuation._covariates import Link, standardize


# ---------------------------------------------------------------- simulated customers
def two_covariate_sample(
    histories: Callable[[np.ndarray, np.ndarray, np.random.Generator], pd.DataFrame],
    n: int,
    seed: int,
    time_unit: str,
) -> pd.DataFrame:
    """Customers ``c0, c1, ...`` with ``z1 ~ N(0, 1)``, ``z2 ~ Bernoulli(1/2)`` and histories.

    ``histories(z1, z2, rng)`` simulates the model's columns from the same generator, right
    after the two covariates are drawn; the covariates are appended as columns ``z1, z2``.
    """
    rng = np.random.default_rng(seed)
    z1 = rng.normal(size=n)
    z2 = rng.integers(0, 2, n).astype(float)
    out = histories(z1, z2, rng).assign(z1=z1, z2=z2).set_axis([f"c{i}" for i in range(n)])
    out.attrs["time_unit"] = time_unit
    return out


def truth_vectors(truth: dict[str, float], prefixes: Iterable[str]) -> dict[str, np.ndarray]:
    """``{prefix: coefficients}`` of the truth table's ``"<prefix>:<column>"`` entries, in order."""
    return {p: np.array([v for k, v in truth.items() if k.startswith(f"{p}:")]) for p in prefixes}


# ---------------------------------------------------------------- the fit's derivatives
def assert_row_hessian_against_differences(
    gradient: Callable[[np.ndarray], np.ndarray], rows: np.ndarray, h_rows: np.ndarray
) -> None:
    """Per-row Hessians ``(n, k, k)`` against central differences of the per-row gradient.

    ``gradient(rows)`` is ``(n, k)`` at per-row parameters ``rows`` ``(k, n)``; each
    parameter moves by ``1e-6`` of its value both ways.
    """
    for j in range(rows.shape[0]):
        eps = 1e-6 * rows[j]
        up, down = rows.copy(), rows.copy()
        up[j] += eps
        down[j] -= eps
        diff = (gradient(up) - gradient(down)) / (2 * eps[:, None])
        np.testing.assert_allclose(h_rows[:, :, j], diff, rtol=1e-5, atol=1e-7)


def assert_chain_rule_against_differences(
    rows_kernel: Callable[..., Any],
    links: Sequence[Link],
    data: pd.DataFrame,
    columns: Sequence[str],
    theta: np.ndarray,
    *,
    step: float = 1e-6,
    gradient_tol: tuple[float, float] = (1e-6, 1e-6),
    hessian_tol: tuple[float, float] = (1e-5, 1e-5),
) -> None:
    """The fit's gradient and Hessian through the links of ``z1, z2`` against differences.

    ``theta`` is the optimizer's vector (log base parameters, then the coefficients of the
    standardized covariates); each coordinate moves by ``step`` both ways. The tolerances
    are ``(rtol, atol)``.
    """
    n = len(data)
    z = data[["z1", "z2"]].to_numpy()
    layout = LinkLayout.build(4, links, ["z1", "z2"], standardize(z, np.ones(n)).constant)
    cols = tuple(data[c].to_numpy(dtype=float) for c in columns)
    w = np.ones(n)
    assert theta.size == layout.size

    def total(th):
        return _derivatives(rows_kernel, layout, th, cols, z, w)

    _ll, g, h = total(theta)
    (g_rtol, g_atol), (h_rtol, h_atol) = gradient_tol, hessian_tol
    for t in range(layout.size):
        e = np.zeros(layout.size)
        e[t] = step
        up, down = total(theta + e), total(theta - e)
        assert np.isclose((up[0] - down[0]) / (2 * step), g[t], rtol=g_rtol, atol=g_atol)
        np.testing.assert_allclose(
            (up[1] - down[1]) / (2 * step), h[:, t], rtol=h_rtol, atol=h_atol
        )


# ---------------------------------------------------------------- fit and predictions
def assert_constant_covariates_give_the_plain_fit(model: Any, null: Any, data: pd.DataFrame):
    """A fit whose covariates are all constant is the plain fit, bit for bit."""
    assert_constant_covariates_give_the_plain_estimates(model, null)
    pd.testing.assert_series_equal(model.probability_alive(data), null.probability_alive(data))


def assert_constant_covariates_give_the_plain_estimates(model: Any, null: Any) -> None:
    """Constant covariates: the plain fit's estimates bit for bit, coefficients 0 (no se)."""
    k = null.params_.size
    np.testing.assert_array_equal(model.params_.to_numpy()[:k], null.params_.to_numpy())
    assert (model.params_.to_numpy()[k:] == 0).all()
    assert model.log_likelihood_ == null.log_likelihood_
    np.testing.assert_array_equal(model.covariance_.to_numpy()[:k, :k], null.covariance_.to_numpy())
    assert model.summary_["se"].iloc[k:].isna().all()
    assert model.likelihood_ratio_test_["statistic"] == 0.0


def scipy_optimum(negative_loglik: Callable[..., float], start: np.ndarray, columns: list):
    """Nelder-Mead then BFGS on a hand-written negative log-likelihood (log base params)."""
    ref = optimize.minimize(
        negative_loglik,
        start,
        args=tuple(columns),
        method="Nelder-Mead",
        options={"maxiter": 20000, "maxfev": 20000, "xatol": 1e-8, "fatol": 1e-10},
    )
    return optimize.minimize(
        negative_loglik, ref.x, args=tuple(columns), method="BFGS", options={"gtol": 1e-7}
    )


def assert_at_scipy_optimum(
    model: Any,
    data: pd.DataFrame,
    ref: Any,
    negative_loglik: Callable[..., float],
    columns: list,
    *,
    tol: float,
    ll_rtol: float = 1e-7,
    rtol: float = 1e-5,
) -> None:
    """The fitted ``model`` is scipy's optimum ``ref`` of a hand-written likelihood.

    ``negative_loglik(theta, *columns)`` takes log base parameters, then the coefficients.
    Asserts the same log-likelihood (``ll_rtol``), the same estimates within ``tol``, and
    that ``log_likelihood(data)`` is the hand-written likelihood at the estimates (``rtol``).
    """
    k = len(model.param_names)
    ours = model.params_.to_numpy()
    assert np.isclose(model.log_likelihood_, -ref.fun, rtol=ll_rtol)
    np.testing.assert_allclose(ours, np.r_[np.exp(ref.x[:k]), ref.x[k:]], rtol=tol, atol=tol)
    at_ours = np.r_[np.log(ours[:k]), ours[k:]]
    assert np.isclose(model.log_likelihood(data), -negative_loglik(at_ours, *columns), rtol=rtol)


def assert_fit_is_the_scipy_optimum(
    model: Any,
    data: pd.DataFrame,
    negative_loglik: Callable[..., float],
    start: np.ndarray,
    columns: list,
    *,
    tol: float,
    rtol: float,
) -> Any:
    """:func:`assert_at_scipy_optimum` at the :func:`scipy_optimum` from ``start``.

    The log-likelihoods agree to ``rtol=1e-8``. Returns scipy's result.
    """
    ref = scipy_optimum(negative_loglik, start, columns)
    assert_at_scipy_optimum(
        model, data, ref, negative_loglik, columns, tol=tol, ll_rtol=1e-8, rtol=rtol
    )
    return ref


def assert_bad_covariate_data_refused(
    make: Callable[[], Any], data: pd.DataFrame, categorical: str = "z2"
) -> None:
    """A missing, a NaN and a non-numeric covariate column: errors naming column and ids.

    ``make()`` builds the model on ``z1, z2``; ``categorical`` is the column replaced by
    strings (the error points to the one-hot path).
    """
    with pytest.raises(CustomerModelsError, match="z1"):
        make().fit(data.drop(columns="z1"))
    with pytest.raises(DataValidationError, match=r"z2.*finite.*c3"):
        make().fit(data.assign(z2=data["z2"].where(data.index != "c3")))
    strings = np.where(data[categorical] > 0, "web", "shop")
    with pytest.raises(DataValidationError, match="one_hot_covariates"):
        make().fit(data.assign(**{categorical: strings}))


def assert_profile_errors(at_profiles: Callable[..., Any], unknown: Any) -> None:
    """A covariate model asks for ``covariates=`` and refuses a column it does not use.

    ``at_profiles(covariates=...)`` evaluates at profiles; ``unknown`` is a profile with an
    extra column.
    """
    with pytest.raises(ParameterError, match="pass covariates="):
        at_profiles()
    with pytest.raises(DataValidationError, match="does not use"):
        at_profiles(covariates=unknown)


def assert_new_customer_profiles(model: Any) -> None:
    """Profiles on their own index; a missing or extra profile column is an error."""
    profiles = pd.DataFrame({"z1": [0.0, 1.0], "z2": [0.0, 0.0]}, index=["base", "plus"])
    e = model.expected_purchases_new_customer(t=26.0, covariates=profiles)
    assert list(e.index) == ["base", "plus"]
    assert e["plus"] > e["base"]  # gamma:z1 > 0 raises the purchase rate
    assert_profile_errors(
        partial(model.expected_purchases_new_customer, t=26.0), profiles.assign(extra=1.0)
    )


def assert_covariate_errors(make: Callable[..., Any], data: pd.DataFrame) -> None:
    """Missing, NaN and non-numeric covariates, bad names: errors naming column and ids.

    ``make(purchase_covariates=...)`` builds the model; ``make()`` uses ``z1, z2``.
    """
    assert_bad_covariate_data_refused(make, data)
    with pytest.raises(ParameterError, match="list of column"):
        make(purchase_covariates="z1").fit(data)
    with pytest.raises(ParameterError, match="own columns"):
        make(purchase_covariates=["T"]).fit(data)
    with pytest.raises(ParameterError, match="more than once"):
        make(purchase_covariates=["z1", "z1"]).fit(data)
    fitted = make().fit(data)
    with pytest.raises(CustomerModelsError, match="z2"):
        fitted.probability_alive(data.drop(columns="z2"))
    with pytest.raises(DataValidationError, match=r"z1.*finite.*c5"):
        fitted.expected_purchases(data.assign(z1=data["z1"].where(data.index != "c5")), t=5)


def assert_saved_and_loaded(model: Any, path: Any) -> Any:
    """Save to ``path`` and load: the same class, parameters and summary (the loaded model)."""
    model.save(path)
    loaded = load_model(path)
    assert type(loaded) is type(model)
    pd.testing.assert_series_equal(loaded.params_, model.params_)
    pd.testing.assert_frame_equal(loaded.summary_, model.summary_)
    return loaded


def assert_json_round_trip(model: Any, data: pd.DataFrame, path: Any) -> Any:
    """Save, load: same class, parameters, summary, predictions; rebuild from params_."""
    loaded = assert_saved_and_loaded(model, path)
    assert loaded.get_params() == model.get_params()
    pd.testing.assert_series_equal(
        loaded.expected_purchases(data, t=5), model.expected_purchases(data, t=5)
    )
    rebuilt = type(model).from_params(time_unit="W", **model.params_.to_dict())
    pd.testing.assert_series_equal(rebuilt.probability_alive(data), model.probability_alive(data))
    return rebuilt


def assert_clone(model: Any) -> None:
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "params_")


def fit_free_and_penalized(
    make: Callable[..., Any], data: pd.DataFrame, penalizer: Any, coefs: list[str]
) -> tuple[Any, Any]:
    """Fit without and with ``penalizer``: the ``coefs`` drop below 5% of their free size.

    Returns ``(free, penalized)`` for the model's own checks of the other coefficients.
    """
    free = make().fit(data)
    shrunk = make(penalizer=penalizer).fit(data)
    assert (np.abs(shrunk.params_[coefs]) < 0.05 * np.abs(free.params_[coefs])).all()
    return free, shrunk


def assert_penalizer_shrinks(make: Callable[..., Any], data: pd.DataFrame, dropout: str) -> None:
    """A heavy purchase penalty shrinks gamma to ~0 and leaves the dropout coefficient."""
    penalty = {"purchase": 10.0}
    free, shrunk = fit_free_and_penalized(make, data, penalty, ["gamma:z1", "gamma:z2"])
    assert np.isclose(shrunk.params_[dropout], free.params_[dropout], rtol=0.5)
    with pytest.raises(ParameterError, match="penalizer keys"):
        make(penalizer={"spend": 1.0}).fit(data)


def assert_compressed_fit_is_the_row_fit(make: Callable[..., Any], data: pd.DataFrame) -> Any:
    """Few covariate levels (compressed rows): each row twice doubles the log-likelihood."""
    a = make().fit(data)
    doubled = make().fit(pd.concat([data, data]).set_axis(range(2 * len(data))))
    np.testing.assert_allclose(doubled.params_, a.params_, rtol=1e-6, atol=1e-8)
    assert np.isclose(doubled.log_likelihood_, 2 * a.log_likelihood_, rtol=1e-10)
    return a


def recovery_z_scores(
    make: Callable[[], Any], simulate: Callable[[int], pd.DataFrame], truth: dict, n_fits: int
) -> dict[str, np.ndarray]:
    """``(estimate - truth) / se`` of each parameter over ``n_fits`` fresh simulations."""
    z_scores: dict[str, list[float]] = {k: [] for k in truth}
    for seed in range(n_fits):
        fit = make().fit(simulate(seed))
        for k, true in truth.items():
            z_scores[k].append((fit.params_[k] - true) / fit.summary_.loc[k, "se"])
    return {k: np.asarray(v) for k, v in z_scores.items()}


def assert_predictions_at_own_parameters(
    model: Any, data: pd.DataFrame, plain_at: Callable[[pd.Series], Any]
) -> None:
    """Each prediction equals the plain model's at the customer's own parameters."""
    for cid, row in data.iterrows():
        ref = plain_at(row)
        one = data.loc[[cid]]
        for method, kw in [
            ("probability_alive", {}),
            ("expected_purchases", {"t": 13.0}),
            ("probability_of_purchases", {"n": 2, "t": 13.0}),
        ]:
            assert np.isclose(
                getattr(model, method)(one, **kw).iloc[0],
                getattr(ref, method)(one[["frequency", "recency", "T"]], **kw).iloc[0],
                rtol=1e-12,
            ), method
        new = model.expected_purchases_new_customer(t=20.0, covariates=row[["z1", "z2"]].to_dict())
        assert np.isclose(new.iloc[0], ref.expected_purchases_new_customer(t=20.0), rtol=1e-12)


def assert_clv_at_own_parameters(
    model: Any, data: pd.DataFrame, plain_at: Callable[[pd.Series], Any]
) -> None:
    """CLV of each customer equals the plain model's at the customer's own parameters."""
    from customer_models.valuation import customer_lifetime_value

    data = data.assign(monetary_value=20.0)
    kw = {"horizon": 6, "horizon_unit": "M", "discount_rate": 0.01}
    clv = customer_lifetime_value(model, None, data, **kw)
    for cid in data.index[:5]:
        one = customer_lifetime_value(plain_at(data.loc[cid]), None, data.loc[[cid]], **kw)
        assert np.isclose(clv[cid], one.iloc[0], rtol=1e-10)


def fit_shifted(make: Callable[[], Any], data: pd.DataFrame, shifts: dict[str, float]):
    """Fit ``make()`` on ``data`` and on ``data`` with covariate columns shifted by constants.

    Asserts what a shift must leave alone: the coefficients, their standard errors and the
    log-likelihood (the intercepts absorb it). Returns ``(fit, shifted, moved data)`` for the
    model's own check of how its intercepts moved.
    """
    fit = make().fit(data)
    moved = data.assign(**{c: data[c] + v for c, v in shifts.items()})
    shifted = make().fit(moved)
    coefs = fit.params_.index[len(type(fit).param_names) :]
    np.testing.assert_allclose(shifted.params_[coefs], fit.params_[coefs], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(
        shifted.summary_.loc[coefs, "se"], fit.summary_.loc[coefs, "se"], rtol=1e-5
    )
    assert np.isclose(shifted.log_likelihood_, fit.log_likelihood_, rtol=1e-10)
    return fit, shifted, moved
