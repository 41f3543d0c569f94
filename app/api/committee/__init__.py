"""`/api/v1`: committee votes, change-request impact and the approval rules."""
