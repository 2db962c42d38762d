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
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from creditguard.cli.admin import ensure_company, prepare
from creditguard.cli.common import LangOption, grouped, opened, out, parse_date
from creditguard.clock import SystemClock, business_today
from creditguard.core.errors import invalid
from creditguard.identity.schemas import CompanyIn
from creditguard.imports.reader import read
from creditguard.imports.service import message, run_import
from creditguard.synth import IMPORT_FILES, Manifest, check_inputs, generate, write

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
        Path | None,
        typer.Option(
            "--out", help="Directory to write into (a temporary one with --database-url)."
        ),
    ] = None,
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
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="Also load it into this database through the importer (all or nothing).",
        ),
    ] = None,
    company: Annotated[
        str, typer.Option("--company", help="Company to load into (created if missing).")
    ] = "SYNTH",
    lang: LangOption = "en",
) -> None:
    """Write a synthetic portfolio (import files, ground truth, manifest) into --out,
    and with --database-url load it into that database exactly as an ERP file would be."""
    if out_dir is None and database_url is None:
        raise typer.BadParameter("give --out DIR, --database-url URL, or both", param_hint="--out")
    with tempfile.TemporaryDirectory(prefix="creditguard-synth-") as scratch:
        _run(
            out_dir or Path(scratch),
            Spec(customers, invoices, seed, currencies, as_of),
            database_url=database_url,
            company=company,
            lang=lang,
        )


@dataclass(frozen=True, slots=True)
class Spec:
    customers: int
    invoices: int
    seed: int
    currencies: str
    as_of: str | None


def _run(out_dir: Path, spec: Spec, *, database_url: str | None, company: str, lang: str) -> None:
    customers, invoices, seed = spec.customers, spec.invoices, spec.seed
    as_of, currencies = spec.as_of, spec.currencies
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
    if database_url is not None:
        _load(database_url, company, out_dir, lang)


def _load(database_url: str, company: str, folder: Path, lang: str) -> None:
    """Import every file, in order, through the same path as `creditguard import`."""
    with opened(database_url, must_exist=False) as db:
        prepare(db, lang)
        owner = ensure_company(db, CompanyIn(code=company, name=company), lang)
        refused = False
        for kind, name in IMPORT_FILES.items():
            with out().status(escape(f"{kind} ← {name}")):
                report = run_import(db, owner.actor, kind, read(kind, folder / name), SystemClock())
            totals = ", ".join(f"{c} {v}" for c, v in report.totals.items()) or "-"
            out().print(
                f"{kind}: rows {report.rows}, inserted {report.inserted}, unchanged "
                f"{report.unchanged}, errors {len(report.errors)}; totals {totals}",
                markup=False,
            )
            for error in report.errors[:20]:
                out().print(
                    f"  row {error.row} {error.column}: {message(error, lang)}", markup=False
                )
            refused = refused or report.refused
    if refused:
        raise typer.Exit(1)


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
