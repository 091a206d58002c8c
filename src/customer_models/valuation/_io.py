"""Save and load fitted valuation models as small versioned JSON files (never pickle).

The file holds the format name and version, the model class name, its constructor
arguments, parameters, covariance, time unit, fit statistics and the library version. Loading
looks the class name up among the :class:`ValuationModel` subclasses defined in
``customer_models`` (so every model, including ones added later, is handled by this code) and
never executes anything from the file.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np

from customer_models._version import __version__
from customer_models.exceptions import ModelFileError, ParameterError
from customer_models.valuation._convergence import ConvergenceReport
from customer_models.valuation._registry import LOADERS, MODEL_CLASSES

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "load_model",
    "model_from_json",
    "model_to_json",
    "save_model",
    "write_model_text",
]

FORMAT_NAME = "customer_models.valuation"
FORMAT_VERSION = 1


def _check_path(path: Any) -> None:
    if not isinstance(path, (str, os.PathLike)) or (isinstance(path, str) and not path):
        raise ParameterError(
            f"path must be a file path (a str or os.PathLike such as pathlib.Path), got "
            f"{path!r} ({type(path).__name__})."
        )


def _num(value: Any) -> float | None:
    value = float(value)
    return None if not math.isfinite(value) else value


def model_to_json(model: Any) -> str:
    """Return ``model`` (fitted or built with ``from_params``) as the JSON text of a model file.

    The text :func:`save_model` writes, for storing a model where a file is not the place
    (a database table next to the scores it made, a key-value store).

    Examples
    --------
    >>> import json
    >>> from customer_models.valuation import BetaGeoModel
    >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> json.loads(model_to_json(m))["params"]["alpha"]
    4.414
    """
    return json.dumps(_payload(model), indent=2, allow_nan=False)


def _payload(model: Any) -> dict[str, Any]:
    model._require_fitted()
    cov = model.covariance_
    conv = getattr(model, "convergence_", None)
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "class": type(model).__name__,
        "library_version": __version__,
        "init_params": {
            k: v
            for k, v in model.get_params().items()
            if v is None or isinstance(v, (bool, int, float, str))
        },
        "params": {k: float(v) for k, v in model.params_.items()},
        "covariance": None if cov is None else [[_num(v) for v in row] for row in cov.to_numpy()],
        "time_unit": model.time_unit_,
        "log_likelihood": _num(model.log_likelihood_),
        "n_customers": _num(model.n_customers_),
        "convergence": None
        if conv is None
        else {
            "success": bool(conv.success),
            "n_iterations": int(conv.n_iterations),
            "gradient_norm": _num(conv.gradient_norm),
            "hessian_positive_definite": bool(conv.hessian_positive_definite),
            "at_boundary": list(conv.at_boundary),
            "moved_from_start": bool(conv.moved_from_start),
            "message": str(conv.message),
            "flat_ridge": bool(conv.flat_ridge),
            "ridge_parameters": list(conv.ridge_parameters),
            "weakest_sd": _num(conv.weakest_sd),
        },
    }


def save_model(model: Any, path: str | os.PathLike[str]) -> None:
    """Write ``model`` (fitted or built with ``from_params``) to ``path`` as JSON.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> from customer_models.valuation import ParetoNBDModel
    >>> m = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     save_model(m, pathlib.Path(d) / "m.json")
    ...     json.loads((pathlib.Path(d) / "m.json").read_text())["class"]
    'ParetoNBDModel'
    """
    write_model_text(model_to_json(model), path)


def write_model_text(text: str, path: str | os.PathLike[str]) -> None:
    """Write the JSON ``text`` of a model file to ``path`` (ModelFileError if it cannot)."""
    _check_path(path)
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise ModelFileError(f"cannot write the model file {os.fspath(path)!s}: {exc}.") from None


def _float_or_nan(value: Any) -> float:
    """Return a stored number; JSON has no NaN, so a missing value was stored as null."""
    return math.nan if value is None else float(value)


def _fail(source: str, why: str) -> ModelFileError:
    return ModelFileError(f"{source} is not a customer_models model file: {why}.")


def load_model(path: str | os.PathLike[str]) -> Any:
    """Load a model saved with ``model.save(path)``.

    Parameters
    ----------
    path : str or os.PathLike
        A JSON file written by :meth:`ValuationModel.save`.

    Returns
    -------
    ValuationModel
        A ready-to-predict model of the saved class with the saved parameters, covariance,
        time unit and fit statistics.

    Raises
    ------
    ParameterError
        If ``path`` is not a str or os.PathLike (e.g. None).
    ModelFileError
        If the file is missing, not JSON, of another format or a newer format version, names
        an unknown model class, or has malformed parameters.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from customer_models.valuation import BetaGeoModel
    >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     m.save(pathlib.Path(d) / "m.json")
    ...     loaded = load_model(pathlib.Path(d) / "m.json")
    >>> type(loaded).__name__, loaded.time_unit_
    ('BetaGeoModel', 'W')
    """
    _check_path(path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise ModelFileError(f"No model file at {os.fspath(path)!s}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(os.fspath(path), f"not readable text ({exc})") from None
    return _from_text(text, os.fspath(path))


def model_from_json(text: str) -> Any:
    """Return the model whose JSON text :func:`model_to_json` (or a model file) holds.

    Raises
    ------
    ModelFileError
        As :func:`load_model` does, for text that is not a model.

    Examples
    --------
    >>> from customer_models.valuation import BetaGeoModel
    >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> model_from_json(model_to_json(m)).params_["b"]
    np.float64(2.426)
    """
    if not isinstance(text, (str, bytes)):
        raise ParameterError(f"text must be the JSON text of a model, got {type(text).__name__}.")
    return _from_text(text, "the text")


def _from_text(text: str | bytes, source: str) -> Any:
    """Parse and check a model's JSON; ``source`` names it in errors (a path or 'the text')."""
    path = source
    try:
        payload = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(path, f"not valid JSON ({exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_NAME:
        raise _fail(path, f"its 'format' is not {FORMAT_NAME!r}")
    version = payload.get("format_version")
    if not isinstance(version, int) or version < 1 or version > FORMAT_VERSION:
        raise _fail(
            path,
            f"format_version {version!r} is not supported (this library reads "
            f"1..{FORMAT_VERSION}; upgrade customer_models to read newer files)",
        )
    name = payload.get("class")
    if name in LOADERS:
        try:
            return LOADERS[name](payload)
        except (TypeError, ValueError, KeyError) as exc:
            raise _fail(path, f"malformed content ({exc})") from None
    classes = MODEL_CLASSES
    if name not in classes:
        known = sorted([*classes, *LOADERS])
        raise _fail(path, f"unknown model class {name!r} (known: {known})")
    cls = classes[name]
    params = payload.get("params")
    if not isinstance(params, dict):
        raise _fail(path, "'params' must be an object")
    try:
        values = cls._check_params(params)
        cov_raw = payload.get("covariance")
        cov = None
        if cov_raw is not None:
            cov = np.array([[math.nan if v is None else float(v) for v in row] for row in cov_raw])
            if cov.shape != (values.size, values.size):
                raise ValueError(f"covariance must be {values.size}x{values.size}")
        init = payload.get("init_params") or {}
        if not isinstance(init, dict):
            raise ValueError("'init_params' must be an object")
        valid = cls().get_params()
        model = cls(**{k: v for k, v in init.items() if k in valid})
        ll = payload.get("log_likelihood")
        n = payload.get("n_customers")
        model._set_result(
            values,
            covariance=cov,
            log_likelihood=math.nan if ll is None else float(ll),
            n=math.nan if n is None else float(n),
        )
        unit = payload.get("time_unit")
        model.time_unit_ = None if unit is None else str(unit)
        conv = payload.get("convergence")
        if conv is not None:
            model.convergence_ = ConvergenceReport(
                success=bool(conv["success"]),
                n_iterations=int(conv["n_iterations"]),
                gradient_norm=_float_or_nan(conv["gradient_norm"]),
                hessian_positive_definite=bool(conv["hessian_positive_definite"]),
                at_boundary=tuple(str(v) for v in conv.get("at_boundary", ())),
                moved_from_start=bool(conv.get("moved_from_start", True)),
                message=str(conv.get("message", "")),
                # files written before the identification read-out have none of these
                flat_ridge=bool(conv.get("flat_ridge", False)),
                ridge_parameters=tuple(str(v) for v in conv.get("ridge_parameters", ())),
                weakest_sd=_float_or_nan(conv.get("weakest_sd")),
            )
    except ModelFileError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise _fail(path, f"malformed content ({exc})") from None
    return model
