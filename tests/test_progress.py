"""Progress reports: callbacks, tqdm-compatible classes, the stderr fallback, bad values."""

from __future__ import annotations

import io
import sys
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
import tqdm

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
    cm.customer_lifetime_value(
        bg,
        gg,
        summary.head(5),
        horizon=12,
        confidence=0.9,
        method="bootstrap",
        n_draws=100,
        fit_data=summary,
        random_state=0,
        progress=report,
    )
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
