"""Secrets for `%emr connect`: Basic/LDAP passwords and local-endpoint tokens, never from the magic line.

A password comes from `$EMRLAB_LIVY_PASSWORD`, Secrets Manager (`--password-secret NAME`) or a getpass
prompt; a local endpoint's token from `$EMRLAB_LIVY_TOKEN`, the connection file the endpoint writes, or a
prompt. Options such as `--password` / `--token` are refused before parsing so the value is never echoed.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from emrlab.magics.errors import ConfigurationError

PASSWORD_ENV = "EMRLAB_LIVY_PASSWORD"
TOKEN_ENV = "EMRLAB_LIVY_TOKEN"
_SECRET_OPTIONS = ("--password", "--passwd", "--pass", "--token", "--secret", "-p")

Prompt = Callable[[str], str]


def reject_secret_options(tokens: Sequence[str]) -> None:
    """Raise ConfigurationError if a secret was typed on the magic line (it would land in the notebook)."""
    for token in tokens:
        option = token.split("=", 1)[0]
        if option in _SECRET_OPTIONS:
            raise ConfigurationError(
                f"{option} is not accepted on the magic line: the value would be saved in the notebook and "
                f"its history. Set ${PASSWORD_ENV} (password) or ${TOKEN_ENV} (token) in the kernel's "
                "environment, use --password-secret NAME (AWS Secrets Manager), or leave it out for a prompt."
            )


def _prompt(prompt: Prompt | None, what: str, remedy: str) -> str:
    ask = prompt or getpass.getpass
    try:
        value = ask(f"{what}: ")
    except Exception as exc:  # StdinNotImplementedError in kernels without stdin (nbclient, papermill)
        if type(exc).__name__ not in ("StdinNotImplementedError", "EOFError", "OSError"):
            raise
        raise ConfigurationError(f"cannot prompt for the {what.lower()} here (no stdin): {remedy}") from None
    if not value:
        raise ConfigurationError(f"no {what.lower()} given: {remedy}")
    return value


def secret_from_secrets_manager(name: str, *, session: Any, key: str = "password") -> str:
    """The password stored in Secrets Manager under `name` (plain string, or JSON with a `password` key)."""
    try:
        reply = session.client("secretsmanager").get_secret_value(SecretId=name)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code")
        if code is None:
            raise
        raise ConfigurationError(
            f"cannot read secret {name!r} from Secrets Manager ({code}): check the name, the region and "
            "that your role allows secretsmanager:GetSecretValue"
        ) from None
    value = str(reply.get("SecretString") or "")
    if value.startswith("{"):
        try:
            data = json.loads(value)
        except ValueError:
            data = None
        if isinstance(data, dict):
            if key not in data:
                raise ConfigurationError(
                    f"secret {name!r} is JSON without a {key!r} key: add one or store the bare value"
                )
            return str(data[key])
    if not value:
        raise ConfigurationError(f"secret {name!r} has no SecretString: store the password as a string")
    return value


def basic_password(
    *, user: str, secret_name: str | None = None, session: Any = None, prompt: Prompt | None = None
) -> str:
    """Basic/LDAP password of `user`: Secrets Manager if named, else $EMRLAB_LIVY_PASSWORD, else a prompt."""
    if secret_name:
        if session is None:
            raise ConfigurationError("--password-secret needs AWS credentials: pass --region/--profile")
        return secret_from_secrets_manager(secret_name, session=session)
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    return _prompt(
        prompt,
        f"Livy password for {user}",
        f"set ${PASSWORD_ENV} in the kernel's environment or use --password-secret NAME",
    )


def read_connection_file(path: Path) -> dict[str, Any] | None:
    """The JSON a local endpoint writes ({url, token, pid, auth, ca_file}), or None if absent/unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def local_token(
    url: str | None, *, connection_file: Path | None, prompt: Prompt | None = None, ask: bool = True
) -> str | None:
    """The bearer token for a local endpoint: $EMRLAB_LIVY_TOKEN, its connection file (when the URL matches),
    else a prompt (or None when `ask` is false)."""
    from_env = os.environ.get(TOKEN_ENV)
    if from_env:
        return from_env
    if connection_file is not None:
        data = read_connection_file(connection_file)
        if data and data.get("token") and (url is None or _same_url(str(data.get("url", "")), url)):
            return str(data["token"])
    if not ask:
        return None
    return _prompt(
        prompt,
        "Livy token",
        f"set ${TOKEN_ENV} in the kernel's environment (the endpoint prints its token at start)",
    )


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")
