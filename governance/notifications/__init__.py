"""Inbox and notifications: what waits for a user, and telling them about it.

`events` (recorded beside the audit record of a change), `subjects` (what an event or an
inbox item is about, and where it is shown), `inbox` (what waits for a user), `outbox`
(fanning an event out to deliveries, claiming and finishing them), `messages` (texts,
JSON and Slack payloads, signatures), `channels` (SMTP and HTTP), `preferences`
(per-user e-mail choices, admin webhooks). docs/notifications.md.
"""
