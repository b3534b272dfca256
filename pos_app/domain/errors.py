"""Errors a user can cause. Each carries a message key and parameters; the edges translate them."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the user can cause. ``key`` names a message in ``pos_app.messages``."""

    key: str = "error.generic"
    exit_code: int = 2

    def __init__(self, key: str | None = None, **params: Any) -> None:
        if key is not None:
            self.key = key
        self.params: dict[str, Any] = params
        super().__init__(f"{self.key} {params}" if params else self.key)


class InvalidInput(DomainError):
    key = "error.invalid_input"


class NotFound(DomainError):
    key = "error.not_found"


class PermissionDenied(DomainError):
    key = "error.permission_denied"
    exit_code = 3


class AuthenticationFailed(PermissionDenied):
    key = "auth.failed"


class InsufficientFunds(DomainError):
    key = "wallet.insufficient"


class LimitExceeded(DomainError):
    key = "wallet.cap_exceeded"


class Conflict(DomainError):
    key = "error.conflict"


class StateError(DomainError):
    """The thing exists but is in a state that forbids the action (used, voided, refunded...)."""

    key = "error.state"
