"""The store's HTTP client for central (docs/sync-protocol.md): signed requests, timeouts, clock skew.

Every request but pairing is signed with the device secret (``protocol.signed_headers``: method, path with its
query as sent, timestamp, nonce, body digest). Every answer carries ``X-POS-Server-Time``; the client measures
its clock skew from it (server time less the middle of the request's send and receive times), keeps the last
value in :attr:`CentralClient.skew_ms`, and never orders anything by its own clock. Failures come out as the
translated errors of ``pos_app.sync.errors``: offline (no answer within the timeout), revoked, the store's clock
far off (saying how far), or refused with central's error code.

Every client of the process shares one TLS context (:func:`tls_context`, httpx's defaults): building one reads
the CA bundle, which costs tens of milliseconds, and the app makes a new client for each round."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from pos_app.sync import protocol
from pos_app.sync.errors import ClockFarOff, Offline, PairingRefused, Refused, Revoked

SERVER_TIME = "X-POS-Server-Time"
DEFAULT_TIMEOUT_S = 10.0


def wall_ms() -> int:
    return int(time.time() * 1000)


_tls: ssl.SSLContext | None = None
_tls_lock = threading.Lock()


def tls_context() -> ssl.SSLContext:
    """The process's one TLS context for talking to central (``httpx.create_ssl_context()``: certificates
    verified against httpx's CA bundle), made on first use."""
    global _tls
    with _tls_lock:
        if _tls is None:
            _tls = httpx.create_ssl_context()
        return _tls


class CentralClient:
    def __init__(
        self,
        server_url: str,
        *,
        device_id: str | None = None,
        secret: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock_ms: Callable[[], int] = wall_ms,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.device_id = device_id
        self.secret = secret
        self.clock_ms = clock_ms
        self.skew_ms: int | None = None
        #: the server's time (ms) of the last answer
        self.server_time_ms: int | None = None
        self._http = httpx.Client(timeout=httpx.Timeout(timeout_s), transport=transport, verify=tls_context())

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ calls
    def pair(self, code: str, *, device_id: str, store_code: str, device_name: str) -> dict[str, Any]:
        return _obj(self._call("POST", protocol.PATH_PAIR, body={
            "code": code, "device_id": device_id, "store_code": store_code, "device_name": device_name,
        }, signed=False))

    def ping(self) -> dict[str, Any]:
        return _obj(self._call("GET", protocol.PATH_PING))

    def push(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        return _obj(self._call("POST", protocol.PATH_PUSH, body={"events": events}))

    def pull(self, cursor: str | None, limit: int) -> dict[str, Any]:
        query: dict[str, str] = {"limit": str(limit)}
        if cursor:
            query["cursor"] = cursor
        return _obj(self._call("GET", protocol.PATH_PULL, query=query))

    def conflicts(self) -> list[dict[str, Any]]:
        got = self._call("GET", protocol.PATH_CONFLICTS)
        items = got.get("conflicts", got) if isinstance(got, dict) else got
        return list(items) if isinstance(items, list) else []

    def note_conflict(self, conflict_id: str, note: str) -> dict[str, Any]:
        return _obj(self._call("POST", f"{protocol.PATH_CONFLICTS}/{quote(str(conflict_id), safe='')}/note",
                               body={"note": note}))

    # ------------------------------------------------------------------ the one request path
    def _call(
        self, method: str, path: str, *, body: Mapping[str, Any] | None = None, query: Mapping[str, str] | None = None,
        signed: bool = True,
    ) -> Any:
        raw = b"" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        full = path + ("?" + "&".join(f"{k}={quote(v, safe=':')}" for k, v in query.items()) if query else "")
        headers = {"Content-Type": "application/json"} if body is not None else {}
        sent = self.clock_ms()
        if signed:
            if not self.device_id or not self.secret:
                raise Refused("sync.refused", code="not_paired", status=0)
            headers.update(protocol.signed_headers(self.device_id, self.secret, method, full, raw, sent))
        try:
            resp = self._http.request(method, self.server_url + full, content=raw or None, headers=headers)
        except httpx.TransportError as exc:  # refused, reset, DNS, timeout: no answer
            raise Offline(url=self.server_url, detail=type(exc).__name__) from exc
        received = self.clock_ms()
        server_ms = _int(resp.headers.get(SERVER_TIME))
        data: Any = None
        try:
            data = resp.json()
        except ValueError:
            data = None
        if server_ms is None and isinstance(data, dict):
            server_ms = _time_ms(data.get("server_time"))
        if server_ms is not None:
            self.server_time_ms = server_ms
            self.skew_ms = server_ms - (sent + received) // 2
        if resp.status_code < 300:
            return data if data is not None else {}
        code = str(data.get("error")) if isinstance(data, dict) and data.get("error") else f"http_{resp.status_code}"
        if code == "revoked":
            raise Revoked()
        if code == "clock_skew":
            raise ClockFarOff(self.skew_ms if self.skew_ms is not None else 0)
        if code == "pairing_code":
            raise PairingRefused()
        if resp.status_code >= 500:
            raise Offline("sync.server_error", url=self.server_url, detail=str(resp.status_code))
        raise Refused("sync.refused", code=code, status=resp.status_code)


def _obj(data: Any) -> dict[str, Any]:
    """An answer that must be a JSON object (anything else: central is not speaking this protocol)."""
    if not isinstance(data, dict):
        raise Refused("sync.refused", code="not_an_object", status=200)
    return data


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _time_ms(value: Any) -> int | None:
    """``server_time`` in a body: milliseconds, or an ISO 8601 UTC string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        from datetime import datetime  # noqa: PLC0415

        try:
            return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError:
            return None
    return None
