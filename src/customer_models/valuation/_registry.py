"""Registry of the valuation model classes, by class name (what a saved model file names).

:class:`~customer_models.valuation._base.ValuationModel` registers each concrete subclass
defined in this package when the class is created, so loading a file needs no import of the
package and a new model is loadable as soon as its module is imported.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MODEL_CLASSES", "register"]

#: Concrete model classes of this package by class name.
MODEL_CLASSES: dict[str, Any] = {}


def register(cls: Any) -> None:
    """Record ``cls`` when it is a concrete model class (it declares its parameters)."""
    if cls.__module__.startswith("customer_models.") and cls.param_names:
        MODEL_CLASSES[cls.__name__] = cls
