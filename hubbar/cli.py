"""flask hubbar …: thin wrappers over operations."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from hubbar.errors import DomainError

hubbar_cli = AppGroup("hubbar", help="hubbar administration.")


@hubbar_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Load only when the database has no data.")
def demo_command(if_empty: bool) -> None:
    """Load the demo (the real pilot at Kungsklippan 6) and print the demo logins."""
    from hubbar.demo import DEMO_PASSWORD, is_empty, load_demo

    if not is_empty():
        if if_empty:
            click.echo("The database has data already; the demo is not loaded again.")
            _print_logins(DEMO_PASSWORD)
            return
        raise click.ClickException("The database is not empty; the demo needs an empty one.")
    load_demo()
    click.echo("Demo data loaded.")
    _print_logins(DEMO_PASSWORD)


def _print_logins(password: str) -> None:
    from hubbar.demo import DEMO_LOGINS

    click.echo("")
    click.echo(f"Demo logins (password: {password}):")
    for email, role in DEMO_LOGINS:
        click.echo(f"  {email:<48} {role}")
    click.echo("")


@hubbar_cli.command("create-admin")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option("--organisation", required=True, help="Short code or name of the organisation.")
@click.password_option(help="At least 12 characters.")
def create_admin_command(email: str, name: str, organisation: str, password: str) -> None:
    """Create a system administrator."""
    from hubbar.accounts import operations as ops
    from hubbar.accounts.models import Role

    org = ops.find_organisation(organisation)
    if org is None:
        raise click.ClickException(f"Unknown organisation: {organisation}")
    try:
        user = ops.create_user(None, email, name, org, password=password)
        ops.assign_role(None, user, Role.SYSTEM_ADMIN)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"System administrator {user.email} created.")


@hubbar_cli.command("create-organisation")
@click.argument("name")
@click.argument("code")
@click.option(
    "--kind",
    type=click.Choice(["administration", "municipality", "company"]),
    default="administration",
)
def create_organisation_command(name: str, code: str, kind: str) -> None:
    """Create an organisation (for a first administrator on an empty database)."""
    from hubbar.accounts.models import OrganisationKind
    from hubbar.accounts.operations import create_organisation

    try:
        org = create_organisation(None, name, code, OrganisationKind(kind))
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"Organisation {org.name} ({org.code}) created.")


@hubbar_cli.command("import-users")
@click.argument("path", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Check every row, save nothing.")
def import_users_command(path, dry_run: bool) -> None:
    """Import users from CSV (email,name,organisation); prints what was refused and why."""
    from hubbar.accounts.operations import import_users

    try:
        report = import_users(None, path.read(), dry_run=dry_run)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    verb = "would be created" if dry_run else "created"
    click.echo(f"{len(report.accepted)} users {verb}, {len(report.refused)} rows refused.")
    for row in report.refused:
        click.echo(f"  row {row.line}: {row.email or '-'}: {row.reason}")


def init_app(app: Flask) -> None:
    app.cli.add_command(hubbar_cli)
