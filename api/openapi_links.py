"""OpenAPI links for the main flows, so a client (or a fuzzer) can follow them.

An answer names the requests it makes possible: a Riverty authorize leads to
the order's read, captures, refunds, voids and update; a Dintero draft to its
completion, the completed order to its operations. Schemathesis' stateful
tests walk these links (tests/e2e/test_fuzz.py).
"""

from __future__ import annotations

from typing import Any, Final

RIVERTY_ORDER: Final = "/api/v3/orders/{orderNumber}"
DINTERO: Final = "/v1/accounts/{aid}/shopping"
DINTERO_ORDER: Final = f"{DINTERO}/orders/{{order_id}}"

# (method, path, status) -> {link name: (method, path, parameters)}
Link = tuple[str, str, dict[str, str]]
LINKS: Final[dict[tuple[str, str, str], dict[str, Link]]] = {
    ("post", "/api/v3/checkout/authorize", "200"): {
        name: (method, path, {"orderNumber": "$request.body#/order/number"})
        for name, method, path in (
            ("ReadOrder", "get", RIVERTY_ORDER),
            ("Capture", "post", f"{RIVERTY_ORDER}/captures"),
            ("Refund", "post", f"{RIVERTY_ORDER}/refunds"),
            ("Void", "post", f"{RIVERTY_ORDER}/voids"),
            ("UpdateOrder", "post", f"{RIVERTY_ORDER}/updateOrder"),
        )
    },
    ("post", f"{RIVERTY_ORDER}/captures", "200"): {
        "ReadCapture": (
            "get",
            f"{RIVERTY_ORDER}/captures/{{number}}",
            {
                "orderNumber": "$request.path.orderNumber",
                "number": "$response.body#/captureNumber",
            },
        ),
        "Refund": (
            "post",
            f"{RIVERTY_ORDER}/refunds",
            {"orderNumber": "$request.path.orderNumber"},
        ),
    },
    ("post", f"{DINTERO}/draft_orders", "201"): {
        "Complete": (
            "put",
            f"{DINTERO}/draft_orders/{{draft_id}}/complete",
            {"aid": "$request.path.aid", "draft_id": "$response.body#/id"},
        ),
    },
    ("put", f"{DINTERO}/draft_orders/{{draft_id}}/complete", "200"): {
        name: (
            method,
            path,
            {"aid": "$request.path.aid", "order_id": "$response.body#/orders/0/id"},
        )
        for name, method, path in (
            ("ReadOrder", "get", DINTERO_ORDER),
            ("Authorize", "post", f"{DINTERO_ORDER}/authorizations"),
            ("Capture", "post", f"{DINTERO_ORDER}/captures"),
            ("Refund", "post", f"{DINTERO_ORDER}/refunds"),
            ("Cancel", "post", f"{DINTERO_ORDER}/cancel"),
        )
    },
    ("post", f"{DINTERO_ORDER}/authorizations", "200"): {
        name: (
            method,
            path,
            {"aid": "$request.path.aid", "order_id": "$request.path.order_id"},
        )
        for name, method, path in (
            ("Capture", "post", f"{DINTERO_ORDER}/captures"),
            ("Cancel", "post", f"{DINTERO_ORDER}/cancel"),
        )
    },
    ("post", f"{DINTERO_ORDER}/captures", "200"): {
        "Refund": (
            "post",
            f"{DINTERO_ORDER}/refunds",
            {"aid": "$request.path.aid", "order_id": "$request.path.order_id"},
        ),
    },
}


def _reference(method: str, path: str) -> str:
    escaped = path.replace("~", "~0").replace("/", "~1")
    return f"#/paths/{escaped}/{method}"


def add_links(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the flows' links on the answers they start from."""
    for (method, path, status), links in LINKS.items():
        response = document["paths"][path][method]["responses"][status]
        response["links"] = {
            name: {"operationRef": _reference(*target[:2]), "parameters": target[2]}
            for name, target in links.items()
        }
    return document
