"""Server-rendered pages for the user groups (home; later: plans, statements, audit)."""
