"""The HTTP ceiling of this stack: validate a small body, one INSERT + COMMIT.

``uvicorn --factory tests.bench.ceiling_app:create --workers N`` with
``DATABASE_URL`` set; served the way ``ledger serve`` serves the ledger.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, Field, StrictInt


class Row(BaseModel):
    ref: str = Field(min_length=1, max_length=100)
    amount: StrictInt


def create() -> FastAPI:
    pool = ConnectionPool(os.environ["DATABASE_URL"], min_size=8, max_size=8, open=True)
    app = FastAPI()

    @app.get("/live")
    async def live() -> dict[str, str]:  # as the ledger's /health/live
        return {"status": "ok"}

    @app.post("/ceiling")
    def insert(row: Row) -> dict[str, str]:
        with pool.connection() as conn:
            conn.execute(
                "INSERT INTO bench_ceiling (ref, amount) VALUES (%s, %s)",
                (row.ref, row.amount),
            )
        return {"status": "ok"}

    return app
