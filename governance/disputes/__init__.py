"""Disputes: a rep challenges a line of a locked statement; reviewers resolve it."""
