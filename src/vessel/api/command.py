"""`vessel server [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE]` and `vessel server init --user NAME`.

FastAPI and uvicorn are imported only when the server starts, so the rest of the `vessel` command works
without the `server` extra; without it, `vessel server` says what to install.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Annotated

import typer

from vessel.controller.accounts import first_admin
from vessel.controller.audit import local_actor
from vessel.controller.reconcile_loop import check_interval
from vessel.errors import StoreUnavailableError, ValidationError, VesselError
from vessel.store.store import Store
from vessel.workflow.clock import SystemClock

DEFAULT_LISTEN = "127.0.0.1:7300"
app = typer.Typer(help="Run Vessel as a shared service: the REST API and the controller loop.")


def _fail(exc: VesselError) -> typer.Exit:
    typer.echo(f"error: {exc.render()}", err=True)
    return typer.Exit(2 if isinstance(exc, StoreUnavailableError) else 1)


def parse_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValidationError(f"--listen: {listen!r} is not HOST:PORT", hint=f"e.g. {DEFAULT_LISTEN}")
    return host.strip("[]"), int(port)


def tls_files(cert: Path | None, key: Path | None) -> tuple[str, str] | None:
    """Neither option: None (plain HTTP). Both: the pair, loaded here — readable, and the key the
    certificate's — before the store is opened or anything listens, so a bad file is one error naming
    the options rather than a traceback from uvicorn. (One without the other is refused before this.)"""
    if cert is None or key is None:
        return None
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:  # ssl.SSLError first: it is an OSError too
        reason = str(exc) if isinstance(exc, ssl.SSLError) else (exc.strerror or str(exc))
        raise ValidationError(
            f"--tls-cert {cert} / --tls-key {key}: cannot be loaded: {reason}",
            hint="a PEM certificate and the PEM private key that belongs to it, both readable",
        ) from None
    return str(cert), str(key)


@app.callback(invoke_without_command=True)
def server(
    ctx: typer.Context,
    listen: Annotated[str, typer.Option(help="Address and port to serve the API on.")] = DEFAULT_LISTEN,
    interval: Annotated[float, typer.Option(help="Seconds between the controller loop's passes.")] = 2.0,
    metrics_token: Annotated[
        bool, typer.Option("--metrics-token", help="Require a bearer token for /metrics too.")
    ] = False,
    bad_tokens: Annotated[
        int, typer.Option(min=1, help="Bad tokens an address may send per minute before it gets 429.")
    ] = 10,
    tls_cert: Annotated[
        Path | None, typer.Option(help="PEM certificate (chain) to serve HTTPS with; needs --tls-key.")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert.")] = None,
) -> None:
    """Serve the API and run the controller loop until SIGTERM or Ctrl-C."""
    if ctx.invoked_subcommand is not None:
        return
    if (tls_cert is None) != (tls_key is None):
        missing = "--tls-key" if tls_key is None else "--tls-cert"
        given = "--tls-cert" if tls_key is None else "--tls-key"
        typer.echo(f"error: {given} needs {missing} too (both to serve HTTPS, or neither)", err=True)
        raise typer.Exit(2)
    try:
        host, port = parse_listen(listen)
        check_interval(interval)
        tls = tls_files(tls_cert, tls_key)
        from vessel.api.server import Server, configure_logging
        from vessel.api.state import Settings
    except VesselError as exc:
        raise _fail(exc) from None
    except ImportError as exc:
        typer.echo(f"error: {exc.name} is missing: pip install 'vessel[server]'", err=True)
        raise typer.Exit(2) from None
    configure_logging()
    try:
        store = Store.open()
    except VesselError as exc:
        raise _fail(exc) from None
    try:
        settings = Settings(metrics_need_token=metrics_token, interval=interval, bad_token_limit=bad_tokens)
        code = Server(store, host, port, settings, tls=tls).run()
    finally:
        store.close()
    raise typer.Exit(code)


@app.command()
def init(user: Annotated[str, typer.Option(help="Name of the first admin.")] = "admin") -> None:
    """Create the server's first admin and print its token (once: it is stored only as a hash)."""
    try:
        store = Store.open()
        try:
            issued = first_admin(store, user, SystemClock().now(), actor=local_actor())
        finally:
            store.close()
    except VesselError as exc:
        raise _fail(exc) from None
    typer.echo(f"admin {issued.user} created; its token (shown only now, keep it secret):", err=True)
    typer.echo(issued.token)
