"""A refusal with a stable code and a translated message, for the services whose refusals are
one reason each (payments, the check-in). bookings.errors has its own: a request can break
several rules at once."""


class CodedError(Exception):
    """Raise a subclass with a code of its MESSAGES (and the message's parameters); nothing
    was written. `message` is the text in the active language."""

    MESSAGES: dict = {}
    # What the error is about, for the message of an unknown code ("payment", "check-in").
    subject = "error"

    def __init__(self, code: str, **params):
        if code not in self.MESSAGES:
            raise ValueError(f"unknown {self.subject} error code {code!r}")
        self.code = code
        self.params = params
        super().__init__(code)

    @property
    def message(self) -> str:
        text = str(self.MESSAGES[self.code])
        return text % self.params if self.params else text

    def __str__(self):
        return f"{self.code}: {self.message}"
