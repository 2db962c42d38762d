"""Input and output shapes for companies, users, logins and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

Role = Literal["admin", "credit_manager", "collector", "approver", "sales", "viewer", "erp_client"]


# One consistent story for the OpenAPI examples: the seller ACME, its collector 李娜, its ERP.
COMPANY_IN: JsonDict = {
    "code": "ACME",
    "name": "Acme Trading Co.",
    "base_currency": "CNY",
    "timezone": "Asia/Shanghai",
    "locale": "zh-CN",
    "country": "CN",
}
COMPANY_OUT: JsonDict = {"id": 1, **COMPANY_IN}
USER_IN: JsonDict = {
    "email": "li.na@example.cn",
    "display_name": "李娜",
    "password": "correct horse battery",
    "role": "collector",
}
USER_OUT: JsonDict = {
    "id": 7,
    "email": "li.na@example.cn",
    "display_name": "李娜",
    "role": "collector",
    "is_active": True,
    "created_at": "2026-01-05T02:00:00Z",
}
LOGIN_IN: JsonDict = {
    "company": "ACME",
    "email": "li.na@example.cn",
    "password": "correct horse battery",
}
TOKEN_OUT: JsonDict = {
    "access_token": "cgt_7KprIGm_CKn8p7OuGELYhhLGFeJGfUOk-x4PCy068HU",
    "token_type": "bearer",
    "expires_at": "2026-11-22T13:30:00Z",
    "role": "collector",
}
API_KEY_IN: JsonDict = {"name": "SAP B1 sync", "role": "erp_client"}
API_KEY_OUT: JsonDict = {
    "id": 3,
    "name": "SAP B1 sync",
    "prefix": "cgk_gtxUr1Ed",
    "role": "erp_client",
    "created_at": "2026-11-22T01:30:00Z",
    "key": "cgk_gtxUr1EdQ0HxZFKaqqH4RnNk-bxwTEcGje2LMqhGMuw",
}


def example(value: JsonDict) -> ConfigDict:
    """Model settings that document ``value`` as the model's example in the OpenAPI schema."""
    return ConfigDict(json_schema_extra={"examples": [value]})


class Strict(BaseModel):
    """Unknown (or privileged) fields in a body are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CompanyIn(Strict):
    model_config = example(COMPANY_IN)

    code: str = Field(
        min_length=1,
        max_length=32,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Short unique code of the company (tenant).",
        examples=["ACME"],
    )
    name: str = Field(
        min_length=1, max_length=200, description="Legal name.", examples=["Acme Trading Co."]
    )
    base_currency: str = Field(
        "CNY",
        min_length=3,
        max_length=3,
        description="ISO 4217 currency of totals.",
        examples=["CNY"],
    )
    timezone: str = Field("Asia/Shanghai", description="IANA time zone of business dates.")
    locale: Literal["zh-CN", "en"] = Field("zh-CN", description="Language of letters and screens.")
    country: str = Field(
        "CN",
        min_length=2,
        max_length=2,
        description="ISO 3166 country: the business calendar.",
    )


class CompanyOut(BaseModel):
    model_config = example(COMPANY_OUT)

    id: int = Field(description="Company id.")
    code: str = Field(description="Short unique code.")
    name: str = Field(description="Legal name.")
    base_currency: str = Field(description="ISO 4217 currency of totals.")
    timezone: str = Field(description="IANA time zone.")
    locale: str = Field(description="Default language.")
    country: str = Field(description="ISO 3166 country.")


class UserIn(Strict):
    model_config = example(USER_IN)

    email: str = Field(
        min_length=3,
        max_length=254,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="Login e-mail, unique in the company.",
        examples=["li.na@example.cn"],
    )
    display_name: str = Field(
        min_length=1, max_length=200, description="Name shown on screens.", examples=["李娜"]
    )
    password: str = Field(
        min_length=10,
        max_length=200,
        description="At least 10 characters.",
        examples=["correct horse battery"],
    )
    role: Role = Field(description="What the user may do.", examples=["collector"])


class UserOut(BaseModel):
    model_config = example(USER_OUT)

    id: int = Field(description="User id.")
    email: str = Field(description="Login e-mail.")
    display_name: str = Field(description="Name shown on screens.")
    role: Role = Field(description="What the user may do.")
    is_active: bool = Field(description="False once deactivated.")
    created_at: datetime = Field(description="When the user was added (UTC).")


class LoginIn(Strict):
    model_config = example(LOGIN_IN)

    company: str = Field(description="Company code.", examples=["ACME"])
    email: str = Field(description="Login e-mail.", examples=["li.na@example.cn"])
    password: str = Field(description="Password.", examples=["correct horse battery"])


class TokenOut(BaseModel):
    model_config = example(TOKEN_OUT)

    access_token: str = Field(description="Send as 'Authorization: Bearer <token>'.")
    token_type: Literal["bearer"] = Field("bearer", description="Always 'bearer'.")
    expires_at: datetime = Field(description="When the token stops working (UTC).")
    role: Role = Field(description="The user's role.")


class ApiKeyIn(Strict):
    model_config = example(API_KEY_IN)

    name: str = Field(
        min_length=1, max_length=100, description="What the key is for.", examples=["SAP B1 sync"]
    )
    role: Role = Field("erp_client", description="Role the key acts with.")


class ApiKeyOut(BaseModel):
    model_config = example(API_KEY_OUT)

    id: int = Field(description="Key id.")
    name: str = Field(description="What the key is for.")
    prefix: str = Field(description="First characters, to recognise the key.")
    role: Role = Field(description="Role the key acts with.")
    created_at: datetime = Field(description="When it was issued (UTC).")
    key: str | None = Field(None, description="The secret: shown once, at creation only.")
