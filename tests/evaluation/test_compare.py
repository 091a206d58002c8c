"""compare_models: the table on CDNOW, the baseline, ranking and ties, LR tests, refusals."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _toy_model import NBDModel
from scipy.stats import chi2, poisson

from customer_models import calibration_holdout_split, compare_models, load_cdnow_transactions
from customer_models.datasets import make_holdout_summary
from customer_models.evaluation import evaluate_holdout, transaction_tracking
from customer_models.evaluation._compare_parts import (
    BASELINE,
    decile_table,
    likelihood_ratio_tests,
    rank_rows,
)
from customer_models.exceptions import (
    ConvergenceWarning,
    DataValidationError,
    MissingColumnError,
    ParameterError,
)
from customer_models.valuation import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
)

ROOT = Path(__file__).resolve().parents[2]
CAL, END = "1997-09-30", "1998-06-30"
CANDIDATES = [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel]


@pytest.fixture(scope="module")
def tx():
    return load_cdnow_transactions(sample=True)


@pytest.fixture(scope="module")
def split(tx):
    return calibration_holdout_split(tx, calibration_end=CAL, observation_end=END, time_unit="W")


@pytest.fixture(scope="module")
def cdnow(tx):
    """The CDNOW comparison of docs/model_choice.md (39-week calibration, 39-week holdout)."""
    return compare_models(
        CANDIDATES, transactions=tx, calibration_end=CAL, observation_end=END, time_unit="W"
    )


# ----------------------------------------------------------------- CDNOW: the published fits


def test_cdnow_fits_are_the_published_ones(cdnow):
    table = cdnow.table
    # Fader, Hardie & Lee (2005): BG/NBD r, alpha, a, b = 0.243, 4.414, 0.793, 2.426, LL -9582.4
    assert table.loc["BetaGeoModel", "log_likelihood"] == pytest.approx(-9582.43, abs=0.01)
    bg = cdnow.parameters.query("model == 'BetaGeoModel'").set_index("parameter")["coef"]
    np.testing.assert_allclose(bg.to_numpy(), [0.243, 4.414, 0.793, 2.426], atol=6e-4)
    # Pareto/NBD: R BTYD / lifetimes, LL -9594.98; MBG/NBD: lifetimes' fit
    assert table.loc["ParetoNBDModel", "log_likelihood"] == pytest.approx(-9594.98, abs=0.01)
    mbg = cdnow.parameters.query("model == 'ModifiedBetaGeoModel'")["coef"].to_numpy()
    np.testing.assert_allclose(mbg, [0.525, 6.183, 0.891, 1.614], atol=6e-4)
    assert table.loc["ModifiedBetaGeoModel", "log_likelihood"] == pytest.approx(-9582.14, abs=0.01)
    n = 2357
    for name in ("BetaGeoModel", "ModifiedBetaGeoModel", "ParetoNBDModel"):
        ll = table.loc[name, "log_likelihood"]
        assert table.loc[name, "n_params"] == 4
        assert table.loc[name, "aic"] == pytest.approx(8 - 2 * ll)
        assert table.loc[name, "bic"] == pytest.approx(4 * np.log(n) - 2 * ll)
        assert table.loc[name, "converged"]
        assert table.loc[name, "convergence"] == ""


def test_cdnow_holdout_columns_are_evaluate_holdouts(cdnow, split, tx):
    """Each row repeats what evaluate_holdout and transaction_tracking say of that fit."""
    for name in ("BetaGeoModel", "ParetoNBDModel"):
        model = type(cdnow.models[name])().fit(split)
        metrics = evaluate_holdout(model, split).metrics
        row = cdnow.table.loc[name]
        assert row["holdout_log_score"] == pytest.approx(metrics["log_score"], rel=1e-12)
        for column in ("brier", "interval_coverage", "mae", "rmse", "bias_pct"):
            assert row[column] == pytest.approx(metrics[column], rel=1e-12)
        track = transaction_tracking(model, split, tx)
        actual, expected = (
            track["actual_cumulative"].iloc[-1],
            track["expected_cumulative"].iloc[-1],
        )
        assert row["tracking_error_pct"] == pytest.approx(100 * (expected - actual) / actual)
        assert row["tracking_mae"] == pytest.approx(
            np.mean(np.abs(track["expected"] - track["actual"]))
        )
        np.testing.assert_allclose(cdnow.tracking[name], track["expected_cumulative"])
    np.testing.assert_array_equal(cdnow.tracking["actual"], track["actual_cumulative"])


def test_cdnow_ranking_and_the_numbers_of_the_docs_page(cdnow):
    """The values docs/model_choice.md quotes (rounded as there)."""
    table = cdnow.table
    assert table.index.tolist() == [
        "ModifiedBetaGeoModel",
        "BetaGeoModel",
        "ParetoNBDModel",
        BASELINE,
    ]
    assert table["rank"].tolist() == [1, 2, 3, 4]
    assert (table["tie"] == "").all()
    assert table["holdout_log_score"].round(4).tolist() == [0.9821, 0.9845, 0.9872, 57.4909]
    assert table["bias_pct"].round(1).tolist() == [-16.2, -12.1, -11.5, 55.7]
    assert table["mae"].round(3).tolist() == [0.765, 0.785, 0.755, 1.024]
    assert table["brier"].round(4).tolist() == [0.1614, 0.1612, 0.1619, 0.2120]
    assert table["interval_coverage"].round(3).tolist() == [0.946, 0.947, 0.951, 0.850]
    assert table["decile_max_error"].round(3).tolist() == [0.337, 0.339, 0.266, 3.512]
    assert table["tracking_error_pct"].round(1).tolist() == [-6.6, -4.0, -1.5, 24.4]
    assert table["log_likelihood"].iloc[:3].round(1).tolist() == [-9582.1, -9582.4, -9595.0]
    assert cdnow.likelihood_ratio.empty  # nothing nested among the shipped models


def _page_row(name, row):
    def number(column, spec):
        value = row[column]
        return "–" if np.isnan(value) else format(value, spec)

    cells = [
        name,
        str(row["rank"]),
        number("log_likelihood", ",.1f"),
        number("aic", ",.1f"),
        number("bic", ",.1f"),
        number("holdout_log_score", ".4f"),
        number("brier", ".4f"),
        number("interval_coverage", ".3f"),
        number("mae", ".3f"),
        number("rmse", ".3f"),
        number("bias_pct", "+.1f"),
        number("decile_max_error", ".3f"),
        number("tracking_error_pct", "+.1f"),
    ]
    return "| " + " | ".join(cells) + " |"


def test_docs_page_shows_the_computed_table_and_its_reading(cdnow):
    page = (ROOT / "docs" / "model_choice.md").read_text(encoding="utf-8")
    table = cdnow.table
    for name, row in table.iterrows():
        assert _page_row(name, row) in page, name
    models = table.drop(BASELINE)
    score = models["holdout_log_score"]
    margin = score["BetaGeoModel"] - score["ModifiedBetaGeoModel"]
    assert f"{margin:.4f} nats per" in page
    assert models["brier"].idxmin() == "BetaGeoModel"
    for column in ("mae", "rmse", "decile_max_error"):
        assert models[column].idxmin() == "ParetoNBDModel"
    assert models["tracking_error_pct"].abs().idxmin() == "ParetoNBDModel"
    assert models["interval_coverage"].between(0.945, 0.955).all()
    assert models["bias_pct"].between(-16.25, -11.45).all()
    baseline = table.loc[BASELINE]
    for column in ("holdout_log_score", "brier", "mae", "rmse", "decile_max_error"):
        assert baseline[column] > 1.2 * models[column].max()
    assert baseline["tracking_mae"] > 2 * models["tracking_mae"].max()
    assert -np.log(1e-300) == pytest.approx(690.8, abs=0.05)


def test_baseline_row_is_the_same_rate_poisson_forecast(cdnow, split):
    x, T = split["frequency"].to_numpy(float), split["T"].to_numpy(float)
    actual = split["frequency_holdout"].to_numpy(float)
    mean = x / T * split["duration_holdout"].to_numpy(float)
    row = cdnow.table.loc[BASELINE]
    assert row["mae"] == pytest.approx(np.mean(np.abs(mean - actual)))
    assert row["bias_pct"] == pytest.approx(100 * (mean.sum() - actual.sum()) / actual.sum())
    log_score = -np.log(np.maximum(poisson.pmf(actual, mean), 1e-300))
    assert row["holdout_log_score"] == pytest.approx(log_score.mean(), rel=1e-9)
    assert row["brier"] == pytest.approx(np.mean((1 - np.exp(-mean) - (actual > 0)) ** 2))
    assert row["n_params"] == 0
    assert np.isnan(row["log_likelihood"])
    pooled = x.sum() / T.sum()
    assert row["params"] == f"pooled rate={pooled:.4g}"
    # its tracking line: the pooled rate times each customer's age, summed
    assert cdnow.tracking[BASELINE].is_monotonic_increasing


def test_deciles_are_means_over_sorted_groups(cdnow, split):
    model = cdnow.models["BetaGeoModel"]
    predicted = model.expected_purchases(split, t=39.0).to_numpy()
    actual = split["frequency_holdout"].to_numpy(float)
    order = np.argsort(-predicted, kind="stable")
    groups = np.array_split(order, 10)
    table = cdnow.deciles.loc["BetaGeoModel"]
    for k, rows in enumerate(groups, start=1):
        assert table.loc[k, "n_customers"] == rows.size
        assert table.loc[k, "predicted"] == pytest.approx(predicted[rows].mean())
        assert table.loc[k, "actual"] == pytest.approx(actual[rows].mean())
    worst = max(abs(predicted[r].mean() - actual[r].mean()) for r in groups)
    assert cdnow.table.loc["BetaGeoModel", "decile_max_error"] == pytest.approx(worst)


def test_decile_table_with_fewer_customers_than_groups():
    out = decile_table(np.array([1.0, 3.0]), np.array([0.0, 2.0]))
    assert out["n_customers"].tolist() == [1, 1]
    assert out["predicted"].tolist() == [3.0, 1.0]


# ----------------------------------------------------------------- ranking and ties


def test_ties_break_by_fewer_parameters_then_name():
    table = pd.DataFrame(
        {
            "holdout_log_score": [1.0, 1.0 + 1e-12, 0.5, 1.0, 2.0],
            "n_params": [4, 2, 4, 4, 0],
        },
        index=["Zeta", "Small", "Best", "Alpha", "Last"],
    )
    rank, notes = rank_rows(table)
    assert dict(zip(table.index, rank, strict=True)) == {
        "Best": 1,
        "Small": 2,
        "Alpha": 3,
        "Zeta": 4,
        "Last": 5,
    }
    assert notes[2] == ""
    assert notes[4] == ""
    assert "tied with Small, Alpha" in notes[0]
    assert "fewer parameters" in notes[0]


def test_the_same_class_twice_is_named_apart_and_the_callers_instance_stays_unfitted(split):
    mine = BetaGeoModel(penalizer_coef=0.01)
    result = compare_models([BetaGeoModel, mine], split)
    assert set(result.table.index) == {"BetaGeoModel", "BetaGeoModel#2", BASELINE}
    assert not hasattr(mine, "params_")
    assert result.models["BetaGeoModel#2"].penalizer_coef == 0.01
    penalized = result.table.loc["BetaGeoModel#2", "log_likelihood"]
    assert penalized < result.table.loc["BetaGeoModel", "log_likelihood"]


def test_dict_names_and_no_mutation(split):
    before = split.copy()
    result = compare_models({"bg": BetaGeoModel, "pnbd": ParetoNBDModel}, split)
    pd.testing.assert_frame_equal(split, before)
    assert result.tracking is None
    assert "tracking_mae" not in result.table.columns
    assert set(result.table.index) == {"bg", "pnbd", BASELINE}


def test_sample_weight_is_passed_to_every_fit(split):
    cols = ["frequency", "recency", "T", "frequency_holdout", "duration_holdout"]
    head = split[cols].iloc[:300]
    doubled = compare_models([BetaGeoModel], head, sample_weight=np.full(len(head), 2.0))
    single = compare_models([BetaGeoModel], head)
    ll2 = doubled.table.loc["BetaGeoModel", "log_likelihood"]
    assert ll2 == pytest.approx(2 * single.table.loc["BetaGeoModel", "log_likelihood"], rel=1e-6)


# ----------------------------------------------------------------- likelihood-ratio tests


def test_a_declared_nested_pair_gets_its_statistic_and_chi_square_p_value(split):
    """NBD inside Pareto/NBD is declared here only to check the arithmetic (see the docs)."""
    cols = ["frequency", "recency", "T", "frequency_holdout", "duration_holdout"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = compare_models(
            [NBDModel, ParetoNBDModel], split[cols], nested=[("NBDModel", "ParetoNBDModel", 2)]
        )
    lr = result.likelihood_ratio.iloc[0]
    ll = result.table["log_likelihood"]
    statistic = 2 * (ll["ParetoNBDModel"] - ll["NBDModel"])
    assert statistic > 100  # CDNOW customers do drop out
    assert lr["statistic"] == pytest.approx(statistic)
    assert lr["p_value"] == pytest.approx(chi2.sf(statistic, 2))
    assert lr["df"] == 2
    assert lr["note"] == ""


def test_a_general_fit_below_its_special_case_is_flagged():
    table = pd.DataFrame({"log_likelihood": [-10.0, -10.5]}, index=["A", "B"])
    row = likelihood_ratio_tests(table, [("A", "B", 1)]).iloc[0]
    assert row["statistic"] == 0.0
    assert row["p_value"] == 1.0
    assert "refit" in row["note"]


@pytest.mark.parametrize(
    ("nested", "match"),
    [
        ([("BetaGeoModel", "Nope", 1)], "'Nope' that is not in the comparison"),
        ([("BetaGeoModel", BASELINE, 1)], "not in the comparison"),
        ([("BetaGeoModel", "BetaGeoModel", 1)], "with itself"),
        ([("BetaGeoModel", "ParetoNBDModel", True)], "df must be"),
        ("BetaGeoModel", "list of"),
        ([("BetaGeoModel", "ParetoNBDModel", 0)], "df must be a whole number >= 1"),
        ([("BetaGeoModel", "ParetoNBDModel")], "triples"),
    ],
)
def test_bad_nested_pairs_are_refused_before_any_fit(split, nested, match):
    with pytest.raises(ParameterError, match=match):
        compare_models([BetaGeoModel, ParetoNBDModel], split, nested=nested)


# ----------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("candidates", "match"),
    [
        ([], "candidates is empty"),
        ("BetaGeoModel", "list of model classes"),
        ([GammaGammaModel], "not a purchase model"),
        ([int], "must be a valuation model class or instance"),
        ({BASELINE: BetaGeoModel}, "differ from"),
    ],
)
def test_bad_candidates_are_refused(split, candidates, match):
    with pytest.raises(ParameterError, match=match):
        compare_models(candidates, split)


class _NoPmfNBD(NBDModel, register=False):
    """The toy NBD without its purchase-count distribution."""

    _pmf_kernel = None


def test_a_candidate_without_a_pmf_is_refused(split):
    with pytest.raises(ParameterError, match=r"'_NoPmfNBD'.*no purchase-count distribution"):
        compare_models([_NoPmfNBD], split.iloc[:300])


def test_a_candidate_that_cannot_be_fitted_refuses_the_call_naming_it(split):
    with pytest.raises(MissingColumnError, match=r"candidate 'BetaGeoBetaBinomModel'.*n_periods"):
        compare_models([BetaGeoModel, BetaGeoBetaBinomModel], split)
    bad = split.assign(n_periods=np.ceil(split["T"]))  # recency not whole: BG/BB refuses
    with pytest.raises(
        DataValidationError, match="BetaGeoBetaBinomModel' cannot be fitted"
    ) as info:
        compare_models([BetaGeoBetaBinomModel], bad)
    assert info.value.column == "recency"  # the model's own error, its attributes kept


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "needs data"),
        ({"calibration_end": CAL}, "needs data"),
    ],
)
def test_incomplete_inputs_are_refused(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        compare_models([BetaGeoModel], **kwargs)


def test_bad_confidence_is_refused_before_any_fit():
    with pytest.raises(ParameterError, match="confidence"):
        compare_models([BetaGeoModel], None, confidence=1.5)


def test_data_and_calibration_end_together_are_refused(split):
    with pytest.raises(ParameterError, match="either data"):
        compare_models([BetaGeoModel], split, calibration_end=CAL)


def test_missing_holdout_column_is_named(split):
    with pytest.raises(MissingColumnError, match="frequency_holdout"):
        compare_models([BetaGeoModel], split.drop(columns="frequency_holdout"))


# ----------------------------------------------------------------- simulated: the true model wins


TRUE = {
    "BetaGeoModel": ("bgnbd", {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}),
    "ParetoNBDModel": ("pareto_nbd", {"r": 0.5, "alpha": 4.0, "s": 1.5, "beta": 20.0}),
}


def _share_first(true_name, reps, n, first_seed):
    process, params = TRUE[true_name]
    wins, tables = 0, []
    for rep in range(reps):
        data = make_holdout_summary(n, params, process=process, random_state=first_seed + rep)
        with warnings.catch_warnings():
            # the wrong candidate often fits to a ridge: the table's convergence column says so
            warnings.simplefilter("ignore", ConvergenceWarning)
            table = compare_models([BetaGeoModel, ParetoNBDModel], data).table
        wins += int(table.index[0] == true_name)
        assert table.index[-1] == BASELINE  # the naive forecast never beats a fitted model
        tables.append(table)
    return wins / reps, tables


@pytest.mark.parametrize("true_name", sorted(TRUE))
def test_the_generating_model_ranks_first_on_simulated_data(true_name):
    """3 replications of 500 customers: 3 of 3 (benchmarks/bench_compare.py: the large run)."""
    share, tables = _share_first(true_name, reps=3, n=500, first_seed=0)
    assert share == 1.0
    # the wrong candidate is behind by more than two standard errors: "worse than"
    wrong = next(name for name in TRUE if name != true_name)
    rows = [table.loc[wrong] for table in tables]
    assert [row["score_gap"] > 2 * row["score_gap_se"] for row in rows] == [True] * 3
    assert rows[0]["recommendation"].startswith(f"worse than {true_name} by")
    assert tables[0].loc[true_name, "recommendation"] == "best holdout log score"


def simulate_bgbb_holdout(n, params, n_periods, holdout, seed):
    """BG/BB: at each opportunity a living customer transacts w.p. p, then dies w.p. theta."""
    rng = np.random.default_rng(seed)
    p = rng.beta(params["alpha"], params["beta"], n)
    theta = rng.beta(params["gamma"], params["delta"], n)
    death = rng.geometric(theta)  # first opportunity at which the customer is dead
    i = np.arange(1, n_periods + holdout + 1)[None, :]
    buys = (rng.uniform(size=(n, i.size)) < p[:, None]) & (i < death[:, None])
    cal = i <= n_periods
    return pd.DataFrame(
        {
            "frequency": (buys & cal).sum(axis=1),
            "recency": np.where(buys & cal, i, 0).max(axis=1),
            "n_periods": np.full(n, n_periods),
            "frequency_holdout": (buys & ~cal).sum(axis=1),
            "duration_holdout": np.full(n, holdout),
        }
    )


def test_discrete_data_compare_bgbb_with_its_baseline():
    """Donation-like data (6 opportunities, 5 ahead): BG/BB recovers its parameters and wins."""
    params = {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}  # FHS 2010 donations
    data = simulate_bgbb_holdout(6000, params, 6, 5, seed=3)
    result = compare_models([BetaGeoBetaBinomModel], data)
    assert result.table.index.tolist() == ["BetaGeoBetaBinomModel", BASELINE]
    fitted = result.parameters.set_index("parameter")
    for name, value in params.items():
        assert abs(fitted.loc[name, "coef"] - value) < 4 * fitted.loc[name, "se"]
    x, n = data["frequency"].to_numpy(float), data["n_periods"].to_numpy(float)
    mean = x / n * 5
    actual = data["frequency_holdout"].to_numpy(float)
    assert result.table.loc[BASELINE, "mae"] == pytest.approx(np.mean(np.abs(mean - actual)))


# ----------------------------------------------------------------- the plot


def test_plot_draws_actual_and_every_model_from_the_tracking_table(cdnow):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from customer_models.plotting import plot_model_comparison

    ax = plot_model_comparison(cdnow, calibration_end=CAL)
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["Actual", *cdnow.table.index, "End of calibration"]
    for line, column in zip(ax.lines, ["actual", *cdnow.table.index], strict=False):
        np.testing.assert_array_equal(line.get_ydata(), cdnow.tracking[column].to_numpy())
    assert ax.lines[-1].get_xdata()[0] == 39.0  # the 39th weekly period ends on 1997-09-30
    ax2 = plot_model_comparison(cdnow, baseline=False)
    assert BASELINE not in [line.get_label() for line in ax2.lines]
    plt.close("all")


def test_plot_refuses_a_comparison_without_tracking(split):
    pytest.importorskip("matplotlib")
    from customer_models.plotting import plot_model_comparison

    result = compare_models([BetaGeoModel], split.iloc[:300])
    with pytest.raises(ParameterError, match="transactions"):
        plot_model_comparison(result)


# ----------------------------------------------------------------- gaps and recommendations


def test_score_gaps_are_paired_differences_to_the_best(cdnow, split):
    best = cdnow.models["ModifiedBetaGeoModel"]
    other = cdnow.models["ParetoNBDModel"]
    a = evaluate_holdout(best, split).customers["log_score"].to_numpy()
    b = evaluate_holdout(other, split).customers["log_score"].to_numpy()
    row = cdnow.table.loc["ParetoNBDModel"]
    assert row["score_gap"] == pytest.approx(np.mean(b - a))
    assert row["score_gap_se"] == pytest.approx(np.std(b - a, ddof=1) / np.sqrt(a.size))
    assert cdnow.table["score_gap"].iloc[0] == 0.0


def test_cdnow_recommendations(cdnow):
    """On CDNOW the three models are within two standard errors of each other."""
    text = cdnow.table["recommendation"]
    assert text.iloc[0] == (
        "best holdout log score; purchase timing is consistent with Poisson "
        "(k = 0.99 ± 0.05), as these models assume"
    )
    for name in ("BetaGeoModel", "ParetoNBDModel"):
        assert text[name].startswith("as good as ModifiedBetaGeoModel on this holdout")
    page = (ROOT / "docs" / "model_choice.md").read_text(encoding="utf-8")
    gap = cdnow.table.loc["BetaGeoModel", ["score_gap", "score_gap_se"]].round(4).tolist()
    assert gap == [0.0023, 0.0017]
    assert f"gap {gap[0]:.4f} ± {gap[1]:.4f}" in text["BetaGeoModel"]
    assert "paired standard error of that gap is 0.0017" in page
    pareto = cdnow.table.loc["ParetoNBDModel", ["score_gap", "score_gap_se"]]
    assert f"gap is {pareto['score_gap']:.4f} ± {pareto['score_gap_se']:.4f}" in page
    assert "On the CDNOW sample, 736 customers give `k = 0.99 ± 0.05`" in page
    assert text[BASELINE].startswith("naive reference: ModifiedBetaGeoModel beats it by")
    assert cdnow.regularity["n_customers"] == 736


def test_regularity_notes():
    from customer_models.evaluation._compare_parts import _regularity_note

    assert "more regular" in _regularity_note(pd.Series({"k": 2.5, "se": 0.1}))
    assert "clumpier" in _regularity_note(pd.Series({"k": 0.5, "se": 0.05}))
    assert "consistent" in _regularity_note(pd.Series({"k": 1.6, "se": 0.4}))
    assert _regularity_note(None) == ""
