"""The ``creditguard`` command: set-up, administration, look-ups, the API server and the demo."""

from __future__ import annotations

import typer

from creditguard.cli import admin, demo, imports, lookups, models, rating, reports
from creditguard.cli import synth as synth_cli
from creditguard.cli.alerts import alert_app
from creditguard.cli.audit import audit_app
from creditguard.cli.common import CliGroup, current_lang, print_error
from creditguard.cli.credit import credit_app, notify_app
from creditguard.cli.limits import limit_app
from creditguard.core.errors import DomainError

app = typer.Typer(
    cls=CliGroup,
    name="creditguard",
    help="creditguard: trade-credit risk and receivables management.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold passwords and API secrets
)
app.command("init")(admin.init)
app.command("serve")(admin.serve)
app.command("demo")(demo.demo)
app.command("synth")(synth_cli.synth)
app.command("import")(imports.import_file)
app.command("template")(imports.template_file)
app.add_typer(admin.company_app, name="company")
app.add_typer(admin.user_app, name="user")
app.add_typer(admin.apikey_app, name="apikey")
app.add_typer(lookups.customer_app, name="customer")
app.add_typer(lookups.invoice_app, name="invoice")
app.add_typer(reports.report_app, name="report")
app.add_typer(models.model_app, name="model")
app.add_typer(rating.rating_app, name="rating")
app.add_typer(limit_app, name="limit")
app.add_typer(alert_app, name="alert")
app.add_typer(audit_app, name="audit")
app.add_typer(credit_app, name="credit")
app.add_typer(notify_app, name="notify")


def main() -> None:
    """Entry point of the ``creditguard`` script."""
    try:
        app()
    except DomainError as error:  # the root group renders these; this is the last line of defence
        print_error(error, current_lang())
        raise SystemExit(1) from None
