"""The finance console: server-rendered pages under /console (SPEC §7, §8, §10)."""
