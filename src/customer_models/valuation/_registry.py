"""Registry of the valuation model classes, by class name (what a saved model file names).

:class:`~customer_models.valuation._base.ValuationModel` registers each concrete subclass
(one that declares ``param_names``) when the class is created, so loading a file needs no
import of the package and a new model is loadable as soon as its module is imported. Classes
of this package register by themselves; a class defined elsewhere (a model of one's own, the
toy model of the test suite) asks for it with ``class MyModel(PurchaseModel, register=True)``.

A model that is not one ``ValuationModel`` (the multi-cohort sBG holds one per cohort)
registers a loader instead (:func:`register_loader`): the function that rebuilds it from the
payload of its file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["LOADERS", "MODEL_CLASSES", "register", "register_loader"]

#: Concrete model classes by class name: this package's, and those registered on request.
MODEL_CLASSES: dict[str, Any] = {}
#: Class name -> function rebuilding such a model from its file's payload (a dict).
LOADERS: dict[str, Callable[[dict[str, Any]], Any]] = {}


def register(cls: Any, *, requested: bool | None = None) -> None:
    """Record the concrete model class ``cls`` under its name.

    Parameters
    ----------
    cls : type
        A :class:`~customer_models.valuation.ValuationModel` subclass; one without
        ``param_names`` (a family base) is not recorded.
    requested : bool, optional
        The class statement's ``register=`` keyword: True records a class of any module,
        False none, None (default) the classes of this package only.

    Raises
    ------
    TypeError
        When another class of that name is registered already (a file names its class by
        name, so two classes of one name could not be told apart).

    Examples
    --------
    >>> MODEL_CLASSES["BetaGeoModel"].__name__
    'BetaGeoModel'
    """
    in_package = cls.__module__.startswith("customer_models.")
    if not cls.param_names or requested is False or (requested is None and not in_package):
        return
    name = cls.__name__
    known = MODEL_CLASSES.get(name)
    if known is not None and _where(known) != _where(cls):
        raise TypeError(
            f"a valuation model class named {name!r} is registered already ({_where(known)}); "
            f"rename {_where(cls)} or create it with register=False"
        )
    MODEL_CLASSES[name] = cls


def _where(cls: Any) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def register_loader(name: str, loader: Callable[[dict[str, Any]], Any]) -> None:
    """Record how to rebuild the model class ``name`` from the payload of its file.

    Examples
    --------
    >>> "CohortShiftedBetaGeoModel" in LOADERS
    True
    """
    if name in MODEL_CLASSES or LOADERS.get(name, loader) is not loader:
        raise TypeError(f"a model class named {name!r} is registered already")
    LOADERS[name] = loader
