"""Request bodies from seed 000 (Dintero), shown in the OpenAPI document."""

from typing import Any, Final

_CHAIR: Final[dict[str, Any]] = {
    "id": "175938",
    "quantity": 2,
    "tax_lines": [{"amount": 7960, "percentage": 25}],
    "description": "Stablestol for utendørsbruk",
    "description_alias": "Staplestol",
}

CREATE_DRAFT_EXAMPLE: Final[dict[str, Any]] = {
    "options": {"generate_order_id": "ALPHANUMERIC_9"},
    "order": {
        "currency": "NOK",
        "items": [{**_CHAIR, "line_id": 1, "gross_amount": 39800}],
    },
}

UPDATE_DRAFT_EXAMPLE: Final[dict[str, Any]] = {
    "options": {"order_id": "{order_id}"},
    "order": {
        "currency": "NOK",
        "items": [
            {
                **_CHAIR,
                "line_id": 2,
                "gross_amount": -39800,
                "tax_lines": [{"amount": -7960, "percentage": 25}],
                "reversed_reason": "Replace item",
                "related_item": {"line_id": 1, "type": "reversed"},
            },
            {
                "id": "003929",
                "line_id": 3,
                "quantity": 1,
                "gross_amount": 39800,
                "tax_lines": [{"amount": 7960, "percentage": 25}],
                "description": "Stablestol for innendørsbruk",
                "description_alias": "Staplestol Lux",
            },
        ],
    },
}

AUTHORIZE_CAPTURE_EXAMPLE: Final[dict[str, Any]] = {
    "items": [{"amount": 39800, "line_id": 1}],
    "payment_details": {"payment_id": "PID_123"},
    "success": True,
}

DRAFT_ITEM_EXAMPLE: Final[dict[str, Any]] = {
    "id": "003929",
    "line_id": 3,
    "gross_amount": 39800,
    "tax_lines": [{"amount": 7960, "percentage": 25}],
    "description": "Stablestol for innendørsbruk",
}
