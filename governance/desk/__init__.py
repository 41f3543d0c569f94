"""The deal desk's look-ups: find deals and participants, a deal's lines, its plans' rules."""
