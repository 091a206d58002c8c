from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import customer_models
from customer_models import ModelFileError
from customer_models.valuation import (
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ValuationModel,
    load_model,
)


@pytest.mark.parametrize("cls", [BetaGeoModel, ParetoNBDModel, ModifiedBetaGeoModel])
def test_round_trip_fitted_model(cls, cdnow, tmp_path):
    model = cls(penalizer_coef=0.0).fit(cdnow)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = load_model(path)
    assert type(loaded) is cls
    pd.testing.assert_series_equal(loaded.params_, model.params_)
    pd.testing.assert_frame_equal(loaded.covariance_, model.covariance_)
    pd.testing.assert_frame_equal(loaded.summary_, model.summary_)
    assert loaded.log_likelihood_ == model.log_likelihood_
    assert loaded.time_unit_ == "W"
    assert loaded.convergence_ == model.convergence_
    pd.testing.assert_series_equal(
        loaded.expected_purchases(cdnow, t=10), model.expected_purchases(cdnow, t=10)
    )
    payload = json.loads(path.read_text())
    assert payload["format"] == "customer_models.valuation"
    assert payload["format_version"] == 1
    assert payload["library_version"] == customer_models.__version__
    assert path.stat().st_size < 10_000


def test_round_trip_from_params(tmp_path):
    model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    model.save(tmp_path / "m.json")
    loaded = load_model(tmp_path / "m.json")
    assert loaded.covariance_ is None
    assert np.isnan(loaded.log_likelihood_)


def test_every_registered_model_class_is_loadable(tmp_path):
    """Every model class the registry knows round-trips through a file, parameters exact."""
    from customer_models.valuation._registry import MODEL_CLASSES

    expected = {
        "BetaGeoModel",
        "ModifiedBetaGeoModel",
        "ParetoNBDModel",
        "GammaGammaModel",
        "BetaGeoBetaBinomModel",
        "ShiftedBetaGeoModel",
    }
    assert expected <= set(MODEL_CLASSES)
    for name, cls in MODEL_CLASSES.items():
        assert issubclass(cls, ValuationModel), name
        values = np.linspace(0.5, 3.0, len(cls.param_names)) ** 1.7  # not round numbers
        model = cls.from_params(time_unit="W", **dict(zip(cls.param_names, values, strict=True)))
        model.save(tmp_path / f"{name}.json")
        loaded = load_model(tmp_path / f"{name}.json")
        assert type(loaded) is cls, name
        pd.testing.assert_series_equal(loaded.params_, model.params_, check_exact=True)
        assert loaded.time_unit_ == "W", name


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("not json", "not valid JSON"),
        ('{"format": "something-else"}', "format"),
        ("[1, 2]", "format"),
        (
            '{"format": "customer_models.valuation", "format_version": 99,'
            ' "class": "BetaGeoModel"}',
            "format_version 99",
        ),
        (
            '{"format": "customer_models.valuation", "format_version": 1, "class": "os.system",'
            ' "params": {}}',
            "unknown model class",
        ),
        (
            '{"format": "customer_models.valuation", "format_version": 1, "class": "BetaGeoModel",'
            ' "params": {"r": 1}}',
            "missing",
        ),
        (
            '{"format": "customer_models.valuation", "format_version": 1, "class": "BetaGeoModel",'
            ' "params": {"r": 1, "alpha": 1, "a": -1, "b": 1}}',
            r"numbers in \[",
        ),
        (
            '{"format": "customer_models.valuation", "format_version": 1, "class": "BetaGeoModel",'
            ' "params": {"r": 1, "alpha": 1, "a": 1, "b": 1}, "covariance": [[1]]}',
            "malformed",
        ),
    ],
)
def test_malformed_or_foreign_files_raise(tmp_path, content, match):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ModelFileError, match=match):
        load_model(path)


def test_missing_file_raises(tmp_path):
    with pytest.raises(ModelFileError, match="No model file"):
        load_model(tmp_path / "nope.json")


def test_unfitted_model_cannot_be_saved(tmp_path):
    from customer_models import NotFittedError

    with pytest.raises(NotFittedError):
        BetaGeoModel().save(tmp_path / "m.json")
