"""Every accepted connection has TCP_NODELAY, with two workers too (issue 15).

Without it each small answer on a kept-alive connection waits ~40 ms for the
client's delayed ACK. The option is read from the worker's own socket (a
duplicate of its file descriptor, by ``pidfd_getfd``), not inferred from a
timing.
"""

from __future__ import annotations

import ctypes
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import uvicorn

from api.app import create_app
from api.serving import HTTP_PROTOCOL
from api.settings import Settings
from tests.e2e.test_serve import free_port, wait_until_live

SYS_PIDFD_GETFD = 438  # the same number on x86_64 and aarch64


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def socket_inode(local_port: int, remote_port: int) -> int:
    """The inode of the server side of a loopback connection, from /proc/net/tcp."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], int(fields[9])
        if int(local.split(":")[1], 16) == local_port and (
            int(remote.split(":")[1], 16) == remote_port
        ):
            return inode
    pytest.fail(f"no connection {local_port} <- {remote_port} in /proc/net/tcp")


def borrowed_socket(pid: int, inode: int) -> socket.socket | None:
    """A duplicate of ``pid``'s descriptor for socket ``inode``, if it holds one."""
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = str(entry.readlink())
        except OSError:
            continue
        if target == f"socket:[{inode}]":
            libc = ctypes.CDLL(None, use_errno=True)
            pidfd = os.pidfd_open(pid)
            try:
                duplicate = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(entry.name), 0)
            finally:
                os.close(pidfd)
            if duplicate < 0:
                pytest.fail(f"pidfd_getfd: {os.strerror(ctypes.get_errno())}")
            return socket.socket(fileno=duplicate)
    return None


def test_accepted_connections_have_tcp_nodelay_with_two_workers(
    database_url: str, schema: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "LEDGER_DB_SCHEMA": schema}
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603
            [str(Path(sys.executable).with_name("ledger")), "serve", "--port",
             str(port), "--workers", "2", "--no-projections"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until_live(f"http://127.0.0.1:{port}", server, log)
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(b"GET /health/live HTTP/1.1\r\nHost: t\r\n\r\n")
            assert b"200 OK" in client.recv(4096)  # answered: the worker holds it
            inode = socket_inode(port, client.getsockname()[1])
            held = [
                s for pid in children(server.pid) if (s := borrowed_socket(pid, inode))
            ]
            assert len(held) == 1, "exactly one worker holds the connection"
            with held[0] as accepted:
                nodelay = accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            assert nodelay == 1
    finally:
        server.terminate()
        server.wait(timeout=60)


def _nodelay_of_an_answered_connection(http: str) -> int:
    """Serve with ``http`` on asyncio's loop from a socket bound with protocol 0.

    That is how uvicorn binds for several workers; asyncio then leaves
    ``TCP_NODELAY`` off, and uvloop (which sets it everywhere) is not used, so
    only the protocol class can set it.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    app = create_app(Settings())
    config = uvicorn.Config(
        app, loop="asyncio", http=http, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]})
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
            client.sendall(b"GET /health/live HTTP/1.1\r\nHost: t\r\n\r\n")
            assert b"200 OK" in client.recv(4096)
            inode = socket_inode(port, client.getsockname()[1])
            accepted = borrowed_socket(os.getpid(), inode)
            assert accepted is not None
            with accepted:
                return accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


def test_the_ledgers_protocol_sets_tcp_nodelay_where_asyncio_does_not() -> None:
    assert _nodelay_of_an_answered_connection(HTTP_PROTOCOL) == 1
    # The control: uvicorn's own protocol leaves it off there (the stall).
    assert _nodelay_of_an_answered_connection("httptools") == 0
