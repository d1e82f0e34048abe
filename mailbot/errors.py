"""The exception tree of mailbot, in one place.

Control-flow outcomes of the pipeline (ignored, duplicate, quarantined) are
values, not exceptions; these are for things that went wrong.
"""


class MailbotError(Exception):
    """Base class of every error mailbot raises on purpose."""


class OpsInputError(MailbotError):
    """Config, rules or templates written by ops are wrong.

    ``problems`` is a list of ``(file, line, message)``; ``line`` may be None
    when the position cannot be known.
    """

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.format_lines()))

    def format_lines(self):
        for file, line, message in self.problems:
            where = f"{file}:{line}" if line else str(file)
            yield f"{where}: {message}"


class ConfigError(OpsInputError):
    """The config file cannot be used."""


class RulesError(OpsInputError):
    """The rule files cannot be used; ``problems`` lists every reason."""


class TemplateError(OpsInputError):
    """A template does not load or render."""


class TemporaryFailure(MailbotError):
    """Try again later: the database or a server is unavailable."""


class AlreadyRunning(TemporaryFailure):
    """Another mailbot process holds the SQLite database (it serves one process)."""


class SendError(MailbotError):
    """An outbound mail could not be handed to the relay."""

    def __init__(self, message, permanent=False, relay=False):
        super().__init__(message)
        self.permanent = permanent
        # The relay itself failed (connect, TLS, login), not this mail.
        self.relay = relay


class Unavailable(MailbotError):
    """The database or a server cannot be reached, or refused us (a login, a port taken)."""


class BadInput(MailbotError):
    """What a command was given is not usable: not a mail, no such ticket, a refused change."""


class ParseError(MailbotError):
    """These bytes cannot be taken in as a mail; the pipeline quarantines them.

    ``reason`` is one of ``"empty"``, ``"not a mail"`` (no header field),
    ``"too deeply nested"`` or ``"internal"`` (a bug in this module, wrapped).
    """

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        super().__init__(f"{reason}: {detail}" if detail else reason)


class LeaseLost(MailbotError):
    """The lock connection failed: another process may hold the mailbox now."""


class LockConflict(MailbotError):
    """The database gave up a transaction to break a lock conflict: run it again."""


class EscalationRefused(MailbotError):
    """An escalation that cannot be made; ``reason`` says why, for whoever asked.

    Raised by ``mailbot.tickets.escalation``; the #command reply, the CLI and
    the SLA job each report the reason in their own way.
    """

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class MergeRefused(MailbotError):
    """A merge (``#fusionar``) or a split (``#separar``) that cannot be made; ``reason`` says why, in Spanish.

    Raised by ``mailbot.tickets.merge``, whoever asked: the #command reply
    sends the reason to the engineer, the CLI prints it and exits 65.
    """

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)
