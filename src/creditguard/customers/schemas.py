"""Input and output shapes for customers and contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from creditguard.identity.schemas import Strict, example

CustomerStatus = Literal["active", "blocked", "closed"]

# The examples follow one customer, C-10023 上海华东机电有限公司, through the OpenAPI document.
CONTACT_IN: JsonDict = {
    "name": "王强",
    "role": "财务经理",
    "email": "ap@buyer.example.cn",
    "phone": "+86 21 5555 0101",
    "is_primary": True,
}
CONTACT_OUT: JsonDict = {"id": 31, **CONTACT_IN}
CUSTOMER_IN: JsonDict = {
    "code": "C-10023",
    "name": "上海华东机电有限公司",
    "parent_code": "G-HUADONG",
    "industry": "machinery",
    "region": "Shanghai",
    "country": "CN",
    "currency": "CNY",
    "payment_terms": "2/10 net 30",
    "salesperson": "张伟",
    "tax_id": "91310000MA1FL0000X",
    "contacts": [CONTACT_IN],
}
CUSTOMER_UPDATE: JsonDict = {
    "name": "上海华东机电有限公司",
    "parent_code": "G-HUADONG",
    "industry": "machinery",
    "region": "Shanghai",
    "country": "CN",
    "currency": "CNY",
    "payment_terms": "net 30",
    "salesperson": "刘洋",
    "tax_id": "91310000MA1FL0000X",
    "status": "blocked",
}
CUSTOMER_OUT: JsonDict = {
    "id": 17,
    "code": "C-10023",
    "name": "上海华东机电有限公司",
    "parent_id": 5,
    "industry": "machinery",
    "region": "Shanghai",
    "country": "CN",
    "currency": "CNY",
    "payment_terms": "2/10 net 30",
    "salesperson": "张伟",
    "tax_id": "91310000MA1FL0000X",
    "status": "active",
    "created_at": "2026-03-02T06:00:00Z",
    "updated_at": "2026-11-22T01:30:00Z",
}


class ContactIn(Strict):
    model_config = example(CONTACT_IN)

    name: str = Field(
        min_length=1, max_length=200, description="Contact person.", examples=["王强"]
    )
    role: str | None = Field(None, max_length=100, description="Job title.", examples=["财务经理"])
    email: str | None = Field(
        None,
        max_length=254,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="E-mail for statements.",
        examples=["ap@buyer.example.cn"],
    )
    phone: str | None = Field(
        None, max_length=40, description="Phone.", examples=["+86 21 5555 0101"]
    )
    is_primary: bool = Field(default=False, description="Receives dunning letters first.")


class ContactOut(BaseModel):
    model_config = example(CONTACT_OUT)

    id: int = Field(description="Contact id.")
    name: str = Field(description="Contact person.")
    role: str | None = Field(description="Job title.")
    email: str | None = Field(description="E-mail.")
    phone: str | None = Field(description="Phone.")
    is_primary: bool = Field(description="Receives dunning letters first.")


class CustomerIn(Strict):
    model_config = example(CUSTOMER_IN)

    code: str = Field(
        min_length=1,
        max_length=64,
        description="The ERP's customer number, unique in the company.",
        examples=["C-10023"],
    )
    name: str = Field(
        min_length=1, max_length=200, description="Legal name.", examples=["上海华东机电有限公司"]
    )
    parent_code: str | None = Field(
        None,
        max_length=64,
        description="Code of the parent (group) customer.",
        examples=["G-HUADONG"],
    )
    industry: str | None = Field(
        None, max_length=100, description="Industry.", examples=["machinery"]
    )
    region: str | None = Field(
        None, max_length=100, description="Region or province.", examples=["Shanghai"]
    )
    country: str = Field(
        "CN",
        min_length=2,
        max_length=2,
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166 country.",
    )
    currency: str = Field(
        "CNY",
        min_length=3,
        max_length=3,
        description="Usual invoicing currency (ISO 4217).",
    )
    payment_terms: str = Field(
        "net 30",
        max_length=64,
        description="Default terms: 'net 30', 'eom 30', '2/10 net 30', '30% 0, 70% 60'.",
    )
    salesperson: str | None = Field(
        None, max_length=100, description="Account owner in sales.", examples=["张伟"]
    )
    tax_id: str | None = Field(
        None,
        max_length=64,
        description="Unified social credit code or VAT number.",
        examples=["91310000MA1FL0000X"],
    )
    contacts: list[ContactIn] = Field(default_factory=list, description="Contact persons.")


class CustomerUpdate(Strict):
    model_config = example(CUSTOMER_UPDATE)

    name: str | None = Field(None, min_length=1, max_length=200, description="Legal name.")
    parent_code: str | None = Field(
        None, max_length=64, description="Parent (group) customer code."
    )
    industry: str | None = Field(None, max_length=100, description="Industry.")
    region: str | None = Field(None, max_length=100, description="Region or province.")
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$", description="ISO 3166 country.")
    currency: str | None = Field(None, min_length=3, max_length=3, description="Usual currency.")
    payment_terms: str | None = Field(None, max_length=64, description="Default payment terms.")
    salesperson: str | None = Field(None, max_length=100, description="Account owner in sales.")
    tax_id: str | None = Field(None, max_length=64, description="Tax id.")
    status: CustomerStatus | None = Field(None, description="active, blocked or closed.")


class CustomerOut(BaseModel):
    model_config = example(CUSTOMER_OUT)

    id: int = Field(description="Customer id.")
    code: str = Field(description="The ERP's customer number.")
    name: str = Field(description="Legal name.")
    parent_id: int | None = Field(description="Parent (group) customer id.")
    industry: str | None = Field(description="Industry.")
    region: str | None = Field(description="Region or province.")
    country: str = Field(description="ISO 3166 country.")
    currency: str = Field(description="Usual invoicing currency.")
    payment_terms: str = Field(description="Default payment terms, canonical form.")
    salesperson: str | None = Field(description="Account owner in sales.")
    tax_id: str | None = Field(description="Tax id.")
    status: CustomerStatus = Field(description="active, blocked or closed.")
    created_at: datetime = Field(description="When it was created (UTC).")
    updated_at: datetime = Field(description="Last change (UTC).")


class CustomerFilter(BaseModel):
    status: CustomerStatus | None = None
    industry: str | None = None
    region: str | None = None
    country: str | None = None
    salesperson: str | None = None
    parent_id: int | None = None
    q: str | None = None
