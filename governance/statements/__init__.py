"""Statements over payout runs: who reads which, the drill-down to a line, exports."""
