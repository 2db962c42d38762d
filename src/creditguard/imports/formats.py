"""The documented import formats: one table of columns per kind, in English and Chinese.

The importer, the downloadable templates, the documentation and the synthetic generator all
read this one table, so a file written by one is always read by the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

ColumnType = Literal["text", "date", "amount", "currency", "country", "int", "decimal"]


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # canonical header (English, snake_case)
    zh: str  # Chinese header, accepted as well
    type: ColumnType
    required: bool
    description: str
    description_zh: str
    example: str
    aliases: tuple[str, ...] = ()


REQUIRED: Final = True
OPTIONAL: Final = False


def _c(  # noqa: PLR0913, PLR0917 - a column's facts are its vocabulary, read as a table
    name: str,
    zh: str,
    type_: ColumnType,
    required: bool,  # noqa: FBT001
    description: str,
    description_zh: str,
    example: str,
    aliases: tuple[str, ...] = (),
) -> Column:
    return Column(name, zh, type_, required, description, description_zh, example, aliases)


CUSTOMER_CODE = _c(
    "customer_code",
    "客户编码",
    "text",
    REQUIRED,
    "Customer number in the ERP.",
    "ERP 中的客户编码。",
    "C-10023",
    ("customer_ref",),
)
CURRENCY = _c(
    "currency",
    "币种",
    "currency",
    REQUIRED,
    "ISO 4217 currency code.",
    "ISO 4217 币种代码。",
    "CNY",
)

CUSTOMERS = (
    _c(
        "code",
        "客户编码",
        "text",
        REQUIRED,
        "Customer number in the ERP, unique.",
        "ERP 中的客户编码，唯一。",
        "C-10023",
        ("customer_code",),
    ),
    _c("name", "客户名称", "text", REQUIRED, "Legal name.", "法定名称。", "上海华东机电有限公司"),
    _c(
        "parent_code",
        "上级客户编码",
        "text",
        OPTIONAL,
        "Code of the parent (group) customer.",
        "上级（集团）客户编码。",
        "G-HUADONG",
    ),
    _c("industry", "行业", "text", OPTIONAL, "Industry.", "行业。", "machinery"),
    _c("region", "地区", "text", OPTIONAL, "Province or region.", "省份或地区。", "Shanghai"),
    _c(
        "country",
        "国家",
        "country",
        OPTIONAL,
        "ISO 3166 country (CN when blank).",
        "ISO 3166 国家代码（空白为 CN）。",
        "CN",
    ),
    _c(
        "currency",
        "币种",
        "currency",
        OPTIONAL,
        "Usual invoicing currency (CNY when blank).",
        "常用开票币种（空白为 CNY）。",
        "CNY",
    ),
    _c(
        "payment_terms",
        "付款条件",
        "text",
        OPTIONAL,
        "Default terms (net 30 when blank).",
        "默认付款条件（空白为 net 30）。",
        "2/10 net 30",
    ),
    _c(
        "salesperson",
        "销售员",
        "text",
        OPTIONAL,
        "Account owner in sales.",
        "负责的销售员。",
        "张伟",
    ),
    _c(
        "tax_id",
        "统一社会信用代码",
        "text",
        OPTIONAL,
        "Tax id / unified social credit code.",
        "税号或统一社会信用代码。",
        "91310000MA1FL0000X",
    ),
    _c("contact_name", "联系人", "text", OPTIONAL, "Main contact person.", "主要联系人。", "王强"),
    _c(
        "contact_email",
        "联系邮箱",
        "text",
        OPTIONAL,
        "Contact's e-mail.",
        "联系人邮箱。",
        "ap@buyer.example.cn",
    ),
    _c(
        "contact_phone",
        "联系电话",
        "text",
        OPTIONAL,
        "Contact's phone.",
        "联系人电话。",
        "+86 21 5555 0101",
    ),
)

INVOICES = (
    _c(
        "external_ref",
        "发票号",
        "text",
        REQUIRED,
        "Invoice number, unique per company.",
        "发票号，公司内唯一。",
        "INV-2026-000123",
        ("invoice_ref",),
    ),
    CUSTOMER_CODE,
    _c(
        "issued_on",
        "开票日期",
        "date",
        REQUIRED,
        "Invoice date (YYYY-MM-DD).",
        "开票日期（YYYY-MM-DD）。",
        "2026-10-08",
    ),
    CURRENCY,
    _c(
        "amount",
        "金额",
        "amount",
        REQUIRED,
        "Invoice total, > 0 (repeat it on every line row).",
        "发票总金额，大于零（每个明细行重复填写）。",
        "12800.00",
    ),
    _c(
        "payment_terms",
        "付款条件",
        "text",
        OPTIONAL,
        "Terms; the customer's when blank.",
        "付款条件；空白时取客户默认值。",
        "2/10 net 30",
    ),
    _c(
        "due_on",
        "到期日",
        "date",
        OPTIONAL,
        "Due date set by the ERP (overrides the terms).",
        "ERP 指定的到期日（优先于付款条件）。",
        "2026-11-09",
    ),
    _c("order_ref", "订单号", "text", OPTIONAL, "Sales order.", "销售订单号。", "SO-88120"),
    _c(
        "salesperson",
        "销售员",
        "text",
        OPTIONAL,
        "Salesperson; the customer's when blank.",
        "销售员；空白时取客户默认值。",
        "张伟",
    ),
    _c("description", "摘要", "text", OPTIONAL, "Free text.", "备注。", "伺服电机一批"),
    _c(
        "line_no",
        "行号",
        "int",
        OPTIONAL,
        "Line number: rows sharing external_ref form one invoice.",
        "明细行号：同一发票号的多行组成一张发票。",
        "1",
    ),
    _c(
        "line_description",
        "明细描述",
        "text",
        OPTIONAL,
        "What the line sold.",
        "明细内容。",
        "伺服电机 SM-200",
    ),
    _c("quantity", "数量", "decimal", OPTIONAL, "Line quantity.", "数量。", "10"),
    _c("unit_price", "单价", "decimal", OPTIONAL, "Line unit price.", "单价。", "1280.00"),
    _c(
        "line_amount",
        "行金额",
        "amount",
        OPTIONAL,
        "Line amount; the lines must add up to the amount.",
        "行金额；各行合计须等于发票金额。",
        "12800.00",
    ),
)

PAYMENTS = (
    _c(
        "payment_ref",
        "收款单号",
        "text",
        REQUIRED,
        "Receipt number; rows sharing it are one payment split over several invoices.",
        "收款单号；同一单号的多行为一笔收款分配到多张发票。",
        "RCPT-2026-0042",
        ("external_ref",),
    ),
    CUSTOMER_CODE,
    _c(
        "received_on",
        "收款日期",
        "date",
        REQUIRED,
        "Value date (YYYY-MM-DD).",
        "到账日期（YYYY-MM-DD）。",
        "2026-11-20",
    ),
    CURRENCY,
    _c(
        "amount",
        "金额",
        "amount",
        REQUIRED,
        "The part of the payment on this row, > 0.",
        "本行对应的收款金额，大于零。",
        "10000.00",
    ),
    _c(
        "invoice_ref",
        "发票号",
        "text",
        OPTIONAL,
        "Invoice this part settles; blank: kept unapplied.",
        "本行核销的发票号；空白则作为未核销款。",
        "INV-2026-000123",
    ),
    _c(
        "method",
        "付款方式",
        "text",
        OPTIONAL,
        "bank_transfer, bill, cash, ...",
        "银行转账、票据、现金等。",
        "bank_transfer",
    ),
    _c(
        "bank_reference",
        "银行流水号",
        "text",
        OPTIONAL,
        "Bank statement reference.",
        "银行流水号。",
        "20261120-88812",
    ),
)

CREDIT_NOTES = (
    _c(
        "external_ref",
        "贷项通知单号",
        "text",
        REQUIRED,
        "Credit note number, unique per company.",
        "贷项通知单号，公司内唯一。",
        "CN-2026-0007",
        ("credit_note_ref",),
    ),
    CUSTOMER_CODE,
    _c(
        "issued_on",
        "开具日期",
        "date",
        REQUIRED,
        "Date (YYYY-MM-DD).",
        "开具日期（YYYY-MM-DD）。",
        "2026-11-15",
    ),
    CURRENCY,
    _c(
        "amount",
        "金额",
        "amount",
        REQUIRED,
        "Amount credited, > 0.",
        "贷记金额，大于零。",
        "1280.00",
    ),
    _c(
        "reason",
        "原因",
        "text",
        REQUIRED,
        "Why the credit was given.",
        "贷记原因。",
        "退货 return of 1 unit",
    ),
    _c(
        "invoice_ref",
        "发票号",
        "text",
        OPTIONAL,
        "Invoice to apply it to; blank: kept unapplied.",
        "冲抵的发票号；空白则作为未核销额度。",
        "INV-2026-000123",
    ),
)

ORDERS = (
    _c(
        "order_ref",
        "订单号",
        "text",
        REQUIRED,
        "Sales order number, unique per company.",
        "销售订单号，公司内唯一。",
        "SO-88120",
        ("external_ref",),
    ),
    CUSTOMER_CODE,
    _c(
        "ordered_on",
        "下单日期",
        "date",
        REQUIRED,
        "Order date (YYYY-MM-DD).",
        "下单日期（YYYY-MM-DD）。",
        "2026-09-28",
    ),
    CURRENCY,
    _c(
        "amount",
        "订单金额",
        "amount",
        REQUIRED,
        "Order value, > 0.",
        "订单金额，大于零。",
        "12800.00",
    ),
    _c(
        "status",
        "状态",
        "text",
        OPTIONAL,
        "confirmed, shipped, invoiced or cancelled (confirmed when blank).",
        "confirmed、shipped、invoiced 或 cancelled（空白为 confirmed）。",
        "confirmed",
    ),
    _c(
        "shipped_amount",
        "已发货金额",
        "amount",
        OPTIONAL,
        "Value shipped so far (0 when blank).",
        "已发货金额（空白为 0）。",
        "0.00",
    ),
    _c(
        "expected_ship_on",
        "预计发货日期",
        "date",
        OPTIONAL,
        "Planned shipping date.",
        "计划发货日期。",
        "2026-10-08",
    ),
)

Kind = Literal["customers", "invoices", "payments", "credit-notes", "orders"]
FORMATS: Final[Mapping[str, tuple[Column, ...]]] = MappingProxyType(
    {
        "customers": CUSTOMERS,
        "invoices": INVOICES,
        "payments": PAYMENTS,
        "credit-notes": CREDIT_NOTES,
        "orders": ORDERS,
    }
)
# The column that identifies an entry of each kind (the key of re-imports and upserts).
KEYS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "customers": "code",
        "invoices": "external_ref",
        "payments": "payment_ref",
        "credit-notes": "external_ref",
        "orders": "order_ref",
    }
)


def header_map(kind: str) -> dict[str, str]:
    """Every accepted header (English, Chinese, aliases; case- and space-insensitive) -> column."""
    mapping: dict[str, str] = {}
    for column in FORMATS[kind]:
        for header in (column.name, column.zh, *column.aliases):
            mapping[normalise(header)] = column.name
    return mapping


def normalise(header: str) -> str:
    return header.strip().lstrip("\ufeff").lower().replace(" ", "_").replace("-", "_")
