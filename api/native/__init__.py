"""The native API (SPEC §7): orders, audit and finance reads, RFC 9457 errors."""
