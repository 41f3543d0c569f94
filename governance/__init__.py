"""The workflows people act in: permissions, plan versions, approvals, exceptions, disputes,
payout-run approval and the audit log.

Functions here take a SQLAlchemy `Session` and the acting user; they `flush()`, never
commit (the caller owns the transaction) and never import Flask or read a request.
"""
