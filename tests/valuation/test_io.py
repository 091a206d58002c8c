from __future__ import annotations

import json

import pytest

import customer_models
from customer_models import ModelFileError
from customer_models.valuation import (
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    load_model,
)

# The round trip itself (a fitted model and one built with from_params reload and predict
# identically, every registered class) is part of the contract in tests/test_common.py.


@pytest.mark.parametrize("cls", [BetaGeoModel, ParetoNBDModel, ModifiedBetaGeoModel])
def test_a_fitted_model_file_names_its_format_class_and_library(cls, cdnow, tmp_path):
    path = tmp_path / "model.json"
    cls(penalizer_coef=0.0).fit(cdnow).save(path)
    payload = json.loads(path.read_text())
    assert payload["format"] == "customer_models.valuation"
    assert payload["format_version"] == 1
    assert payload["class"] == cls.__name__
    assert payload["library_version"] == customer_models.__version__
    assert payload["time_unit"] == "W"
    assert path.stat().st_size < 10_000


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


def test_the_identification_read_out_survives_a_round_trip(cdnow, tmp_path):
    import dataclasses

    model = BetaGeoModel().fit(cdnow)
    assert not model.convergence_.flat_ridge
    assert 0.0 < model.convergence_.weakest_sd < 1.0
    # a ridge report, as a fit on weakly identified data writes it
    model.convergence_ = dataclasses.replace(
        model.convergence_, flat_ridge=True, ridge_parameters=("a", "b"), weakest_sd=3.5
    )
    model.save(tmp_path / "ridge.json")
    loaded = load_model(tmp_path / "ridge.json").convergence_
    assert loaded == model.convergence_
    assert (loaded.flat_ridge, loaded.ridge_parameters, loaded.weakest_sd) == (
        True,
        ("a", "b"),
        3.5,
    )


def test_a_file_without_the_identification_read_out_loads_with_its_defaults(cdnow, tmp_path):
    path = tmp_path / "old.json"
    BetaGeoModel().fit(cdnow).save(path)
    payload = json.loads(path.read_text())
    for key in ("flat_ridge", "ridge_parameters", "weakest_sd"):
        del payload["convergence"][key]
    path.write_text(json.dumps(payload))
    loaded = load_model(path).convergence_
    assert (loaded.flat_ridge, loaded.ridge_parameters) == (False, ())
    assert loaded.weakest_sd != loaded.weakest_sd  # NaN: not known
