"""Deal-desk payout exceptions: /api/v1/exceptions."""
