"""`/api/v1/payout-runs/<id>/...`: the close of a payout run (votes, tally, lock)."""
