"""deploy/: the compose file and manifests hold together, and the API and the
projector run as two processes against one PostgreSQL as compose wires them."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import psycopg
import yaml
from psycopg import sql

from api.keys import KeyStore, Role
from projections.finance_role import READ_MODEL_TABLES
from settlements.ddl import TABLES as SETTLEMENT_TABLES
from tests.e2e.conftest import LEDGER
from tests.e2e.test_serve import free_port, wait_until_live

DEPLOY = Path(__file__).parents[2] / "deploy"


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def manifests() -> list[dict]:
    return [
        doc
        for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def test_compose_wires_postgres_api_and_projector():
    services = compose()["services"]
    assert set(services) == {"postgres", "api", "projector"}
    for name in ("api", "projector"):
        service = services[name]
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert "healthcheck" in service
    assert "--no-projections" in services["api"]["command"]
    assert services["projector"]["command"] == ["ledger", "project"]
    assert "pgdata" in compose()["volumes"]


def test_kubernetes_manifests_have_probes_resources_and_secret_refs():
    docs = manifests()
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == ["ConfigMap", "Deployment", "Deployment", "Service"]
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        spec = deployment["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        [container] = spec["containers"]
        assert container["resources"]["requests"]
        assert "livenessProbe" in container
        [database] = [e for e in container["env"] if e["name"] == "DATABASE_URL"]
        assert database["valueFrom"]["secretKeyRef"]["name"] == "ledger-database"
        labels = deployment["spec"]["selector"]["matchLabels"]
        assert deployment["spec"]["template"]["metadata"]["labels"] == labels
    api = next(
        d
        for d in docs
        if d["metadata"]["name"] == "ledger-api" and d["kind"] == "Deployment"
    )
    assert "readinessProbe" in api["spec"]["template"]["spec"]["containers"][0]
    service = next(d for d in docs if d["kind"] == "Service")
    assert service["spec"]["selector"] == api["spec"]["selector"]["matchLabels"]


def test_the_finance_role_sql_grants_the_read_models_and_settlements():
    text = (DEPLOY / "sql" / "002_finance_role.sql").read_text()
    granted = set(
        re.findall(
            r"public\.(\w+)", text.split("GRANT SELECT ON", 1)[1].split("TO", 1)[0]
        )
    )
    assert granted == {*READ_MODEL_TABLES, *SETTLEMENT_TABLES}


def test_api_and_projector_as_two_processes(env, database_url, schema, tmp_path):
    services = compose()["services"]
    port = free_port()
    api_command = [LEDGER, *services["api"]["command"][1:]]
    api_command[api_command.index("--port") + 1] = str(port)
    api_command[api_command.index("--host") + 1] = "127.0.0.1"
    projector_command = [LEDGER, *services["projector"]["command"][1:]]
    log = tmp_path / "processes.log"
    with log.open("wb") as out:
        api = subprocess.Popen(api_command, env=env, stdout=out, stderr=out)  # noqa: S603
        projector = subprocess.Popen(projector_command, env=env, stdout=out, stderr=out)  # noqa: S603
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_live(base, api, log)
        keys = KeyStore(database_url, schema)
        _, key = keys.create("acme", Role.WRITER)
        keys.close()
        headers = {"Authorization": f"Bearer {key}"}
        body = {
            "order": {
                "currency": "NOK",
                "items": [
                    {"id": "1", "line_id": 1, "quantity": 1, "gross_amount": 500}
                ],
            }
        }
        draft = httpx.post(
            f"{base}/v1/accounts/acme/shopping/draft_orders", json=body, headers=headers
        )
        order = httpx.put(
            f"{base}/v1/accounts/acme/shopping/draft_orders/{draft.json()['id']}/complete",
            headers=headers,
        )
        order_id = order.json()["orders"][0]["id"]
        pay = {
            "items": [{"line_id": 1, "amount": 500}],
            "payment_details": {"payment_id": "P"},
        }
        assert (
            httpx.post(
                f"{base}/v1/accounts/acme/shopping/orders/{order_id}/authorizations",
                json=pay,
                headers=headers,
            ).status_code
            == 200
        )
        query = sql.SQL("SELECT count(*) FROM {}").format(
            sql.Identifier(schema, "journal")
        )
        deadline, rows = time.monotonic() + 30, 0
        while rows == 0 and time.monotonic() < deadline:
            try:
                with psycopg.connect(database_url) as conn:
                    rows = conn.execute(query).fetchone()[0]
            except psycopg.errors.UndefinedTable:
                pass
            time.sleep(0.1)  # the projector is another process: poll, bounded
        assert rows == 1, log.read_text()
    finally:
        for process in (api, projector):
            process.send_signal(signal.SIGTERM)
        assert api.wait(timeout=60) == 0
        assert projector.wait(timeout=60) == 0
