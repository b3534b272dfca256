"""The sync wire protocol, shared by the store's client and the central server (docs/sync-protocol.md).

Standard library only: the store app imports it without the server's dependencies, and the central server
mirrors these shapes in its OpenAPI models. Everything on the wire is JSON; money in integer fen; times are
ISO 8601 UTC strings (``...Z``) or integer milliseconds since the epoch where named ``*_ms``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PROTOCOL_VERSION = 1

#: a request whose timestamp is further than this from the server's clock is refused (401 ``clock_skew``)
MAX_SKEW_MS = 5 * 60 * 1000

# ----------------------------------------------------------------------------- paths
PATH_PAIR = "/v1/pair"          # POST, unsigned: the one-time code is the proof
PATH_PING = "/v1/ping"          # GET, signed: server time, epoch, this device's standing
PATH_PUSH = "/v1/push"          # POST, signed: a batch of outbox events
PATH_PULL = "/v1/pull"          # GET, signed: changes after a cursor (?cursor=...&limit=N)
PATH_CONFLICTS = "/v1/conflicts"  # GET, signed: this store's conflicts; POST /v1/conflicts/{id}/note

#: the most events one push may carry (more: 413 ``batch_too_large``), the most changes one pull may ask for
PUSH_MAX = 1000
PULL_MAX = 5000

# ----------------------------------------------------------------------------- headers
H_DEVICE = "X-POS-Device"
H_TIMESTAMP = "X-POS-Timestamp"  # integer milliseconds since the epoch, client clock
H_NONCE = "X-POS-Nonce"          # 32 hex characters, never reused by a device within MAX_SKEW_MS * 2
H_SIGNATURE = "X-POS-Signature"  # hex HMAC-SHA256 of canonical(...) under the device secret

#: push results, one per event, in the order sent
ACCEPTED = "accepted"    # new: stored and applied on the server
EXISTS = "exists"        # the same event id with the same hash was stored before: success for the client
CONFLICT = "conflict"    # the same event id with a different hash: never overwritten; the client is told
REJECTED = "rejected"    # not this device's event, or malformed: the reason says which
PUSH_STATUSES = (ACCEPTED, EXISTS, CONFLICT, REJECTED)

#: change kinds served by pull (``Change.kind``); ``key`` identifies the thing within its kind
CHANGE_CAMPAIGN = "campaign"            # key: campaign code; data: the published rules (as campaign files hold)
CHANGE_GIFT = "gift"                    # key: sku; data: the catalogue entry
CHANGE_MEMBER = "member"                # key: member id; data: the member as registered (store_code says where)
CHANGE_WALLET = "wallet_entry"          # key: entry id; data: the entry with balances after, as its store wrote it
CHANGE_COUPON = "coupon_state"          # key: coupon code; data: {state, store_code, at, ...}
CHANGE_CONFLICT = "conflict"            # key: conflict id; data: the conflict as central recorded it
CHANGE_KINDS = (CHANGE_CAMPAIGN, CHANGE_GIFT, CHANGE_MEMBER, CHANGE_WALLET, CHANGE_COUPON, CHANGE_CONFLICT)


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical(method: str, path: str, timestamp_ms: int, nonce: str, body: bytes) -> bytes:
    """What a request's signature covers: method, path (with its query string, as sent), timestamp, nonce and
    the body's SHA-256, one per line."""
    return "\n".join((method.upper(), path, str(int(timestamp_ms)), nonce, body_digest(body))).encode()


def sign(secret: str, method: str, path: str, timestamp_ms: int, nonce: str, body: bytes) -> str:
    return hmac.new(bytes.fromhex(secret), canonical(method, path, timestamp_ms, nonce, body), hashlib.sha256).hexdigest()


def verify(secret: str, signature: str, method: str, path: str, timestamp_ms: int, nonce: str, body: bytes) -> bool:
    return hmac.compare_digest(sign(secret, method, path, timestamp_ms, nonce, body), signature)


def signed_headers(device_id: str, secret: str, method: str, path: str, body: bytes, now_ms: int) -> dict[str, str]:
    nonce = secrets.token_hex(16)
    return {
        H_DEVICE: device_id,
        H_TIMESTAMP: str(int(now_ms)),
        H_NONCE: nonce,
        H_SIGNATURE: sign(secret, method, path, now_ms, nonce, body),
    }


def new_secret() -> str:
    """A device secret: 32 random bytes, hex."""
    return secrets.token_hex(32)


def payload_hash(payload_json: str) -> str:
    """The outbox's hash of an event payload (sha256 of its JSON text, as stored)."""
    return hashlib.sha256(payload_json.encode()).hexdigest()


# ----------------------------------------------------------------------------- cursor
@dataclass(frozen=True)
class Cursor:
    """Where a store is in central's change feed: the server's epoch (a new one after a restore or
    re-initialisation forces a full re-pull) and the last change number applied."""

    epoch: str
    change_no: int

    def __str__(self) -> str:
        return f"{self.epoch}:{self.change_no}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """``None`` for an absent or malformed cursor (the server then serves from the start)."""
        if not text or ":" not in text:
            return None
        epoch, _, number = text.rpartition(":")
        if not epoch or not number.isdigit():
            return None
        return cls(epoch, int(number))
