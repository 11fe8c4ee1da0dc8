"""The domain: plain functions shared by the views, the API, the CLI and the tests.

Services validate, write, record audit entries and ``flush()``; they never commit.
The caller (a view, a CLI command) commits once, or rolls back on any error.
"""


class DomainError(Exception):
    """A rule of the network was broken; ``str(error)`` is a message fit for the user."""


class NotAllowed(DomainError):
    """The acting user or organization may not do this (their role or status forbids it)."""
