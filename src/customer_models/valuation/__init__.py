"""Buy-till-you-die valuation models fitted by maximum likelihood.

Each model is a small declaration on :class:`ValuationModel` (see ``_base.py``); the public
estimators are re-exported here and at the top level of :mod:`customer_models`.
"""

from __future__ import annotations

from customer_models.valuation._alive_at import probability_alive_at
from customer_models.valuation._base import ValuationModel
from customer_models.valuation._bdw import BetaDiscreteWeibullModel
from customer_models.valuation._bgbb import BetaGeoBetaBinomModel
from customer_models.valuation._bgbb_covariates import BetaGeoBetaBinomCovariateModel
from customer_models.valuation._bgnbd import BetaGeoModel
from customer_models.valuation._bgnbd_covariates import (
    BetaGeoCovariateModel,
    ModifiedBetaGeoCovariateModel,
)
from customer_models.valuation._checks import check_frequency_recency
from customer_models.valuation._clv import customer_lifetime_value
from customer_models.valuation._clv_distribution import value_distribution
from customer_models.valuation._cnbd import BetaGeoCNBDModel, ModifiedBetaGeoCNBDModel
from customer_models.valuation._convergence import ConvergenceReport
from customer_models.valuation._covariates import one_hot_covariates
from customer_models.valuation._gamma_gamma import GammaGammaModel
from customer_models.valuation._gamma_gamma_covariates import GammaGammaCovariateModel
from customer_models.valuation._ggompertz_nbd import GGompertzNBDModel
from customer_models.valuation._intervals import confidence_interval
from customer_models.valuation._io import load_model, model_from_json, model_to_json, save_model
from customer_models.valuation._mbgnbd import ModifiedBetaGeoModel
from customer_models.valuation._nbd import NegativeBinomialModel
from customer_models.valuation._outcome_intervals import prediction_interval
from customer_models.valuation._pareto_nbd import ParetoNBDModel
from customer_models.valuation._pareto_nbd_covariates import ParetoNBDCovariateModel
from customer_models.valuation._patterns import Patterns, compress_patterns
from customer_models.valuation._predictive import (
    next_purchase_cdf,
    next_purchase_quantile,
    purchase_distribution,
    purchase_pmf,
)
from customer_models.valuation._profile_likelihood import profile_likelihood_intervals
from customer_models.valuation._purchase import PurchaseModel
from customer_models.valuation._sbg import ShiftedBetaGeoModel
from customer_models.valuation._sbg_cohorts import CohortShiftedBetaGeoModel
from customer_models.valuation._sbg_covariates import ShiftedBetaGeoCovariateModel

__all__ = [
    "BetaDiscreteWeibullModel",
    "BetaGeoBetaBinomCovariateModel",
    "BetaGeoBetaBinomModel",
    "BetaGeoCNBDModel",
    "BetaGeoCovariateModel",
    "BetaGeoModel",
    "CohortShiftedBetaGeoModel",
    "ConvergenceReport",
    "GGompertzNBDModel",
    "GammaGammaCovariateModel",
    "GammaGammaModel",
    "ModifiedBetaGeoCNBDModel",
    "ModifiedBetaGeoCovariateModel",
    "ModifiedBetaGeoModel",
    "NegativeBinomialModel",
    "ParetoNBDCovariateModel",
    "ParetoNBDModel",
    "Patterns",
    "PurchaseModel",
    "ShiftedBetaGeoCovariateModel",
    "ShiftedBetaGeoModel",
    "ValuationModel",
    "check_frequency_recency",
    "compress_patterns",
    "confidence_interval",
    "customer_lifetime_value",
    "load_model",
    "model_from_json",
    "model_to_json",
    "next_purchase_cdf",
    "next_purchase_quantile",
    "one_hot_covariates",
    "prediction_interval",
    "probability_alive_at",
    "profile_likelihood_intervals",
    "purchase_distribution",
    "purchase_pmf",
    "save_model",
    "value_distribution",
]
