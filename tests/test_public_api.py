"""The flat public API: everything in __all__ exists, is sorted and is documented."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest

import customer_models


def test_all_is_sorted_and_unique():
    names = customer_models.__all__
    assert names == sorted(names)
    assert len(set(names)) == len(names)


def test_every_public_name_exists_and_has_a_docstring():
    for name in customer_models.__all__:
        obj = getattr(customer_models, name)
        if name == "__version__":
            assert isinstance(obj, str)
            continue
        assert inspect.getdoc(obj), f"{name} has no docstring"


def test_public_callables_have_examples():
    missing = [
        name
        for name in customer_models.__all__
        if (inspect.isfunction(getattr(customer_models, name)))
        and ">>>" not in (inspect.getdoc(getattr(customer_models, name)) or "")
    ]
    assert missing == []


def test_version_matches_metadata():
    from importlib.metadata import version

    assert customer_models.__version__ == version("customer_models")


def test_import_does_not_pull_optional_extras():
    code = (
        "import sys, customer_models; "
        "extras = ('matplotlib', 'lifetimes', 'dask', 'polars', 'duckdb', 'ibis', 'tqdm'); "
        "print(sorted(m for m in extras if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_exceptions_share_one_base():
    exceptions = importlib.import_module("customer_models.exceptions")
    for name in exceptions.__all__:
        cls = getattr(exceptions, name)
        if name.endswith("Warning"):
            assert issubclass(cls, UserWarning)
        else:
            assert issubclass(cls, customer_models.CustomerModelsError)
            assert issubclass(cls, ValueError)


def test_demo_runs_and_prints_real_numbers():
    out = subprocess.run(
        [sys.executable, "-m", "customer_models"], capture_output=True, text=True, check=True
    )
    assert "2,357" in out.stdout  # customers in the CDNOW sample
    assert "946" in out.stdout  # repeat buyers in calibration (Fader, Hardie & Lee 2005)


def test_not_fitted_error_is_also_sklearns():
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    import customer_models as cm

    for model in (cm.BetaGeoModel(), cm.RFMSegmenter(), cm.LifecycleStageClassifier()):
        with pytest.raises(SklearnNotFittedError) as info:
            model.predict(None) if hasattr(model, "predict") else model.probability_alive(None)
        assert isinstance(info.value, cm.NotFittedError)
        assert isinstance(info.value, AttributeError)
