"""The committee: its approval rules (versioned, themselves voted on) and the one ballot
every vote goes through (plan versions, approval rules, exceptions, payout runs)."""
