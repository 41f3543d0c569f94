"""Data in: section-3 JSON and CRM-style CSV files, validated by `rules.data`, upserted by
key in one transaction (docs/imports.md)."""
