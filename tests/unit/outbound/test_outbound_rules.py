"""Pure rules of the outbound package: targets, cursors, event types."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outbound.endpoints import EndpointError, check_events, new_secret
from outbound.events import EVENT_TYPES
from outbound.feed import CursorError, decode_cursor, encode_cursor
from outbound.targets import AllowedHosts, TargetRefusedError, check_target


class TestTargets:
    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1/x",
            "http://10.0.0.1/x",
            "http://172.16.0.1/x",
            "http://192.168.0.1/x",
            "http://169.254.169.254/x",
            "http://[::1]/x",
            "http://[fe80::1]/x",
            "http://0.0.0.0/x",
            "http://224.0.0.1/x",
            "https://100.64.0.1/x",
        ],
    )
    def test_addresses_that_are_not_public_are_refused(self, url):
        with pytest.raises(TargetRefusedError):
            check_target(url, AllowedHosts())

    @pytest.mark.parametrize(
        "url", ["ftp://8.8.8.8/x", "file:///etc/passwd", "http://u:p@8.8.8.8/x", "x"]
    )
    def test_only_plain_http_urls(self, url):
        with pytest.raises(TargetRefusedError):
            check_target(url, AllowedHosts())

    def test_public_addresses_pass(self):
        check_target("https://8.8.8.8/hook", AllowedHosts())

    def test_listed_hosts_and_networks_pass(self):
        allowed = AllowedHosts.parse("127.0.0.1, hooks.internal, 10.0.0.0/8")
        assert allowed.hosts == {"hooks.internal"}
        assert ipaddress.ip_network("10.0.0.0/8") in allowed.networks
        check_target("http://127.0.0.1:8080/x", allowed)
        check_target("http://10.9.8.7/x", allowed)
        check_target("http://HOOKS.internal/x", allowed, resolve=False)
        with pytest.raises(TargetRefusedError):
            check_target("http://127.0.0.2/x", allowed)


class TestCursor:
    @given(st.dictionaries(st.integers(0, 63), st.integers(0, 2**62), max_size=4))
    def test_a_cursor_reads_back(self, positions):
        assert decode_cursor(encode_cursor(positions)) == positions

    @pytest.mark.parametrize("text", ["!!", "MTox", "LTE6MQ", "YTpi"])
    def test_garbage_is_refused(self, text):
        with pytest.raises(CursorError):
            decode_cursor(text + "@")


class TestEventTypes:
    def test_the_order_events_are_the_types(self):
        assert {"Opened", "Captured", "Refunded", "OrderReplaced"} <= EVENT_TYPES
        assert "Event" not in EVENT_TYPES
        assert "MoneyEvent" not in EVENT_TYPES

    def test_unknown_or_no_types_are_refused(self):
        assert check_events(["Captured", "Captured", "*"]) == ("Captured", "*")
        with pytest.raises(EndpointError):
            check_events(["Capturd"])
        with pytest.raises(EndpointError):
            check_events([])

    def test_a_secret_is_standard_webhooks_shape(self):
        secret = new_secret()
        assert secret.startswith("whsec_")
        assert len(secret) > 40
        assert new_secret() != secret
