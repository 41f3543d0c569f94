"""Payout exceptions the deal desk files (waive a gate, override a split, adjust pay),
each estimated by the engine, routed by its impact and decided by vote."""
