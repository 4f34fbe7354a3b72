"""Where a webhook may be sent: never to this network unless it is allowed.

A URL a client registers is fetched by the server, so it must not reach
loopback, private, link-local or other special addresses (SSRF), unless an
operator lists the host or its network in ``LEDGER_WEBHOOK_ALLOWED_HOSTS``
(the tests list ``127.0.0.1``). The address is checked when the endpoint is
registered and again before every delivery (a name may resolve elsewhere
later); redirects are never followed (sender.py).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MAX_URL = 2048
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TargetRefusedError(ValueError):
    """A webhook URL the ledger will not call."""


@dataclass(frozen=True)
class AllowedHosts:
    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = field(default=())

    @classmethod
    def parse(cls, text: str) -> AllowedHosts:
        """``"127.0.0.1, hooks.internal, 10.0.0.0/8"``: hosts and CIDRs."""
        hosts: set[str] = set()
        networks: list[Network] = []
        for entry in (part.strip() for part in text.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower())
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, host: str, address: Address | None = None) -> bool:
        if host.lower() in self.hosts:
            return True
        return address is not None and any(address in n for n in self.networks)


def _special(address: Address) -> bool:
    return not address.is_global or address.is_multicast


def check_url(url: str) -> tuple[str, int]:
    """The URL's host and port, if it is an absolute http(s) URL."""
    reason = None
    parts = urlsplit(url)
    if len(url) > MAX_URL:
        reason = f"the URL is longer than {MAX_URL} characters"
    elif parts.scheme not in {"http", "https"} or not parts.hostname:
        reason = "the URL must be an absolute http or https URL"
    elif parts.username or parts.password:
        reason = "the URL may not carry credentials"
    if reason is not None:
        raise TargetRefusedError(reason)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        reason = "the URL's port is not a number"
        raise TargetRefusedError(reason) from None
    return str(parts.hostname), port


def check_target(url: str, allowed: AllowedHosts, *, resolve: bool = True) -> None:
    """Raise TargetRefusedError unless every address ``url`` reaches may be called.

    A name that does not resolve passes here (it may later); the delivery
    checks it again and fails its attempt.
    """
    host, port = check_url(url)
    if allowed.allows(host):
        return
    try:
        literal: Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [literal] if literal else (_resolve(host, port) if resolve else [])
    for address in addresses:
        if _special(address) and not allowed.allows(host, address):
            reason = f"{host} is {address}, a private or local address"
            raise TargetRefusedError(reason)


def _resolve(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError:
        return []
    return [ipaddress.ip_address(info[4][0]) for info in infos]
