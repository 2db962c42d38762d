"""Domain errors and the bilingual messages shown to users.

Errors carry a stable ``code``, the ``field`` and ``value`` at fault and the parameters of the
message; they never carry an HTTP status. The API, the CLI and the imports render them in
English or Simplified Chinese from the catalogue below.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Self

Locale = str  # "en" or "zh-CN"

# code -> (English, 简体中文). Placeholders are filled from the error's params.
MESSAGES: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "invalid": ("{reason}", "{reason_zh}"),
        "required": ("is required", "为必填项"),
        "unknown_field": ("is not a field of this resource", "不是该资源的字段"),
        "unknown_currency": (
            "'{value}' is not an ISO 4217 currency code",
            "'{value}' 不是 ISO 4217 货币代码",
        ),
        "float_refused": (
            "money must be a decimal string or an integer, never a binary float",
            "金额必须是十进制字符串或整数，不能是浮点数",
        ),
        "too_many_decimals": (
            "{currency} allows {exponent} decimal places; '{value}' has more",
            "{currency} 最多允许 {exponent} 位小数，'{value}' 超出",
        ),
        "too_large": (
            "'{value}' is too large: at most {largest} {currency}",
            "'{value}' 过大：最多 {largest} {currency}",
        ),
        "amount_as_string": (
            'amounts travel as decimal strings such as "1234.50", never as JSON numbers',
            '金额须以十进制字符串传递（如 "1234.50"），不能是 JSON 数字',
        ),
        "bad_file_type": (
            "import files must be one of {types}",
            "导入文件须为以下格式之一：{types}",
        ),
        "empty_file": ("the file has no header row", "文件没有标题行"),
        "file_too_large": (
            "the file is larger than the limit of {limit} bytes ({limit_shown})",
            "文件超过大小上限 {limit} 字节（{limit_shown}）",
        ),
        "unsupported_file_type": (
            "the content is {value}; accepted: {accepted}",
            "文件内容为 {value}；仅接受 {accepted_zh}",
        ),
        "raw_body_required": (
            "'{media_type}' is a form encoding, not a file: send the file itself as the raw "
            "request body with its own Content-Type, e.g. curl --data-binary @file "
            "-H 'Content-Type: application/pdf' (not curl -F); nothing was stored",
            "'{media_type}' 是表单编码而不是文件：请将文件本身作为原始请求体发送，并注明其 "
            "Content-Type，例如 curl --data-binary @文件 -H 'Content-Type: application/pdf'"
            "（不要用 curl -F）；未保存任何内容",
        ),
        "bad_json": (
            'JSON imports are a list of objects, or {{"rows": [...]}}',
            'JSON 导入须为对象列表，或 {{"rows": [...]}}',
        ),
        "unknown_column": (
            "unknown column; the columns are: {expected}",
            "未知的列；可用的列为：{expected}",
        ),
        "duplicate_column": ("this column appears twice", "该列重复出现"),
        "missing_column": ("this required column is missing", "缺少此必填列"),
        "bad_date": ("'{value}' is not a date (YYYY-MM-DD)", "'{value}' 不是日期（YYYY-MM-DD）"),
        "posted_differs": (
            "{kind} '{key}' is already posted with {column} = '{posted}'; posted entries are never "
            "edited: reverse it and post a new one",
            "{kind_zh} '{key}' 已过账，{column} 为 '{posted}'；"
            "已过账分录不能修改，请先冲销再重新过账",
        ),
        "rows_disagree": (
            "rows of {kind} '{key}' disagree on {column}",
            "{kind_zh} '{key}' 的多行在 {column} 上不一致",
        ),
        "not_a_number": ("'{value}' is not a decimal number", "'{value}' 不是有效的十进制数"),
        "currency_mismatch": (
            "cannot combine {left} with {right}",
            "不能将 {left} 与 {right} 混合计算",
        ),
        "not_positive": ("must be greater than zero", "必须大于零"),
        "negative": ("must not be negative", "不能为负数"),
        "out_of_range": (
            "must be between {low} and {high}",
            "必须介于 {low} 与 {high} 之间",
        ),
        "not_found": ("{kind} '{value}' was not found", "未找到{kind_zh} '{value}'"),
        "duplicate": (
            "{kind} '{value}' already exists",
            "{kind_zh} '{value}' 已存在",
        ),
        "over_allocated": (
            "allocating {requested} exceeds the open amount {available}",
            "分配金额 {requested} 超过未结金额 {available}",
        ),
        "over_payment": (
            "allocations total {requested}, more than the {available} available",
            "分配合计 {requested}，超过可用金额 {available}",
        ),
        "already_reversed": (
            "{kind} '{value}' has already been reversed",
            "{kind_zh} '{value}' 已被冲销",
        ),
        "lines_do_not_add_up": (
            "the lines add up to {lines}, not to the amount {amount}",
            "明细合计 {lines}，与金额 {amount} 不一致",
        ),
        "schedule_does_not_add_up": (
            "the instalments add up to {parts}, not to 100%",
            "分期比例合计 {parts}，不等于 100%",
        ),
        "date_order": ("must not be before {other}", "不能早于 {other}"),
        "bad_terms": (
            "'{value}' is not a payment term (try 'net 30', 'eom 30', '2/10 net 30', "
            "'30% 0, 70% 60')",
            "'{value}' 不是有效的付款条件"
            "（例如 'net 30'、'eom 30'、'2/10 net 30'、'30% 0, 70% 60'）",
        ),
        "not_authenticated": ("missing or invalid credentials", "缺少或无效的身份凭证"),
        "account_locked": (
            "too many failed logins; try again later",
            "登录失败次数过多，请稍后再试",
        ),
        "forbidden": (
            "role '{role}' may not {operation}",
            "角色 '{role}' 无权执行 {operation}",
        ),
        "idempotency_mismatch": (
            "this Idempotency-Key was already used with a different request",
            "该幂等键已用于另一个不同的请求",
        ),
        "idempotency_in_flight": (
            "a request with this Idempotency-Key is still being processed",
            "使用该幂等键的请求仍在处理中",
        ),
        "dispute_exceeds_open": (
            "disputed amount {requested} exceeds the undisputed open amount {available}",
            "争议金额 {requested} 超过未争议的未结金额 {available}",
        ),
        "state": ("{reason}", "{reason_zh}"),
        "review_running": (
            "a limit review of this company is already running; nothing was written",
            "该公司的额度复评正在运行；本次未写入任何内容",
        ),
        "no_rate": (
            "no exchange rate for {currency} on or before {on}",
            "{on} 及之前没有 {currency} 的汇率",
        ),
        "unknown_country": (
            "'{value}' is not a country with a holiday calendar (use an ISO 3166 code such as CN)",
            "'{value}' 不是有节假日日历的国家（请使用 ISO 3166 代码，例如 CN）",
        ),
        "no_business_days": (
            "a calendar must keep at least one working day in the week",
            "日历每周至少要保留一个工作日",
        ),
        "workday_is_holiday": (
            "{value} cannot be both a holiday and a make-up working day",
            "{value} 不能既是节假日又是调休工作日",
        ),
    }
)

# Names of the things errors talk about, for the Chinese messages.
KINDS_ZH: Final[Mapping[str, str]] = MappingProxyType(
    {
        "company": "公司",
        "user": "用户",
        "api key": "API 密钥",
        "customer": "客户",
        "invoice": "发票",
        "payment": "收款",
        "credit note": "贷项通知单",
        "write-off": "核销",
        "dispute": "争议",
        "reversal": "冲销",
        "entry": "记账分录",
        "contact": "联系人",
        "file": "文件",
        "order": "订单",
    }
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: which field, which value, and why (by message code)."""

    field: str
    value: object
    code: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)

    def message(self, locale: Locale = "en") -> str:
        """Render the reason in ``locale`` ("en" or "zh-CN")."""
        return render(self.code, {"value": self.value, **self.params}, locale)


def render(code: str, params: Mapping[str, object], locale: Locale = "en") -> str:
    """Fill the message template for ``code`` in the requested language."""
    english, chinese = MESSAGES.get(code, ("{code}", "{code}"))
    template = chinese if locale.lower().startswith("zh") else english
    values: dict[str, object] = {"code": code, **params}
    kind = params.get("kind")
    if isinstance(kind, str):
        values.setdefault("kind_zh", KINDS_ZH.get(kind, kind))
    values.setdefault("reason_zh", params.get("reason", ""))
    try:
        return template.format_map(values)
    except (KeyError, IndexError):  # a template asked for a parameter the caller did not give
        return template


class DomainError(Exception):
    """Base of every error a rule or a service raises on purpose."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self.message("en"))

    @classmethod
    def of(cls, field: str, value: object, code: str, **params: object) -> Self:
        """Build the error from a single problem."""
        return cls([Problem(field, value, code, params)])

    def message(self, locale: Locale = "en") -> str:
        """All problems as one line: ``field: reason; field: reason``."""
        return "; ".join(f"{p.field}: {p.message(locale)}" for p in self.problems)


class InvalidInput(DomainError):
    """The input breaks a rule: nothing was changed."""


class NotFound(DomainError):
    """The thing named does not exist (or belongs to another company)."""


class Conflict(DomainError):
    """The request clashes with the current state (duplicate, already reversed, in flight)."""


class NotAuthenticated(DomainError):
    """No valid credentials."""


class Forbidden(DomainError):
    """Authenticated, but the role may not do this."""


def invalid(field: str, value: object, code: str, **params: object) -> InvalidInput:
    """Shorthand for a single-problem :class:`InvalidInput`."""
    return InvalidInput([Problem(field, value, code, params)])


def not_found(kind: str, value: object, field: str = "id") -> NotFound:
    """Shorthand for a :class:`NotFound` about one ``kind`` of thing."""
    return NotFound([Problem(field, value, "not_found", {"kind": kind})])
