"""The one error type of the condition language: a message and the column it points at."""

from __future__ import annotations


class ConditionError(ValueError):
    """A malformed or ill-typed `when` expression.

    `message` says what is wrong without the location, `position` is the 1-based column
    in `text`, so a loader can build a located `Problem(message=..., position=...)`.
    """

    def __init__(self, message: str, position: int, text: str = ""):
        self.message = message
        self.position = position
        self.text = text
        super().__init__(f"{message} at column {position}")
