"""Errors a user can cause. Each carries a message key and parameters; the edges translate them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from pos_app.domain.textparams import Money, Term


def as_money(value: Any) -> Any:
    """A raw int of fen becomes :class:`Money`; anything else (already typed, a text) is kept."""
    return Money(value) if isinstance(value, int) and not isinstance(value, bool) else value


def as_role(value: Any) -> Any:
    """A role code (``cashier``) becomes the :class:`Term` naming it in a sentence."""
    return Term(f"term.role.{value}", value) if isinstance(value, str) else value


class DomainError(Exception):
    """Base of every error the user can cause. ``key`` names a message id of the catalogues (pos_app/locale);
    ``params`` fill its placeholders and are shown by their type (``domain.textparams``). A subclass whose
    parameters always mean the same thing declares their types once in ``param_types``."""

    key: str = "error.generic"
    exit_code: int = 2
    param_types: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}

    def __init__(self, key: str | None = None, **params: Any) -> None:
        if key is not None:
            self.key = key
        for name, wrap in self.param_types.items():
            if name in params:
                params[name] = wrap(params[name])
        self.params: dict[str, Any] = params
        super().__init__(f"{self.key} {params}" if params else self.key)


class InvalidInput(DomainError):
    key = "error.invalid_input"


class NotFound(DomainError):
    key = "error.not_found"


class PermissionDenied(DomainError):
    key = "error.permission_denied"
    exit_code = 3
    param_types = {"role": as_role}


class AuthenticationFailed(PermissionDenied):
    key = "auth.failed"


class InsufficientFunds(DomainError):
    key = "wallet.insufficient"
    param_types = {"amount": as_money, "balance": as_money}


class LimitExceeded(DomainError):
    key = "wallet.cap_exceeded"
    param_types = {"after": as_money, "cap": as_money, "balance": as_money, "room": as_money}


class Conflict(DomainError):
    key = "error.conflict"


class StateError(DomainError):
    """The thing exists but is in a state that forbids the action (used, voided, refunded...)."""

    key = "error.state"
