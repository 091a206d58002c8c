"""Kernel declarations for model classes: one line each, or the house names of modules.

A model's kernels are plain module-level numpy functions. A class declares one as
``_alive_kernel = kernel(probability_alive_kernel)``, or all of them at once with the
class keyword ``kernels=``: every function the named modules define under a house name
(:data:`KERNEL_NAMES`) becomes the hook of that name, so the naming scheme is the
declaration::

    class BetaGeoModel(PurchaseModel, kernels=(_bgnbd_likelihood, _bgnbd_predictions)):
        ...

``ValuationModel`` types its likelihood hooks with ``*columns``, which a function of named
columns ``(params, x, t_x, n)`` does not match for mypy; :func:`kernel` keeps the type loose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from types import ModuleType
from typing import Any

__all__ = ["KERNEL_NAMES", "declare_kernels", "kernel"]

#: Class hook -> the module-level function name that declares it.
KERNEL_NAMES: Mapping[str, str] = {
    "_loglik_kernel": "log_likelihood_kernel",
    "_loglik_gradient_kernel": "log_likelihood_gradient_kernel",
    "_derivatives_kernel": "log_likelihood_derivatives_kernel",
    "_alive_kernel": "probability_alive_kernel",
    "_expected_kernel": "expected_purchases_kernel",
    "_pmf_kernel": "probability_of_purchases_kernel",
    "_new_customer_kernel": "expected_purchases_new_customer_kernel",
    "_dert_kernel": "discounted_residual_purchases_kernel",
    "_survival_kernel": "survival_kernel",
    "_retention_kernel": "retention_rate_kernel",
    "_residual_lifetime_kernel": "discounted_expected_residual_lifetime_kernel",
    "_lifetime_kernel": "discounted_expected_lifetime_kernel",
}


def kernel(function: Callable[..., Any]) -> Any:
    """Return ``function`` as a staticmethod, to declare it as a kernel of a model class.

    Examples
    --------
    >>> import numpy as np
    >>> class Toy:
    ...     _new_customer_kernel = kernel(lambda params, t: params[0] * np.asarray(t))
    >>> Toy._new_customer_kernel(np.array([2.0]), 3).item()
    6.0
    """
    return staticmethod(function)


def declare_kernels(
    cls: type,
    sources: Iterable[ModuleType | Mapping[str, Any]],
    options: Mapping[str, Any] | None = None,
) -> None:
    """Set the hooks of ``cls`` from the house-named functions of ``sources``.

    ``sources`` are modules or namespaces (``globals()`` for kernels defined beside the
    class); ``options`` are keyword arguments bound to every kernel (e.g. ``modified=True``
    for the modified variant of a family). A hook written in the class body as well, or a
    name two sources define differently, is an error: a declaration is never silently overridden.

    Examples
    --------
    >>> import numpy as np
    >>> def probability_alive_kernel(params, x, *, scale=1.0):
    ...     return scale * np.ones_like(x)
    >>> class Toy:
    ...     pass
    >>> declare_kernels(Toy, [{"probability_alive_kernel": probability_alive_kernel}],
    ...                 {"scale": 0.5})
    >>> Toy._alive_kernel(None, np.zeros(2)).tolist()
    [0.5, 0.5]
    """
    found: dict[str, Any] = {}
    for source in sources:
        names = vars(source) if isinstance(source, ModuleType) else source
        for hook, name in KERNEL_NAMES.items():
            if name not in names:
                continue
            if found.get(hook, names[name]) is not names[name]:
                raise TypeError(f"{cls.__name__}: two kernels sources define {name}")
            if hook in vars(cls):
                raise TypeError(f"{cls.__name__} declares {hook} and also takes {name}")
            found[hook] = names[name]
    for hook, function in found.items():
        setattr(cls, hook, kernel(partial(function, **options) if options else function))
