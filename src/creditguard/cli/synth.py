"""``creditguard synth``: a synthetic portfolio in the import formats, with its ground truth.

Writes ``customers.csv``, ``orders.csv``, ``invoices.csv``, ``credit_notes.csv`` and
``payments.csv`` (exactly the import formats), ``truth/`` and ``manifest.json`` into ``--out``,
then prints the row counts and control totals. The business date is read from the clock only
here, when ``--as-of`` is not given (today in Asia/Shanghai).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from creditguard.cli.common import LangOption, grouped, out, parse_date
from creditguard.clock import SystemClock, business_today
from creditguard.core.errors import invalid
from creditguard.synth import Manifest, check_inputs, generate, write

TIMEZONE = "Asia/Shanghai"

# key -> (English, 简体中文)
TEXTS: Mapping[str, tuple[str, str]] = {
    "generating": (
        "Generating {customers} customers and {invoices} invoices (seed {seed}, as of {as_of})...",
        "正在生成 {customers} 个客户、{invoices} 张发票（种子 {seed}，截至 {as_of}）……",
    ),
    "writing": ("Writing {out}...", "正在写入 {out}……"),
    "title": ("Synthetic portfolio in {out}", "合成组合：{out}"),
    "file": ("File", "文件"),
    "rows": ("Rows", "行数"),
    "done": (
        "Done in {seconds:.1f} s: seed {seed}, as of {as_of}, main currency {main}.",
        "完成，用时 {seconds:.1f} 秒：种子 {seed}，截至 {as_of}，主币种 {main}。",
    ),
    "not_writable": (
        "cannot write to this directory ({detail})",
        "无法写入该目录（{detail}）",
    ),
}


def _say(key: str, lang: str, **params: object) -> str:
    english, chinese = TEXTS[key]
    return (chinese if lang.startswith("zh") else english).format(**params)


def synth(  # noqa: PLR0913 - the options are the interface
    *,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Directory to write into (created if missing).")
    ],
    customers: Annotated[int, typer.Option("--customers", help="Number of customers.")] = 1000,
    invoices: Annotated[
        int, typer.Option("--invoices", help="Number of invoices (at least one per customer).")
    ] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same files.")] = 7,
    currencies: Annotated[
        str,
        typer.Option(
            "--currencies", help="Comma-separated ISO 4217 codes; the first is the main currency."
        ),
    ] = "CNY,USD,EUR",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Last day of the history, YYYY-MM-DD (default: today)."),
    ] = None,
    lang: LangOption = "en",
) -> None:
    """Write a synthetic portfolio (import files, ground truth, manifest) into --out."""
    day = parse_date("as_of", as_of) if as_of else business_today(SystemClock(), TIMEZONE)
    codes = check_inputs(customers=customers, invoices=invoices, currencies=currencies.split(","))
    _writable(out_dir)
    started = time.perf_counter()
    console = out()
    params = {"customers": customers, "invoices": invoices, "seed": seed, "as_of": day}
    with console.status(escape(_say("generating", lang, **params))):
        portfolio = generate(
            customers=customers, invoices=invoices, seed=seed, as_of=day, currencies=codes
        )
    with console.status(escape(_say("writing", lang, out=out_dir))):
        manifest = write(portfolio, out_dir)
    console.print(summary(manifest, out_dir, lang))
    done = _say(
        "done", lang, seconds=time.perf_counter() - started, seed=seed, as_of=day, main=codes[0]
    )
    console.print(done, markup=False, soft_wrap=True)


def _writable(directory: Path) -> None:
    """Create ``directory`` if need be and make sure a file can be written into it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        detail = error.strerror or type(error).__name__
        raise invalid(
            "out",
            str(directory),
            "invalid",
            reason=_say("not_writable", "en", detail=detail),
            reason_zh=_say("not_writable", "zh-CN", detail=detail),
        ) from None


def summary(manifest: Manifest, directory: Path, lang: str) -> Table:
    """Rows and control totals per file (one column per currency)."""
    table = Table(title=escape(_say("title", lang, out=directory)), title_justify="left")
    table.add_column(_say("file", lang))
    table.add_column(_say("rows", lang), justify="right")
    for currency in manifest.currencies:
        table.add_column(currency, justify="right")
    for name, file in manifest.files.items():
        totals = [grouped(file.totals[c]) if c in file.totals else "" for c in manifest.currencies]
        label = name if file.column in {None, "amount"} else f"{name} ({file.column})"
        table.add_row(label, f"{file.rows:,}", *totals)
    return table
