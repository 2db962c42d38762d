"""Input and output shapes for companies, users, logins and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["admin", "credit_manager", "collector", "approver", "sales", "viewer", "erp_client"]


class Strict(BaseModel):
    """Unknown (or privileged) fields in a body are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CompanyIn(Strict):
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
    id: int = Field(description="Company id.")
    code: str = Field(description="Short unique code.")
    name: str = Field(description="Legal name.")
    base_currency: str = Field(description="ISO 4217 currency of totals.")
    timezone: str = Field(description="IANA time zone.")
    locale: str = Field(description="Default language.")
    country: str = Field(description="ISO 3166 country.")


class UserIn(Strict):
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
    id: int = Field(description="User id.")
    email: str = Field(description="Login e-mail.")
    display_name: str = Field(description="Name shown on screens.")
    role: Role = Field(description="What the user may do.")
    is_active: bool = Field(description="False once deactivated.")
    created_at: datetime = Field(description="When the user was added (UTC).")


class LoginIn(Strict):
    company: str = Field(description="Company code.", examples=["ACME"])
    email: str = Field(description="Login e-mail.", examples=["li.na@example.cn"])
    password: str = Field(description="Password.", examples=["correct horse battery"])


class TokenOut(BaseModel):
    access_token: str = Field(description="Send as 'Authorization: Bearer <token>'.")
    token_type: Literal["bearer"] = Field("bearer", description="Always 'bearer'.")
    expires_at: datetime = Field(description="When the token stops working (UTC).")
    role: Role = Field(description="The user's role.")


class ApiKeyIn(Strict):
    name: str = Field(
        min_length=1, max_length=100, description="What the key is for.", examples=["SAP B1 sync"]
    )
    role: Role = Field("erp_client", description="Role the key acts with.")


class ApiKeyOut(BaseModel):
    id: int = Field(description="Key id.")
    name: str = Field(description="What the key is for.")
    prefix: str = Field(description="First characters, to recognise the key.")
    role: Role = Field(description="Role the key acts with.")
    created_at: datetime = Field(description="When it was issued (UTC).")
    key: str | None = Field(None, description="The secret: shown once, at creation only.")
