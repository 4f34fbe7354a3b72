"""Where the event store lives: ``DATABASE_URL``, else an embedded PostgreSQL.

Both paths end in the same eventsourcing PostgreSQL module; there is no SQLite.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from api.settings import Settings

log = logging.getLogger(__name__)

# Connections beyond the command slots: health checks and, later, projections.
SPARE_CONNECTIONS = 2
# The library's recorder takes a table lock per insert; see store/recorder.py.
RECORDER_TOPICS = {
    "horizon": "store.recorder:HorizonRecorder",
    "table-lock": "store.requests:TableLockRecorder",
}


@contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Run a pgserver PostgreSQL in ``data_dir`` for the block; yield its URL.

    pgserver counts the processes using a data folder and stops the server
    when the last one leaves.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset, as on CI machines
        warnings.simplefilter("ignore")
        import pgserver  # noqa: PLC0415 - only needed without DATABASE_URL

    logging.getLogger("pgserver").setLevel(logging.WARNING)
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    _forget_dead_users(data_dir)
    log.info("starting embedded PostgreSQL in %s", data_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pgserver.get_server(data_dir, cleanup_mode="stop")  # type: ignore[attr-defined]
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


def _forget_dead_users(data_dir: Path) -> None:
    """Drop pids of crashed processes from pgserver's list of users.

    pgserver stops the server only when its list is empty; a process killed
    with SIGKILL never leaves it, and the server would then run forever.
    """
    handles = data_dir / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _is_alive(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """The URL of ``DATABASE_URL``, else of an embedded server kept for the block."""
    if settings.database_url:
        yield settings.database_url
        return
    with embedded_postgres(settings.data_dir) as url:
        yield url


def eventsourcing_env(url: str, settings: Settings) -> dict[str, str]:
    """The eventsourcing PostgreSQL environment for ``url``.

    The pool holds one connection per command slot plus spares, and waits only
    ``db_pool_timeout`` seconds: the library retries a pool timeout ten times,
    so its 30 s default would hang an overloaded service for five minutes.
    """
    info = conninfo_to_dict(url)
    return {
        "APPLICATION_RECORDER_TOPIC": RECORDER_TOPICS[settings.recorder],
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(info.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(info.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(info.get("port") or "5432"),
        "POSTGRES_USER": str(info.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(info.get("password") or ""),
        "POSTGRES_SCHEMA": settings.db_schema,
        "POSTGRES_POOL_SIZE": str(settings.db_workers),
        "POSTGRES_MAX_OVERFLOW": str(SPARE_CONNECTIONS),
        "POSTGRES_CONNECT_TIMEOUT": str(settings.db_pool_timeout),
        # No pre-ping (a round trip per checkout, two per command): a failed
        # connection makes the pool test its idle ones at once and the
        # library's recorders retry (store/connections.py).
        "POSTGRES_PRE_PING": "n",
        # A command reads only the events newer than the order it cached, and
        # works on a copy; what it saves is cached (domain/unit_of_work.py).
        # Another process's writes are read on the next load, and a version
        # conflict re-reads and retries.
        **(
            {
                "AGGREGATE_CACHE_MAXSIZE": str(settings.aggregate_cache),
                "AGGREGATE_CACHE_FASTFORWARD": "n",
            }
            if settings.aggregate_cache
            else {}
        ),
    }


def install_append_only(url: str, schema: str) -> None:
    """Triggers that refuse UPDATE, DELETE and TRUNCATE of stored events."""
    text = resources.files("api").joinpath("sql/append_only.sql").read_text()
    script = text.replace(":schema", sql.Identifier(schema).as_string())
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute(script)


def ensure_schema(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
        )
