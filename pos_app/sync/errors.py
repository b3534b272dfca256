"""What can go wrong talking to central, as translated messages (``sync.*`` ids in the catalogues).

Each is a :class:`~pos_app.domain.errors.DomainError`: the CLI prints it and exits 2, the GUI shows it, the sync
state records its key and parameters as the last failure. Work at the counter is never blocked by any of them:
the events stay queued in the outbox."""

from __future__ import annotations

from pos_app.domain.errors import DomainError, StateError
from pos_app.domain.textparams import Count


class SyncError(DomainError):
    key = "sync.failed"


class Offline(SyncError):
    """Central cannot be reached (connection refused, DNS, timeout)."""

    key = "sync.offline"


class Revoked(SyncError):
    """Central revoked this device: it stops syncing until it is paired again."""

    key = "sync.revoked"


class ClockFarOff(SyncError):
    """The store's clock is more than the allowed skew off central's: says by how much and which way."""

    key = "sync.clock_far_off"

    def __init__(self, skew_ms: int) -> None:
        minutes = abs(skew_ms) // 60_000
        seconds = abs(skew_ms) // 1000 % 60
        super().__init__("sync.clock_ahead" if skew_ms < 0 else "sync.clock_behind",
                         minutes=Count(minutes), seconds=Count(seconds))
        self.skew_ms = skew_ms


class Refused(SyncError):
    """Central answered with an error this client cannot do anything about (the code says which)."""

    key = "sync.refused"


class NotPaired(StateError):
    key = "sync.not_paired"


class PairingRefused(SyncError):
    key = "sync.pairing_code"
