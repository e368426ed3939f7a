"""The one exception services raise for bad user input: a list of Chinese messages."""


class ValidationError(Exception):
    """User input was rejected; nothing was written. ``messages`` are shown to the user as is."""

    def __init__(self, *messages: str, fields: dict[str, str] | None = None):
        self.fields = dict(fields or {})
        self.messages = [m for m in messages if m] + [m for m in self.fields.values() if m not in messages]
        super().__init__("; ".join(self.messages))
