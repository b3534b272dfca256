"""A small TCP proxy the tests control (Toxiproxy is not packaged here): it sits between the store's client and
the central server on 127.0.0.1 and can drop a request before it reaches the server, drop the response after
the server has answered (the server committed, the client never hears), or delay what flows by some seconds
(past the client's timeout). It works on bytes, below HTTP: a dropped exchange is a connection closed in the
middle, as a network that fails does it."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

PASS = "pass"
DROP_REQUEST = "drop_request"    # the request never reaches the server
DROP_RESPONSE = "drop_response"  # the server gets the request and answers; the answer is lost
DELAY = "delay"                  # the response waits ``delay_s`` before it is passed on


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
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _server: asyncio.AbstractServer | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set(self, mode: str, *, times: int | None = None, delay_s: float = 0.0) -> None:
        self.mode, self.times, self.delay_s = mode, times, delay_s

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

        async def up() -> None:
            while data := await c_reader.read(65536):
                if self._disturb(DROP_REQUEST):
                    raise ConnectionAbortedError
                u_writer.write(data)
                await u_writer.drain()

        async def down() -> None:
            while data := await u_reader.read(65536):
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
