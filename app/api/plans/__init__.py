"""`/api/v1/plans`: plan versions, their lifecycle, exports, diffs and the governing version."""
