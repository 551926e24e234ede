"""A shared service binding's secret holds its host, port, database and user names beside the password
(the component's env reads them all from it), but only the password and the URL holding it are secrets:
`127.0.0.1` in an endpoint or an application's database name in a message is shown as it is, whether
this process read the binding's files itself or not, while the password stays masked everywhere."""

from __future__ import annotations

from vessel.model import redaction, secret_files
from vessel.targets.local.binding_spec import Binding, write_secret
from vessel.targets.local.postgresql.provision import PUBLIC, _values

PASSWORD = "s3cret-Pa55word-0123456789"


def bind() -> None:
    binding = Binding(
        "default_shop_local", "postgresql-default-shop-local", "keep", "spec.bindings.postgresql"
    )
    write_secret(binding, _values("default_shop_local", PASSWORD, 54321), PUBLIC)


TEXT = f"endpoint http://127.0.0.1:8090, database default_shop_local, password {PASSWORD}"
SHOWN = "endpoint http://127.0.0.1:8090, database default_shop_local, password ***"


def test_a_process_that_read_nothing_masks_only_the_password() -> None:
    bind()
    redaction.KNOWN.forget_all()  # e.g. `vessel status` in a new process: it reads every secret file itself
    assert redaction.redact(TEXT) == SHOWN


def test_a_process_that_read_the_bindings_files_masks_only_the_password() -> None:
    bind()
    redaction.KNOWN.forget_all()
    for key in ("DATABASE_URL", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"):
        secret_files.read("postgresql-default-shop-local", key)  # as the local target does at a start
    assert redaction.redact(TEXT) == SHOWN
