"""Progress reports: callbacks, tqdm-compatible classes, the stderr fallback, bad values."""

from __future__ import annotations

import io
import sys
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
import tqdm
from _bootstrap_clv import bootstrap_clv

import customer_models as cm
from customer_models._progress import Progress
from customer_models.exceptions import ParameterError


@pytest.fixture(scope="module")
def ratings() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(2, 600))
    return pd.DataFrame({"a": a, "b": b, "y": a + 0.5 * b + rng.normal(size=600)})


@pytest.fixture(scope="module")
def churn_frame() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = pd.Series((X["a"] + rng.normal(size=400) > 0).astype(int), name="churned")
    return X, y


class RecordingBar:
    """A tqdm-compatible class that records what it was told."""

    instances: ClassVar[list[RecordingBar]] = []

    def __init__(self, *, total: int, desc: str) -> None:
        self.total, self.desc, self.n, self.closed = total, desc, 0, False
        RecordingBar.instances.append(self)

    def update(self, n: int) -> None:
        self.n += n

    def close(self) -> None:
        self.closed = True


def test_key_drivers_reports_every_replicate_and_gives_the_same_table(ratings):
    seen: list[tuple[int, int, str]] = []
    table = cm.key_drivers(
        ratings,
        target="y",
        drivers=["a", "b"],
        n_draws=120,
        random_state=0,
        progress=lambda done, total, desc: seen.append((done, total, desc)),
    )
    silent = cm.key_drivers(ratings, target="y", drivers=["a", "b"], n_draws=120, random_state=0)
    pd.testing.assert_frame_equal(table, silent)
    assert seen, "the callback was never called"
    done = [d for d, _, _ in seen]
    assert done == sorted(done)
    assert done[-1] == 120
    assert {t for _, t, _ in seen} == {120}
    assert seen[0][2] == "key_drivers bootstrap"


def test_churn_classifier_reports_its_steps_to_a_tqdm_compatible_class(churn_frame):
    X, y = churn_frame
    RecordingBar.instances.clear()
    clf = cm.ChurnClassifier(progress=RecordingBar).fit(X, y)
    (bar,) = RecordingBar.instances
    # two candidate families, the importances and the final fit
    assert (bar.total, bar.n, bar.closed, bar.desc) == (4, 4, True, "ChurnClassifier.fit")
    silent = cm.ChurnClassifier().fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), silent.predict_proba(X))


def test_a_real_tqdm_bar_is_drawn(churn_frame):
    X, y = churn_frame
    out = io.StringIO()

    class Bar(tqdm.tqdm):  # type: ignore[misc]
        def __init__(self, **kwargs):
            super().__init__(file=out, **kwargs)

    cm.ChurnClassifier(estimator="logistic", n_repeats=0, progress=Bar).fit(X, y)
    assert "ChurnClassifier.fit" in out.getvalue()
    assert "2/2" in out.getvalue()


def test_true_without_tqdm_prints_one_line_per_step(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import tqdm.auto -> ImportError
    with Progress(True, 2, "refits") as bar:
        bar.advance()
        bar.advance()
    assert capsys.readouterr().err.splitlines() == ["refits: 1/2", "refits: 2/2"]


def test_the_bar_is_closed_when_the_work_fails():
    RecordingBar.instances.clear()

    def work() -> None:
        with Progress(RecordingBar, 3, "x") as bar:
            bar.advance()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        work()
    assert RecordingBar.instances[0].closed


@pytest.mark.parametrize("bad", ["yes", 1, 2.5])
def test_bad_progress_values_name_the_parameter(bad, ratings, churn_frame):
    with pytest.raises(ParameterError, match="progress must be"):
        cm.key_drivers(ratings, target="y", drivers=["a"], progress=bad)
    with pytest.raises(ParameterError, match="progress must be"):
        cm.ChurnClassifier(progress=bad).fit(*churn_frame)


def test_silent_by_default(ratings, capsys):
    cm.key_drivers(ratings, target="y", drivers=["a", "b"], n_draws=20, random_state=0)
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == ""


@pytest.fixture(scope="module")
def cdnow_fits() -> tuple[pd.DataFrame, cm.BetaGeoModel, cm.GammaGammaModel]:
    summary = cm.load_cdnow_summary()
    return summary, cm.BetaGeoModel().fit(summary), cm.GammaGammaModel().fit(summary)


def _recorder() -> tuple[list[tuple[int, int, str]], Any]:
    seen: list[tuple[int, int, str]] = []
    return seen, lambda done, total, desc: seen.append((done, total, desc))


def test_confidence_interval_reports_each_bootstrap_refit(cdnow_fits):
    summary, bg, _ = cdnow_fits
    seen, report = _recorder()
    kwargs = {"t": 10.0, "method": "bootstrap", "n_draws": 100, "fit_data": summary}
    out = cm.confidence_interval(bg, summary.head(5), random_state=1, progress=report, **kwargs)
    silent = cm.confidence_interval(bg, summary.head(5), random_state=1, **kwargs)
    pd.testing.assert_frame_equal(out, silent)
    assert [d for d, _, _ in seen] == list(range(1, 101))
    assert {(t, desc) for _, t, desc in seen} == {(100, "bootstrap refits of the model")}


def test_clv_reports_the_refits_of_both_models(cdnow_fits):
    summary, bg, gg = cdnow_fits
    seen, report = _recorder()
    bootstrap_clv(bg, gg, summary.head(5), summary, horizon=12, n_draws=100, progress=report)
    descs = [desc for _, _, desc in seen]
    assert descs.count("bootstrap refits of the transaction_model") == 100
    assert descs.count("bootstrap refits of the spend_model") == 100


def test_prediction_interval_reports_refits_and_laplace_reports_nothing(cdnow_fits):
    summary, bg, _ = cdnow_fits
    seen, report = _recorder()
    common = {"t": 10.0, "parameter_uncertainty": True, "n_draws": 100, "random_state": 0}
    cm.prediction_interval(
        bg, summary.head(3), method="bootstrap", fit_data=summary, progress=report, **common
    )
    assert len(seen) == 100
    seen.clear()
    cm.confidence_interval(bg, summary.head(3), t=10.0, progress=report)  # laplace: no refits
    assert seen == []


@pytest.mark.parametrize("bad", ["yes", 3])
def test_the_intervals_refuse_bad_progress_values(bad, cdnow_fits):
    summary, bg, gg = cdnow_fits
    with pytest.raises(ParameterError, match="progress must be"):
        cm.confidence_interval(bg, summary, t=1.0, progress=bad)
    with pytest.raises(ParameterError, match="progress must be"):
        cm.prediction_interval(bg, summary, t=1.0, progress=bad)
    with pytest.raises(ParameterError, match="progress must be"):
        cm.customer_lifetime_value(bg, gg, summary, horizon=1, progress=bad)


# ----------------------------------------------------------------------------- valuation fits


def _fit_tables(model: Any) -> tuple[np.ndarray, float, np.ndarray]:
    return model.params_.to_numpy(), model.log_likelihood_, model.covariance_.to_numpy()


@pytest.mark.parametrize(
    ("model_class", "coarse_sample"),
    [
        (cm.BetaGeoModel, False),
        (cm.ParetoNBDModel, False),
        (cm.GammaGammaModel, False),
        (cm.GammaGammaModel, True),  # the two-stage fit: L-BFGS-B on a sample, Newton on all
    ],
)
def test_a_fit_reports_its_iterations_with_an_unknown_total(model_class, coarse_sample):
    if coarse_sample:  # 45,000 distinct patterns (continuous spend): over twice the sample
        rng = np.random.default_rng(5)
        x = 1.0 + rng.poisson(2.0, 45_000)
        nu = rng.gamma(3.7, 1.0 / 15.0, 45_000)  # Gamma-Gamma: q = 3.7, v = 15, p = 6
        data = pd.DataFrame({"frequency": x, "monetary_value": rng.gamma(6.0 * x, 1.0 / nu) / x})
    else:
        data = cm.load_cdnow_summary()
    seen, report = _recorder()
    reported = model_class().fit(data, progress=report)
    silent = model_class().fit(data)
    for got, expected in zip(_fit_tables(reported), _fit_tables(silent), strict=True):
        np.testing.assert_array_equal(got, expected)  # reporting changes nothing
    if coarse_sample:
        assert "a sample of 20,000 customers" in silent.convergence_.message
    done = [d for d, _, _ in seen]
    assert done == list(range(1, len(done) + 1))  # one call per iteration, counting up
    assert done[-1] == silent.convergence_.n_iterations
    assert {(t, desc) for _, t, desc in seen} == {(None, f"{model_class.__name__}.fit iterations")}


def test_a_fit_reports_to_a_tqdm_compatible_class_with_total_none():
    RecordingBar.instances.clear()
    model = cm.BetaGeoModel().fit(cm.load_cdnow_summary(), progress=RecordingBar)
    (bar,) = RecordingBar.instances
    assert (bar.total, bar.desc, bar.closed) == (None, "BetaGeoModel.fit iterations", True)
    assert bar.n == model.convergence_.n_iterations > 0


def test_a_real_tqdm_bar_counts_fit_iterations():
    out = io.StringIO()

    class Bar(tqdm.tqdm):  # type: ignore[misc]
        def __init__(self, **kwargs):
            super().__init__(file=out, **kwargs)

    model = cm.ParetoNBDModel().fit(cm.load_cdnow_summary(), progress=Bar)
    text = out.getvalue()
    assert "ParetoNBDModel.fit iterations" in text
    assert f"{model.convergence_.n_iterations}it" in text  # no total: a plain count


def test_unknown_total_without_tqdm_prints_the_count(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with Progress(True, None, "fit") as bar:
        bar.advance()
        bar.advance(2)
    assert capsys.readouterr().err.splitlines() == ["fit: 1", "fit: 3"]


def test_a_fit_is_silent_by_default_and_refuses_bad_progress(capsys):
    summary = cm.load_cdnow_summary()
    cm.GammaGammaModel().fit(summary)
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")
    with pytest.raises(ParameterError, match="progress must be"):
        cm.BetaGeoModel().fit(summary, progress="yes")
