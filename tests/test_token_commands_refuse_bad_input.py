"""`vessel user add` and `vessel token create|revoke` refuse what they cannot do with one clear error
naming the option or the name — a user name that is no DNS label, a user twice, a token for a user who
does not exist, an expiry that is no positive duration, revoking an unknown token — and store nothing
for it. A token printed is alone on stdout (so a script can capture it); its expiry is as asked."""

from __future__ import annotations

import time

from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.store.accounts import Accounts
from vessel.store.store import Store


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _tokens() -> int:
    store = Store.open()
    try:
        return len(Accounts(store).tokens())
    finally:
        store.close()


def test_bad_input_is_one_clear_error() -> None:
    assert _run("user", "add", "Not_A_Label")[0] == 1
    assert _run("user", "add", "ci")[0] == 0
    code, _, err = _run("user", "add", "ci")
    assert (code, "user 'ci' exists already" in err) == (1, True)
    code, _, err = _run("token", "create", "--user", "nobody")
    assert (code, "user 'nobody' not found" in err) == (1, True)
    for expiry in ("0d", "-5m", "soon", "99999999d"):
        code, _, err = _run("token", "create", "--user", "ci", "--expires", expiry)
        assert (code, "--expires" in err) == (1, True), (expiry, err)
    code, _, err = _run("token", "revoke", "nope")
    assert (code, "token 'nope' not found" in err) == (1, True)
    assert _tokens() == 0


def test_a_token_is_alone_on_stdout_and_expires_as_asked() -> None:
    assert _run("user", "add", "ci")[0] == 0
    before = time.time()
    code, out, _ = _run("token", "create", "--user", "ci", "--expires", "30d")
    assert code == 0
    assert out.count("\n") == 1 and out.startswith("vsl_")
    store = Store.open()
    try:
        (token,) = Accounts(store).tokens("ci")
    finally:
        store.close()
    assert token.expires_at is not None
    assert before + 30 * 86400 <= token.expires_at <= time.time() + 30 * 86400
