"""Errors as RFC 9457 problem+json, naming the field, the value and the reason (en / zh-CN)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException

from creditguard.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    Problem,
)

STATUS: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    NotAuthenticated: 401,
    Forbidden: 403,
}
TITLES = {
    422: ("Invalid input", "输入无效"),
    404: ("Not found", "未找到"),
    409: ("Conflict", "冲突"),
    401: ("Not authenticated", "未认证"),
    403: ("Forbidden", "无权限"),
    400: ("Bad request", "请求错误"),
    405: ("Method not allowed", "方法不允许"),
    413: ("Content too large", "内容过大"),
    415: ("Unsupported media type", "不支持的媒体类型"),
    503: ("Busy, retry", "系统繁忙，请重试"),
}
# Pydantic's error types in Chinese; the English comes from Pydantic itself.
PYDANTIC_ZH = {
    "missing": "为必填项",
    "extra_forbidden": "不是该资源的字段",
    "string_pattern_mismatch": "格式不正确",
    "string_too_short": "太短",
    "string_too_long": "太长",
    "too_short": "条目太少",
    "too_long": "条目太多",
    "string_type": "必须是字符串",
    "int_parsing": "必须是整数",
    "int_type": "必须是整数",
    "bool_parsing": "必须是布尔值",
    "date_from_datetime_parsing": "必须是日期（YYYY-MM-DD）",
    "date_parsing": "必须是日期（YYYY-MM-DD）",
    "date_type": "必须是日期（YYYY-MM-DD）",
    "literal_error": "不是允许的取值",
    "greater_than": "取值太小",
    "less_than_equal": "取值太大",
    "greater_than_equal": "取值太小",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "必须是 JSON 对象",
    "list_type": "必须是列表",
    "dict_type": "必须是 JSON 对象",
}


def locale_of(request: Request) -> str:
    accept = request.headers.get("accept-language", "")
    return "zh-CN" if accept.lower().startswith("zh") else "en"


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def problem_response(
    status: int, problems: Sequence[Problem], locale: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    english, chinese = TITLES.get(status, ("Error", "错误"))
    errors = [
        {
            "field": p.field,
            "value": _jsonable(p.value),
            "code": p.code,
            "message": p.message(locale),
        }
        for p in problems
    ]
    body: dict[str, Any] = {
        "type": f"https://creditguard.dev/problems/{problems[0].code if problems else 'error'}",
        "title": chinese if locale == "zh-CN" else english,
        "status": status,
        "detail": "; ".join(f"{e['field']}: {e['message']}" for e in errors),
        "errors": errors,
    }
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def _status_of(error: DomainError) -> int:
    for kind, status in STATUS.items():
        if isinstance(error, kind):
            return status
    return 400


async def _domain(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    status = _status_of(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem_response(status, error.problems, locale_of(request), headers)


def _field(loc: Iterable[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or "body"


DECIMAL_FIELDS = frozenset({"amount", "quantity", "unit_price"})


def validation_problems(errors: Iterable[dict[str, Any]]) -> list[Problem]:
    problems = []
    for e in errors:
        value = e.get("input")
        field = _field(e.get("loc", ()))
        if (
            e.get("type") == "string_type"
            and isinstance(value, int | float)
            and not isinstance(value, bool)
            and field.rsplit(".", 1)[-1] in DECIMAL_FIELDS
        ):
            # A JSON number where money (or a quantity) is expected: say how to send it.
            problems.append(Problem(field, value, "amount_as_string"))
            continue
        zh = PYDANTIC_ZH.get(str(e.get("type")), str(e.get("msg", "")))
        if e.get("type") == "missing" or isinstance(value, dict | list):
            value = None
        problems.append(
            Problem(
                _field(e.get("loc", ())),
                value,
                "invalid",
                {"reason": str(e.get("msg", "")), "reason_zh": zh},
            )
        )
    return problems


async def _validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return problem_response(422, validation_problems(error.errors()), locale_of(request))


async def _integrity(request: Request, error: Exception) -> JSONResponse:
    problem = Problem(
        "request",
        None,
        "state",
        {
            "reason": "a concurrent change conflicts with this request; nothing was written, retry",
            "reason_zh": "与并发的修改冲突，未写入任何数据，请重试",
        },
    )
    return problem_response(409, [problem], locale_of(request))


async def _busy(request: Request, error: Exception) -> JSONResponse:
    problem = Problem(
        "request",
        None,
        "state",
        {
            "reason": "the database is busy; nothing was written, retry",
            "reason_zh": "数据库繁忙，未写入任何数据，请重试",
        },
    )
    return problem_response(503, [problem], locale_of(request), {"Retry-After": "1"})


async def _http(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    problem = Problem(
        "request", None, "state", {"reason": str(error.detail), "reason_zh": str(error.detail)}
    )
    return problem_response(error.status_code, [problem], locale_of(request))


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(OperationalError, _busy)
    app.add_exception_handler(HTTPException, _http)
