"""Errors the stock ledger raises."""

from hilogistics.errors import DomainError


class InsufficientStockError(DomainError):
    """A movement would take a guarded balance below zero."""

    status_code = 409


class InvalidMovementError(DomainError):
    """A line is malformed: bad quantity, inactive item, lot of another item, missing expiry."""


class ReplayConflictError(DomainError):
    """An operation key already posted is sent again with other content."""

    status_code = 409
