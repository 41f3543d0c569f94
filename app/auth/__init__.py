"""Identity: login pages, sessions, API tokens and permission checks."""
