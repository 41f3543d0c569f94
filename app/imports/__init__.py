"""Data in: section-3 JSON and CRM-style CSV files, validated by `rules.data`, upserted by key.

Public API:
- `import_data(session, payload, *, source="", progress=None) -> ImportReport`: one
  section-3 mapping (what the demo generator and the benchmarks call).
- `Batch` + `read_source(batch, content, name=..., kind=...)` + `import_batch(session,
  batch)`: several files (JSON or CSV) in one validation and one transaction.
Both raise `rules.problems.InvalidData` with every located problem and never commit.
"""

from app.imports.service import ImportReport, import_batch, import_data
from app.imports.sources import Batch, read_source

__all__ = ["Batch", "ImportReport", "import_batch", "import_data", "read_source"]
