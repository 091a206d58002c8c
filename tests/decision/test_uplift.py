"""Uplift learners, Qini/uplift curves and budget allocation, on a simulated campaign whose
true heterogeneous effect is known."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn.base import clone

from customer_models.decision._budget import allocate_budget, incremental_value
from customer_models.decision._uplift import TwoModelUplift, XLearnerUplift
from customer_models.decision._uplift_curves import auuc, qini_curve, uplift_curve
from customer_models.exceptions import CustomerModelsError


def campaign(n: int = 20_000, treated_share: float = 0.5, seed: int = 0):
    """Stay (1) or churn (0). The contact raises P(stay) by tau(x) in [-0.05, 0.25]: most for
    high x1, slightly negative for low x1 ("sleeping dogs"); base P(stay) depends on x0."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    p0 = expit(-0.3 + 0.8 * X[:, 0])
    tau = 0.30 * expit(2.5 * X[:, 1]) - 0.05
    t = rng.random(n) < treated_share
    y = (rng.random(n) < np.clip(p0 + t * tau, 0.0, 1.0)).astype(int)
    return X, y, t, tau, p0


@pytest.mark.parametrize(
    ("learner", "share"),
    [(TwoModelUplift(), 0.5), (XLearnerUplift(), 0.5), (XLearnerUplift(), 0.15)],
)
def test_learners_recover_the_heterogeneous_effect(learner, share):
    X, y, t, _tau, _ = campaign(treated_share=share)
    model = clone(learner).fit(X, y, treatment=t)
    X_new, _, _, tau_new, _ = campaign(n=5_000, seed=1)
    estimate = model.predict(X_new)
    assert np.corrcoef(estimate, tau_new)[0, 1] > 0.85
    assert abs(estimate.mean() - tau_new.mean()) < 0.03  # the average effect, 0.10


def test_x_learner_beats_two_models_with_a_small_treated_group():
    errors = {"two": [], "x": []}
    X_new, _, _, tau_new, _ = campaign(n=5_000, seed=99)
    for seed in range(4):
        X, y, t, _, _ = campaign(n=6_000, treated_share=0.1, seed=seed)
        for name, learner in (("two", TwoModelUplift()), ("x", XLearnerUplift())):
            estimate = learner.fit(X, y, treatment=t).predict(X_new)
            errors[name].append(np.sqrt(np.mean((estimate - tau_new) ** 2)))
    assert np.mean(errors["x"]) < np.mean(errors["two"])


def _qini_by_hand(y, t, score):
    """Row by row: after each customer in score order (no ties)."""
    order = np.argsort(-score)
    out, yt, yc, nt, nc = [0.0], 0.0, 0.0, 0, 0
    for i in order:
        if t[i]:
            yt, nt = yt + y[i], nt + 1
        else:
            yc, nc = yc + y[i], nc + 1
        out.append(yt - (yc * nt / nc if nc else 0.0))
    return np.array(out)


def test_curves_match_the_definition_and_rank_the_true_effect_first():
    _X, y, t, tau, _ = campaign(n=3_000, seed=4)
    rng = np.random.default_rng(5)
    noise = rng.normal(size=tau.size) * 1e-9  # distinct scores for the row-by-row reference
    np.testing.assert_allclose(
        qini_curve(y, t, tau + noise)["qini"].to_numpy(), _qini_by_hand(y, t, tau + noise)
    )
    random_scores = [auuc(y, t, rng.random(tau.size)) for _ in range(30)]
    assert auuc(y, t, tau) > np.mean(random_scores) + 4 * np.std(random_scores)
    assert abs(np.mean(random_scores)) < 3 * np.std(random_scores) / np.sqrt(30) + 1e-3
    curve = uplift_curve(y, t, tau)
    assert curve["share_targeted"].iloc[-1] == 1.0
    # everyone treated vs no one: the last point is the difference in means times n
    assert curve["uplift"].iloc[-1] == pytest.approx((y[t].mean() - y[~t].mean()) * y.size)


def test_ties_enter_together_so_row_order_does_not_matter():
    _X, y, t, tau, _ = campaign(n=2_000, seed=6)
    coarse = np.round(tau, 1)  # a few distinct scores
    permutation = np.random.default_rng(7).permutation(tau.size)
    a = qini_curve(y, t, coarse)
    b = qini_curve(y[permutation], t[permutation], coarse[permutation])
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == np.unique(coarse).size + 1


def test_exact_allocation_is_the_best_subset():
    rng = np.random.default_rng(8)
    value, cost = rng.normal(5.0, 4.0, 12), rng.uniform(1.0, 6.0, 12)
    budget = 15.0
    best = max(
        (
            sum(value[list(s)])
            for k in range(13)
            for s in itertools.combinations(range(12), k)
            if sum(cost[list(s)]) <= budget and all(value[list(s)] > 0)
        ),
    )
    exact = allocate_budget(value, cost, budget, method="exact")
    greedy = allocate_budget(value, cost, budget, method="greedy")
    assert exact.expected_value == pytest.approx(best)
    assert greedy.expected_value <= exact.expected_value + 1e-12
    assert exact.spent <= budget
    assert greedy.spent <= budget
    # greedy is within the largest single value of the optimum
    assert exact.expected_value - greedy.expected_value <= value.max()


def test_uplift_targeting_beats_top_churn_risk_and_top_value():
    """With one budget, rank by uplift x CLV - cost and compare the true incremental value
    with contacting the customers most likely to churn, or the most valuable ones."""
    X, y, t, _, _ = campaign(n=20_000, seed=10)
    model = XLearnerUplift().fit(X, y, treatment=t)
    X_new, _, _, tau, p0 = campaign(n=10_000, seed=11)
    clv = pd.Series(np.random.default_rng(12).gamma(2.0, 50.0, tau.size))
    cost, budget = 2.0, 2.0 * 2_000  # contact 2,000 of 10,000 customers
    true_value = tau * clv.to_numpy() - cost
    plan = allocate_budget(incremental_value(model.predict(X_new), clv, cost), cost, budget)
    ours = true_value[plan.selected.to_numpy()].sum()
    top_risk = true_value[np.argsort(p0)[:2_000]].sum()  # lowest P(stay) first
    top_clv = true_value[np.argsort(-clv.to_numpy())[:2_000]].sum()
    assert plan.method == "greedy"  # above exact_limit candidates
    assert plan.spent <= budget
    assert ours > top_clv > 0
    assert ours > 1.5 * top_risk


def test_interval_covers_the_realised_value():
    rng = np.random.default_rng(13)
    value, sd = rng.uniform(1.0, 10.0, 300), rng.uniform(0.5, 3.0, 300)
    plan = allocate_budget(value, 1.0, 150.0, value_sd=sd)
    chosen = plan.selected.to_numpy()
    realised = (value[chosen] + rng.normal(size=(4_000, chosen.sum())) * sd[chosen]).sum(axis=1)
    coverage = np.mean((realised >= plan.lower) & (realised <= plan.upper))
    assert 0.935 <= coverage <= 0.965


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda X, y, t: TwoModelUplift().fit(X, y, treatment=None), "treatment="),
        (lambda X, y, t: TwoModelUplift().fit(X, y, treatment=t * 2 + 1), "0/1"),
        (lambda X, y, t: TwoModelUplift().fit(X, y, treatment=np.ones_like(t)), "control group"),
        (lambda X, y, t: TwoModelUplift().fit(X, y[:-1], treatment=t), "one outcome per row"),
        (lambda X, y, t: TwoModelUplift().predict(X), "fit"),
        (lambda X, y, t: TwoModelUplift().fit(X, y, treatment=t).predict(X[:, :2]), "3 columns"),
        (lambda X, y, t: XLearnerUplift(propensity=1.5).fit(X, y, treatment=t), "propensity"),
        (lambda X, y, t: qini_curve(y, t, np.full(y.size, np.nan)), "finite"),
        (lambda X, y, t: allocate_budget([1.0, 2.0], [-1.0, 1.0], 5.0), "cost must be >= 0"),
        (lambda X, y, t: allocate_budget([1.0, 2.0], 1.0, 5.0, method="best"), "method"),
        (lambda X, y, t: allocate_budget([1.0, np.nan], 1.0, 5.0), "finite"),
        (lambda X, y, t: auuc(y, t, y, curve="gain"), "curve"),
    ],
)
def test_bad_input_is_refused_by_name(call, needle):
    X, y, t, _, _ = campaign(n=200, seed=3)
    with pytest.raises(CustomerModelsError) as info:
        call(X, y, t.astype(int))
    assert needle in str(info.value)


def test_greedy_is_the_skip_greedy_rule_row_by_row():
    rng = np.random.default_rng(14)
    value, cost = rng.normal(3.0, 3.0, 800), rng.choice([0.0, 0.5, 1.0, 4.0, 9.0], 800)
    budget = 120.0
    plan = allocate_budget(value, cost, budget, method="greedy")
    expected, left = np.zeros(800, dtype=bool), budget
    expected[(cost == 0) & (value > 0)] = True
    paid = np.flatnonzero((cost > 0) & (value > 0) & (cost <= budget))
    for i in paid[np.argsort(-(value[paid] / cost[paid]), kind="stable")]:
        if cost[i] <= left:
            expected[i], left = True, left - cost[i]
    np.testing.assert_array_equal(plan.selected.to_numpy(), expected)
