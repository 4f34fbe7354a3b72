"""The HTTP protocol ``ledger serve`` runs: uvicorn's, with Nagle's algorithm off.

With more than one worker, uvicorn binds the listening socket itself with
protocol 0, so asyncio does not recognise the accepted sockets as TCP and
never sets ``TCP_NODELAY`` on them (it does with one worker). uvicorn writes
an answer's head and body in two ``send()`` calls; with Nagle on, the second
waits for the client's delayed ACK, about 40 ms, on every answer of a
kept-alive connection. Setting the option on each accepted connection removes
the stall for any worker count.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


HTTP_PROTOCOL = f"{__name__}:{NoDelayHTTPProtocol.__name__}"
