"""Payout runs and the close: build a period over the database in batches, the committee
approves it, a comp admin locks it; later changes are paid as prior-period adjustments."""
