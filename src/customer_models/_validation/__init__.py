"""Vectorized checks shared by every public entry point.

Each check raises a :mod:`customer_models.exceptions` error whose message names the column, the
rule, the number of offending rows and the first few offending ids. None of them mutates its
input. One module per concern: tables and columns (``_frames``), data rules over columns
(``_rules``), numeric parameters (``_numbers``), flags, strings and choices (``_options``),
tables of (name, value) pairs (``_pairs``), seeds (``_random``), the not-fitted check
(``_fitted``), label lists (``_labels``), one column of values (``_one_column``) and the
wording shared by their messages (``_messages``). Importers use this
package's names only.
"""

from __future__ import annotations

from customer_models._validation._fitted import check_fitted
from customer_models._validation._frames import (
    as_pandas,
    check_unique_columns,
    require_columns,
    sklearn_input,
)
from customer_models._validation._labels import check_labels
from customer_models._validation._messages import N_EXAMPLES
from customer_models._validation._numbers import check_number, check_numbers
from customer_models._validation._one_column import as_one_column
from customer_models._validation._options import check_bool, check_choice, check_str
from customer_models._validation._pairs import as_pairs
from customer_models._validation._random import as_generator, check_random_state
from customer_models._validation._rules import (
    check_finite,
    check_no_missing,
    check_non_negative,
    check_not_empty,
    check_rule,
    ensure_numeric,
)

__all__ = [
    "N_EXAMPLES",
    "as_generator",
    "as_one_column",
    "as_pairs",
    "as_pandas",
    "check_bool",
    "check_choice",
    "check_finite",
    "check_fitted",
    "check_labels",
    "check_no_missing",
    "check_non_negative",
    "check_not_empty",
    "check_number",
    "check_numbers",
    "check_random_state",
    "check_rule",
    "check_str",
    "check_unique_columns",
    "ensure_numeric",
    "require_columns",
    "sklearn_input",
]
