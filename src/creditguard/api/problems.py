"""The problem+json error body, described for the OpenAPI document (see ``errors.py``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

PROBLEM_JSON = "application/problem+json"


def _problem(status: int, title: str, item: JsonDict) -> JsonDict:
    return {
        "type": f"https://creditguard.dev/problems/{item['code']}",
        "title": title,
        "status": status,
        "detail": f"{item['field']}: {item['message']}",
        "errors": [item],
    }


INVALID_AMOUNT: JsonDict = {
    "field": "amount",
    "value": "10.001",
    "code": "too_many_decimals",
    "message": "CNY allows 2 decimal places; '10.001' has more",
}
EXAMPLES: dict[int, JsonDict] = {
    401: _problem(
        401,
        "Not authenticated",
        {
            "field": "Authorization",
            "value": None,
            "code": "not_authenticated",
            "message": "missing or invalid credentials",
        },
    ),
    403: _problem(
        403,
        "Forbidden",
        {
            "field": "role",
            "value": "viewer",
            "code": "forbidden",
            "message": "role 'viewer' may not customers:write",
        },
    ),
    404: _problem(
        404,
        "Not found",
        {
            "field": "id",
            "value": 99,
            "code": "not_found",
            "message": "invoice '99' was not found",
        },
    ),
    409: _problem(
        409,
        "Conflict",
        {
            "field": "code",
            "value": "C-10023",
            "code": "duplicate",
            "message": "customer 'C-10023' already exists",
        },
    ),
    422: _problem(422, "Invalid input", INVALID_AMOUNT),
}
LOGIN_REFUSED: JsonDict = _problem(
    401,
    "Not authenticated",
    {
        "field": "credentials",
        "value": None,
        "code": "not_authenticated",
        "message": "missing or invalid credentials",
    },
)
DESCRIPTIONS: dict[int, str] = {
    401: "Missing or invalid credentials (`Authorization: Bearer ...` or `X-API-Key`).",
    403: "Authenticated, but the caller's role may not perform this operation.",
    404: "The resource named in the path does not exist in the caller's company (a reference "
    "in the body that names nothing is a 422 'not_found').",
    409: "Conflicts with the current state: a duplicate reference, a state that forbids it "
    "(already reversed, dispute already closed), a concurrent change, or an Idempotency-Key "
    "still being processed.",
    422: "Invalid input: each error names the field, the value and the reason; also an "
    "Idempotency-Key reused with a different body.",
}


class ProblemItem(BaseModel):
    """One thing wrong with the request."""

    model_config = ConfigDict(json_schema_extra={"examples": [INVALID_AMOUNT]})

    field: str = Field(
        description="The field at fault, as a path into the body ('invoices[2].amount'), "
        "a query or path parameter, or a header such as 'Authorization'.",
        examples=["amount"],
    )
    value: Any = Field(
        description="The value at fault as sent; null when it was missing, is an object or a "
        "list, or is not repeated back (credentials).",
        examples=["10.001"],
    )
    code: str = Field(
        description="Stable, machine-readable reason, e.g. 'too_many_decimals', 'not_found', "
        "'duplicate', 'file_too_large'; 'invalid' and 'state' are generic (the message says "
        "why).",
        examples=["too_many_decimals"],
    )
    message: str = Field(
        description="The reason for people, in English or Chinese (Accept-Language: zh-CN).",
        examples=["CNY allows 2 decimal places; '10.001' has more"],
    )


class Problem(BaseModel):
    """An RFC 9457 problem document: every error the API answers has this shape."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLES[422]]})

    type: str = Field(
        description="URI naming the kind of problem: the code of the first error.",
        examples=["https://creditguard.dev/problems/too_many_decimals"],
    )
    title: str = Field(
        description="Short summary of the HTTP status, in the requested language.",
        examples=["Invalid input"],
    )
    status: int = Field(description="The HTTP status code.", examples=[422])
    detail: str = Field(
        description="All errors on one line: 'field: message; field: message'.",
        examples=["amount: CNY allows 2 decimal places; '10.001' has more"],
    )
    errors: list[ProblemItem] = Field(
        description="Each thing wrong with the request.", examples=[[INVALID_AMOUNT]]
    )


def problem_response(
    status: int, description: str | None = None, example: JsonDict | None = None
) -> dict[str, Any]:
    """An entry of a route's ``responses``: a problem+json body for ``status``."""
    return {
        "model": Problem,
        "description": description or DESCRIPTIONS[status],
        "content": {
            PROBLEM_JSON: {
                "schema": {"$ref": "#/components/schemas/Problem"},
                "example": example or EXAMPLES[status],
            }
        },
    }


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses`` documenting problem+json bodies for ``statuses``."""
    return {status: problem_response(status) for status in statuses}


ERRORS = problem_responses(401, 403, 404, 409, 422)


def problem_json_only(spec: dict[str, Any]) -> dict[str, Any]:
    """Tidy the problem+json responses of a generated OpenAPI document.

    FastAPI files a response ``model`` under the route's media type as well (application/json),
    but errors are only ever answered as application/problem+json: drop the twin. FastAPI also
    drops every null from the document, the ``"value": null`` of the examples included: put it
    back, as the API always sends it.
    """
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if PROBLEM_JSON in content:
                    content.pop("application/json", None)
                    example = content[PROBLEM_JSON].get("example", {})
                    example["errors"] = [
                        {key: item.get(key) for key in ProblemItem.model_fields}
                        for item in example.get("errors", [])
                    ]
    return spec
