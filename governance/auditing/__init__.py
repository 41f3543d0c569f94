"""What auditors read beyond the chain itself: the log page, exports, data-change records."""
