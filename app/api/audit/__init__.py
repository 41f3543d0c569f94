"""`/api/v1/audit`: the hash-chained audit log for auditors (list, export, verify)."""
