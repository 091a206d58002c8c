"""Loyalty programs: tiers as data, rolling or calendar qualification, reviews, points.

``LoyaltyProgram(tiers, ...).tiers_at(transactions, as_of=...)`` returns one row per customer
(qualifying value, tier, points balance and expiry, what is needed for the next tier and the
reason for the tier); ``history(transactions, dates=...)`` returns tiers over time and the
migrations between them.
"""

from __future__ import annotations

from customer_models.loyalty._program import LoyaltyProgram, TierHistory

__all__ = ["LoyaltyProgram", "TierHistory"]
