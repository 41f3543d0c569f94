"""The kinds of background job, by name (a new kind: a module with a `KIND`, added here)."""

from app.background import exports, imports
from app.background.kind import Kind

KINDS: dict[str, Kind] = {kind.name: kind for kind in (imports.KIND, exports.KIND)}
