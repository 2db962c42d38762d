"""The OpenAPI document: every field described with a valid example, every error problem+json."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from creditguard.alerts import schemas as alerts
from creditguard.analytics import schemas as analytics
from creditguard.api import problems
from creditguard.api.app import create_app
from creditguard.api.pagination import Changes, Page
from creditguard.credit import schemas as credit
from creditguard.customers import schemas as customers
from creditguard.db import Database
from creditguard.identity import schemas as identity
from creditguard.imports import schemas as imports
from creditguard.ledger import schemas as ledger
from creditguard.limits import schemas as limits
from creditguard.rating import registry_schemas
from creditguard.rating import schemas as rating
from creditguard.reference import schemas as reference

MODULES = (
    identity,
    customers,
    ledger,
    reference,
    imports,
    analytics,
    rating,
    registry_schemas,
    credit,
    limits,
    alerts,
    problems,
)
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
ERRORS = ("401", "403", "404", "409", "422")
LOGIN = "/api/v1/auth/token"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path: Path = tmp_path_factory.mktemp("openapi") / "x.db"
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def spec(database: Database) -> dict[str, Any]:
    return create_app(database).openapi()


def _models() -> dict[str, type[BaseModel]]:
    """The models defined in the schema modules, by class name."""
    found: dict[str, type[BaseModel]] = {}
    for module in MODULES:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
            ):
                found[value.__name__] = value
    return found


MODELS = _models()


def _model_for(schema: dict[str, Any]) -> type[BaseModel] | None:
    """The model a component schema was generated from (``Page[InvoiceOut]`` included)."""
    title = str(schema.get("title", ""))
    for generic in (Page, Changes):
        prefix = f"{generic.__name__}["
        if title.startswith(prefix) and title.endswith("]"):
            item = MODELS.get(title.removeprefix(prefix).removesuffix("]"))
            model = None if item is None else generic.__class_getitem__(item)
            return model if isinstance(model, type) else None
    return MODELS.get(title)


def _schemas(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = spec["components"]["schemas"]
    return schemas


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def _errors(example: dict[str, Any], model: type[BaseModel]) -> str | None:
    """Why ``example`` is not a valid ``model`` (unknown keys included), or None."""
    unknown = sorted(set(example) - set(model.model_fields))
    if unknown:
        return f"unknown keys {unknown}"
    try:
        model.model_validate(example)
    except ValidationError as error:
        return str(error)
    return None


def test_the_served_document_is_the_apps(database: Database, spec: dict[str, Any]) -> None:
    served = TestClient(create_app(database)).get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.json() == spec


def test_every_property_is_described(spec: dict[str, Any]) -> None:
    missing = [
        f"{name}.{prop}"
        for name, schema in _schemas(spec).items()
        for prop, field in schema.get("properties", {}).items()
        if not str(field.get("description", "")).strip()
    ]
    assert missing == []


def test_every_property_has_an_example(spec: dict[str, Any]) -> None:
    # A property is shown either in a model-level example or by its own examples. FastAPI drops
    # nulls from the document, so a null in a model-level example does not count.
    missing = []
    for name, schema in _schemas(spec).items():
        shown = {key for example in schema.get("examples", []) for key in example}
        missing += [
            f"{name}.{prop}"
            for prop, field in schema.get("properties", {}).items()
            if prop not in shown and not field.get("examples")
        ]
    assert missing == []


def test_every_parameter_is_described(spec: dict[str, Any]) -> None:
    missing = [
        f"{operation_name} {parameter['in']}:{parameter['name']}"
        for operation_name, operation in _operations(spec)
        for parameter in operation.get("parameters", [])
        if not str(parameter.get("description", "")).strip()
    ]
    assert missing == []


def test_every_operation_has_a_summary_and_a_description(spec: dict[str, Any]) -> None:
    missing = [
        f"{operation_name} {key}"
        for operation_name, operation in _operations(spec)
        for key in ("summary", "description")
        if not str(operation.get(key, "")).strip()
    ]
    assert missing == []


def test_errors_are_documented_as_problem_json(spec: dict[str, Any]) -> None:
    missing = []
    for operation_name, operation in _operations(spec):
        if operation_name == "GET /healthz":
            continue
        expected = ("401", "422") if operation_name == f"POST {LOGIN}" else ERRORS
        for status in expected:
            response = operation["responses"].get(status, {})
            content = response.get("content", {})
            if not (
                str(response.get("description", "")).strip()
                and set(content) == {problems.PROBLEM_JSON}
                and content[problems.PROBLEM_JSON].get("schema") == PROBLEM_REF
            ):
                missing.append(f"{operation_name} {status}")
    assert missing == []


def test_error_examples_are_problems_of_their_status(spec: dict[str, Any]) -> None:
    wrong = []
    for operation_name, operation in _operations(spec):
        for status, response in operation["responses"].items():
            media = response.get("content", {}).get(problems.PROBLEM_JSON)
            if media is None:
                continue
            example = media.get("example")
            if not isinstance(example, dict):
                wrong.append(f"{operation_name} {status}: no example")
                continue
            error = _errors(example, problems.Problem)
            if error is not None or example["status"] != int(status):
                wrong.append(f"{operation_name} {status}: {error or 'status differs'}")
            elif any("value" not in item for item in example["errors"]):
                wrong.append(f"{operation_name} {status}: an error item lacks 'value'")
    assert wrong == []


def test_fastapis_validation_error_schemas_are_gone(spec: dict[str, Any]) -> None:
    assert [name for name in _schemas(spec) if name.endswith("ValidationError")] == []
    assert "ValidationError" not in str(spec)


def test_every_component_schema_is_a_known_model(spec: dict[str, Any]) -> None:
    unknown = [name for name, schema in _schemas(spec).items() if _model_for(schema) is None]
    assert unknown == []


def test_request_bodies_refuse_unknown_fields(spec: dict[str, Any]) -> None:
    lenient = []
    for operation_name, operation in _operations(spec):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            continue
        name = body["schema"]["$ref"].rsplit("/", 1)[-1]
        model = _model_for(_schemas(spec)[name])
        if model is None or model.model_config.get("extra") != "forbid":
            lenient.append(f"{operation_name} {name}")
    assert lenient == []


def test_model_examples_validate(spec: dict[str, Any]) -> None:
    invalid = []
    for name, schema in _schemas(spec).items():
        model = _model_for(schema)
        if model is None:
            continue
        for number, example in enumerate(schema.get("examples", [])):
            error = _errors(example, model)
            if error is not None:
                invalid.append(f"{name} example {number}: {error}")
    assert invalid == []


def test_property_examples_validate(spec: dict[str, Any]) -> None:
    # Each property example, put in the model-level example (or in one made of the first
    # property examples), must still make a valid instance of the model.
    invalid = []
    for name, schema in _schemas(spec).items():
        model = _model_for(schema)
        properties: dict[str, dict[str, Any]] = schema.get("properties", {})
        if model is None:
            continue
        base = next(
            iter(schema.get("examples", [])),
            {
                prop: field["examples"][0]
                for prop, field in properties.items()
                if field.get("examples")
            },
        )
        for prop, field in properties.items():
            for value in field.get("examples", []):
                error = _errors({**base, prop: value}, model)
                if error is not None:
                    invalid.append(f"{name}.{prop} = {value!r}: {error}")
    assert invalid == []
