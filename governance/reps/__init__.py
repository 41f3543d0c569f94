"""A rep's own view of their pay: where they stand now (`standing`) and what a deal they
have not closed yet would pay (`estimate`). Reads only: nothing here writes or audits."""
