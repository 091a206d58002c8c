"""How an error message shows what was wrong: a value, a few offending ids, the closest name."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["N_EXAMPLES", "closest", "describe", "offending_ids"]


#: How many offending ids an error message shows.
N_EXAMPLES = 5


def closest(name: str, candidates: Sequence[str]) -> str:
    """Return " Did you mean 'x'?" for the closest candidate, or "" when none is close."""
    match = difflib.get_close_matches(name, candidates, n=1, cutoff=0.5)
    if not match:
        lowered = {c.lower(): c for c in candidates}
        if name.lower() in lowered:
            match = [lowered[name.lower()]]
    return f" Did you mean {match[0]!r}?" if match else ""


def offending_ids(ids: Any, mask: np.ndarray) -> list[object]:
    """Return the first `N_EXAMPLES` ids where ``mask`` is true, as plain Python values."""
    values = np.asarray(ids)[np.asarray(mask, dtype=bool)][:N_EXAMPLES]
    return [v.item() if hasattr(v, "item") else v for v in values]


def describe(value: Any) -> str:
    """Return ``value``'s repr (cut at 60 characters) and its type name, for a message."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"
