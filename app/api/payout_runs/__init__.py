"""`/api/v1/payout-runs`: start a payout run, list runs, read one and its lines."""
