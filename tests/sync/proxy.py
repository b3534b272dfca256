"""A small TCP proxy the tests control (Toxiproxy is not packaged here): it sits between the store's client and
the central server on 127.0.0.1 and can drop a request before it reaches the server, drop the response after
the server has answered (the server committed, the client never hears), or delay what flows by some seconds
(past the client's timeout). It works on bytes, below HTTP: a dropped exchange is a connection closed in the
middle, as a network that fails does it.

For the tests that kill a client or race two of them, it also sees where each HTTP exchange starts (a request
line at the start of what the client sends; the client waits for each answer before its next request, so every
request starts a read) and keeps each exchange's request line and response bytes (:attr:`Proxy.exchanges`).
It can hold one exchange half way (:meth:`Proxy.hold`: the n-th request whose line starts with a prefix stops
after half of its first bytes reached the server, or its response stops before any byte reaches the client;
:attr:`Proxy.holding` is set then, and :meth:`Proxy.release` closes that exchange's connection), and it can
make matching requests wait for each other (:meth:`Proxy.barrier`: they reach the server together)."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any

PASS = "pass"
DROP_REQUEST = "drop_request"    # the request never reaches the server
DROP_RESPONSE = "drop_response"  # the server gets the request and answers; the answer is lost
DELAY = "delay"                  # the response waits ``delay_s`` before it is passed on

HOLD_REQUEST = "request"    # half of the request's first bytes reach the server, the rest never does
HOLD_RESPONSE = "response"  # the server answered (it committed); no byte of the answer reaches the client

_METHODS = (b"GET ", b"POST ", b"PUT ", b"PATCH ", b"DELETE ", b"HEAD ", b"OPTIONS ")


@dataclass
class Exchange:
    """One HTTP request through the proxy: its request line and the bytes the server answered."""

    request_line: str
    response: bytearray = field(default_factory=bytearray)

    def json(self) -> Any:
        """The response's JSON body (Content-Length or chunked), or None when no whole answer passed."""
        head, sep, body = bytes(self.response).partition(b"\r\n\r\n")
        if not sep:
            return None
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (line.partition(b":") for line in head.split(b"\r\n")[1:])}
        if headers.get(b"transfer-encoding") == b"chunked":
            out, rest = bytearray(), body
            while rest:
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    break
                out += rest[:size]
                rest = rest[size + 2:]
            body = bytes(out)
        elif b"content-length" in headers:
            length = int(headers[b"content-length"])
            if len(body) < length:
                return None
            body = body[:length]
        return json.loads(body) if body else None


@dataclass
class Proxy:
    upstream_host: str
    upstream_port: int
    mode: str = PASS
    delay_s: float = 0.0
    #: how many exchanges to disturb before passing again (None: until the mode is set back)
    times: int | None = None
    port: int = 0
    dropped: int = 0
    #: every exchange so far, in the order the requests started
    exchanges: list[Exchange] = field(default_factory=list)
    #: set once the held exchange is held (:meth:`hold`)
    holding: threading.Event = field(default_factory=threading.Event)
    #: matching requests that waited longer than the barrier's timeout (then they went on alone)
    barrier_timeouts: int = 0
    _hold: tuple[str, str, int] | None = field(default=None, repr=False)
    _matched: int = field(default=0, repr=False)
    _released: asyncio.Event | None = field(default=None, repr=False)
    _barrier: tuple[str, int, float] | None = field(default=None, repr=False)
    _arrived: int = field(default=0, repr=False)
    _gate: asyncio.Event | None = field(default=None, repr=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _server: asyncio.AbstractServer | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set(self, mode: str, *, times: int | None = None, delay_s: float = 0.0) -> None:
        self.mode, self.times, self.delay_s = mode, times, delay_s

    def hold(self, what: str, prefix: str, nth: int = 1) -> None:
        """Hold the ``nth`` exchange (from now) whose request line starts with ``prefix`` (``"POST /v1/push"``):
        ``HOLD_REQUEST`` or ``HOLD_RESPONSE``. It stays held until :meth:`release`."""
        self.holding.clear()
        self._matched = 0
        self._released = asyncio.Event()  # bound to the proxy's loop when first awaited there
        self._hold = (what, prefix, nth)

    def release(self) -> None:
        """End the held exchange: its connection is closed (what was held never passes)."""
        self._hold = None
        if self._loop is not None and self._released is not None:
            self._loop.call_soon_threadsafe(self._released.set)

    def barrier(self, prefix: str, parties: int = 2, timeout_s: float = 60.0) -> None:
        """Requests whose line starts with ``prefix`` wait until ``parties`` of them are waiting, then all go on
        at once (after ``timeout_s`` a waiting one goes on alone, counted in :attr:`barrier_timeouts`)."""
        self._arrived = 0
        self._barrier = (prefix, parties, timeout_s)

    async def _wait_for_release(self) -> None:
        assert self._released is not None
        self.holding.set()
        await self._released.wait()
        raise ConnectionAbortedError

    async def _meet(self) -> None:
        assert self._barrier is not None and self._gate is not None
        _, parties, timeout_s = self._barrier
        gate = self._gate
        self._arrived += 1
        if self._arrived >= parties:
            self._arrived = 0
            self._gate = asyncio.Event()
            gate.set()
            return
        try:
            await asyncio.wait_for(gate.wait(), timeout_s)
        except TimeoutError:
            self.barrier_timeouts += 1
            self._arrived = max(0, self._arrived - 1)

    def _disturb(self, mode: str) -> bool:
        if self.mode != mode:
            return False
        if self.times is not None:
            if self.times <= 0:
                self.mode = PASS
                return False
            self.times -= 1
        self.dropped += 1
        return True

    # ------------------------------------------------------------------ the loop in its own thread
    def start(self) -> Proxy:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            self._released = asyncio.Event()
            self._gate = asyncio.Event()
            self._server = loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            self._server.close()
            loop.run_until_complete(self._server.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the proxy did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    async def _client(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        try:
            u_reader, u_writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        except OSError:
            c_writer.close()
            return

        current: list[Exchange | None] = [None]
        held_response: list[Exchange | None] = [None]

        async def up() -> None:
            while data := await c_reader.read(65536):
                if data.startswith(_METHODS):
                    ex = Exchange(data.split(b"\r\n", 1)[0].decode("latin-1"))
                    self.exchanges.append(ex)
                    current[0] = ex
                    if self._barrier is not None and ex.request_line.startswith(self._barrier[0]):
                        await self._meet()
                    hold = self._hold
                    if hold is not None and ex.request_line.startswith(hold[1]):
                        self._matched += 1
                        if self._matched == hold[2] and hold[0] == HOLD_REQUEST:
                            u_writer.write(data[: len(data) // 2])
                            await u_writer.drain()
                            await self._wait_for_release()
                        elif self._matched == hold[2]:
                            held_response[0] = ex
                if self._disturb(DROP_REQUEST):
                    raise ConnectionAbortedError
                u_writer.write(data)
                await u_writer.drain()

        async def down() -> None:
            while data := await u_reader.read(65536):
                if held_response[0] is not None and held_response[0] is current[0]:
                    await self._wait_for_release()
                if current[0] is not None:
                    current[0].response += data
                if self._disturb(DROP_RESPONSE):
                    raise ConnectionAbortedError
                if self.mode == DELAY and self.delay_s:
                    await asyncio.sleep(self.delay_s)
                c_writer.write(data)
                await c_writer.drain()

        tasks = [asyncio.ensure_future(up()), asyncio.ensure_future(down())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            for w in (c_writer, u_writer):
                w.close()
