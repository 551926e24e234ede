"""The built-in `notification` step type: one message to every configured channel.

Follows KubeVela's `notification.cue`: `dingding`, `lark` and `slack` each POST their `message` property,
as given, as JSON to their webhook URL (a `value` or a `secretRef`); `email` sends `content` over SMTP
(like KubeVela's gomail sender: implicit TLS on port 465, else STARTTLS when the server offers it; login
when a password is given and the server offers AUTH; an HTML body).

All URLs and passwords are resolved before anything is sent, so a missing secret fails the step without
a message going out. Then every channel is tried, even after one fails, and the step:

* succeeds when all were sent;
* fails (terminal) when any channel was refused (a 4xx answer, a 5xx SMTP reply, a bad address);
* else raises TransientError (timeouts, connection errors, 5xx/429 answers, 4xx SMTP replies).

A retry sends to every channel again, including those that had succeeded: the step has no memory
between attempts. HTTP channels carry `Idempotency-Key`, the email a `Message-ID`, both derived from
`ctx.idempotency_key`, for receivers that deduplicate.
"""

from __future__ import annotations

import ipaddress
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Any

from vessel.errors import TransientError, ValidationError
from vessel.workflow.step_api import Outcome, StepContext, StepFunction
from vessel.workflow.steps.http_steps import (
    EXCERPT_CHARS,
    TIMEOUT_SECONDS,
    Target,
    judge,
    resolve,
    send,
)

WEBHOOK_CHANNELS = ("dingding", "lark", "slack")  # KubeVela's order; email comes last
SMTPS_PORT = 465

Sender = Callable[[], str | None]  # sends one channel: None when sent, else why it was refused


def notification(ctx: StepContext) -> Outcome:
    senders: dict[str, Sender] = {}
    for channel in WEBHOOK_CHANNELS:
        if (spec := ctx.properties.get(channel)) is not None:
            senders[channel] = _webhook_sender(ctx, channel, spec)
    if (spec := ctx.properties.get("email")) is not None:
        senders["email"] = _email_sender(ctx, spec)
    if not senders:
        return Outcome.succeeded(message="no channel configured")

    sent: list[str] = []
    refused: list[str] = []
    retryable: list[str] = []
    for channel, sender in senders.items():
        try:
            problem = sender()
        except TransientError as exc:
            retryable.append(exc.message)
            continue
        if problem is None:
            sent.append(channel)
        else:
            refused.append(problem)

    done = f" (sent: {', '.join(sent)})" if sent else ""
    if refused:
        return Outcome.failed("; ".join(refused + retryable) + done, reason="NotificationFailed")
    if retryable:
        raise TransientError("; ".join(retryable) + done)
    return Outcome.succeeded(message=f"sent: {', '.join(sent)}")


def _webhook_sender(ctx: StepContext, channel: str, spec: Mapping[str, Any]) -> Sender:
    step_type = f"notification.{channel}"
    url = resolve(ctx, spec["url"], (channel, "url"))
    target = Target.parse(step_type, url, ctx.app.where((*ctx.step.path, "properties", channel, "url")))
    message = spec["message"]

    def deliver() -> str | None:
        response = send(step_type, ctx, "POST", target, json_body=message)
        failure = judge(step_type, "POST", target, response)
        return failure.message if failure else None

    return deliver


# --- email ---------------------------------------------------------------------------------------------


def _email_sender(ctx: StepContext, spec: Mapping[str, Any]) -> Sender:
    sender = spec["from"]
    host, port = str(sender["host"]), int(sender.get("port", 587))
    address = str(sender["address"])
    password = resolve(ctx, sender["password"], ("email", "from", "password"))
    recipients = [str(to) for to in spec.get("to") or ()]
    where = ctx.app.where((*ctx.step.path, "properties", "email"))
    if not recipients:
        raise ValidationError("notification.email: `to` lists no recipient", where)
    message = _email_message(ctx, spec, recipients)
    what = f"notification.email: SMTP {host}:{port}"

    def deliver() -> str | None:
        try:
            with _connect(host, port) as smtp:
                encrypted = port == SMTPS_PORT
                smtp.ehlo()
                if not encrypted and smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                    encrypted = True
                if password and smtp.has_extn("auth"):
                    if not encrypted and not _is_loopback(host):
                        return f"{what} offers no TLS: refusing to send the password in clear text"
                    smtp.login(address, password)
                rejected = smtp.send_message(message, from_addr=address, to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            return _refused(what, exc.recipients, everyone=True)
        except smtplib.SMTPResponseException as exc:
            reply = f"{what} replied {exc.smtp_code} {_text(exc.smtp_error)}"
            if 400 <= exc.smtp_code < 500:
                raise TransientError(reply) from None
            return reply
        except smtplib.SMTPServerDisconnected as exc:
            raise TransientError(f"{what} failed: {_cause(exc)}") from None
        except smtplib.SMTPException as exc:  # e.g. no AUTH mechanism both sides know
            return f"{what}: {_cause(exc)}"
        except OSError as exc:  # refused, reset, unreachable, timed out, TLS failure
            raise TransientError(f"{what} failed: {_cause(exc)}") from None
        return _refused(what, rejected) if rejected else None

    return deliver


def _email_message(ctx: StepContext, spec: Mapping[str, Any], recipients: list[str]) -> EmailMessage:
    sender, content = spec["from"], spec["content"]
    alias = sender.get("alias")
    message = EmailMessage()
    try:
        message["From"] = formataddr((alias, sender["address"])) if alias else sender["address"]
        message["To"] = ", ".join(recipients)
        message["Subject"] = content["subject"]
        message["Date"] = formatdate(ctx.now, usegmt=True)
        message["Message-ID"] = f"<{re.sub(r'[^A-Za-z0-9.-]', '-', ctx.idempotency_key)}@vessel>"
        message.set_content(content["body"], subtype="html")  # as KubeVela's sender does
    except (ValueError, TypeError) as exc:  # e.g. a line break in the subject, a malformed address
        where = ctx.app.where((*ctx.step.path, "properties", "email"))
        raise ValidationError(f"notification.email: cannot build the message: {exc}", where) from None
    return message


def _connect(host: str, port: int) -> smtplib.SMTP:
    # local_hostname: like Go's net/smtp, greet as "localhost" rather than wait for getfqdn()'s DNS.
    if port == SMTPS_PORT:
        context = ssl.create_default_context()
        return smtplib.SMTP_SSL(host, port, "localhost", timeout=TIMEOUT_SECONDS, context=context)
    return smtplib.SMTP(host, port, "localhost", timeout=TIMEOUT_SECONDS)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refused(what: str, recipients: Mapping[str, tuple[int, bytes]], everyone: bool = False) -> str:
    """Why recipients were refused; TransientError if none got the mail and every refusal is temporary."""
    listed = ", ".join(f"{to} ({code} {_text(reply)})" for to, (code, reply) in recipients.items())
    if everyone and all(400 <= code < 500 for code, _ in recipients.values()):
        raise TransientError(f"{what} refused recipients for now: {listed}")
    return f"{what} refused recipients: {listed}"


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "..."


def _cause(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"timed out after {TIMEOUT_SECONDS:g}s"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return _text(str(exc)) or type(exc).__name__


STEPS: dict[str, StepFunction] = {"notification": notification}
