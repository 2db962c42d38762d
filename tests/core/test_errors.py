"""The catalogue of error messages: every code speaks English and Chinese, with the same facts."""

from __future__ import annotations

import string

import pytest

from creditguard.core.errors import MESSAGES, Conflict, Problem, render

# Codes whose text is given by the caller in both languages (reason / reason_zh).
PASS_THROUGH = {"invalid", "state"}


def _placeholders(template: str) -> set[str]:
    """The parameters a template names, a Chinese one's ``*_zh`` counted as the English one."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return {name.removesuffix("_zh") for name in names}


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_code_has_english_and_chinese_with_the_same_parameters(code: str) -> None:
    english, chinese = MESSAGES[code]
    assert english.strip()
    assert chinese.strip()
    assert _placeholders(english) == _placeholders(chinese)
    if code not in PASS_THROUGH:
        assert english != chinese
        assert _has_chinese(chinese)
        assert not _has_chinese(english)


def test_the_checks_can_fail() -> None:
    """A Chinese template that drops a fact, or one left in English, is caught."""
    assert _placeholders("the limit of {limit} bytes ({limit_shown})") != _placeholders(
        "超过大小上限 {limit} 字节"
    )
    assert not _has_chinese("the file is larger than the limit")


UPLOAD_HINT_EN = (
    "'multipart/form-data' is a form encoding, not a file: send the file itself as the raw "
    "request body with its own Content-Type, e.g. curl --data-binary @file "
    "-H 'Content-Type: application/pdf' (not curl -F); nothing was stored"
)
UPLOAD_HINT_ZH = (
    "'multipart/form-data' 是表单编码而不是文件：请将文件本身作为原始请求体发送，并注明其 "
    "Content-Type，例如 curl --data-binary @文件 -H 'Content-Type: application/pdf'"
    "（不要用 curl -F）；未保存任何内容"
)


@pytest.mark.parametrize(
    ("code", "params", "english", "chinese"),
    [
        (
            "file_too_large",
            {"value": 65, "limit": 20971520, "limit_shown": "20 MiB"},
            "the file is larger than the limit of 20971520 bytes (20 MiB)",
            "文件超过大小上限 20971520 字节（20 MiB）",
        ),
        (
            "unsupported_file_type",
            {"value": "image/gif", "accepted": "PDF or PNG", "accepted_zh": "PDF 或 PNG"},
            "the content is image/gif; accepted: PDF or PNG",
            "文件内容为 image/gif；仅接受 PDF 或 PNG",
        ),
        (
            "raw_body_required",
            {"value": "multipart/form-data; boundary=x", "media_type": "multipart/form-data"},
            UPLOAD_HINT_EN,
            UPLOAD_HINT_ZH,
        ),
        (
            "review_running",
            {"value": 7},
            "a limit review of this company is already running; nothing was written",
            "该公司的额度复评正在运行；本次未写入任何内容",
        ),
    ],
)
def test_the_dedicated_codes_render_in_both_languages(
    code: str, params: dict[str, object], english: str, chinese: str
) -> None:
    assert render(code, params, "en") == english
    assert render(code, params, "zh-CN") == chinese


def test_an_error_names_field_value_and_code() -> None:
    error = Conflict.of("company", 7, "review_running")
    assert error.problems == (Problem("company", 7, "review_running", {}),)
    assert error.message("zh-CN") == "company: 该公司的额度复评正在运行；本次未写入任何内容"
