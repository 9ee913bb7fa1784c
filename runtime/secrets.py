"""`dbutils.secrets` on AWS Secrets Manager: scope `s` and key `k` are the secret named `s/k`.

The naming is a template: `configure(template=...)` or the environment variable `EMRLAB_SECRETS_TEMPLATE`
(default "{scope}/{key}"). A template without "{key}" names one secret per scope holding a JSON object,
whose members are the keys. Values are returned, never logged, printed or put in error messages; unlike
Databricks, notebook outputs are not redacted, so do not print them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from typing import Any, NamedTuple

from . import _aws

__all__ = [
    "SecretAccessDeniedError",
    "SecretError",
    "SecretMetadata",
    "SecretNotFoundError",
    "SecretScope",
    "configure",
    "get",
    "getBytes",
    "list",
    "listScopes",
]

DEFAULT_TEMPLATE = "{scope}/{key}"
TEMPLATE_ENV = "EMRLAB_SECRETS_TEMPLATE"
_settings: dict[str, str | None] = {}
_lock = threading.Lock()
_list = list  # the builtin, which this module's `list()` shadows


class SecretMetadata(NamedTuple):
    """A secret of a scope, as `dbutils.secrets.list` returns it."""

    key: str


class SecretScope(NamedTuple):
    """A scope, as `dbutils.secrets.listScopes` returns it."""

    name: str


class SecretError(Exception):
    """A secret could not be read. The message names the secret, never its value."""


class SecretNotFoundError(SecretError, KeyError):
    """No such secret in AWS Secrets Manager (or no such key in a JSON secret)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class SecretAccessDeniedError(SecretError, PermissionError):
    """AWS refused to read the secret (IAM policy or KMS key policy)."""


def configure(template: str = DEFAULT_TEMPLATE, region: str | None = None) -> None:
    """Name secrets with `template` ("{scope}" and optionally "{key}") in `region` (None: the default)."""
    if "{scope}" not in template or set(re.findall(r"{(\w*)}", template)) - {"scope", "key"}:
        raise ValueError(f"secret name template {template!r} must use {{scope}} and may use {{key}}")
    with _lock:
        _settings["template"] = template
        _settings["region"] = region


def _template() -> str:
    return _settings.get("template") or os.environ.get(TEMPLATE_ENV) or DEFAULT_TEMPLATE


def _client() -> Any:
    return _aws.client("secretsmanager", _settings.get("region"))


class _QuietWhileFetching(logging.Filter):
    """Drops botocore's DEBUG log of response bodies (which would hold the secret) during a fetch."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_fetching, "active", False)


_fetching = threading.local()
_QUIET = _QuietWhileFetching()


def _fetch(secret_id: str, what: str) -> dict[str, Any]:
    """get_secret_value for `secret_id`, with errors that say what to do."""
    from botocore.exceptions import ClientError

    logging.getLogger("botocore.parsers").addFilter(_QUIET)  # idempotent
    _fetching.active = True
    try:
        return _client().get_secret_value(SecretId=secret_id)  # type: ignore[no-any-return]
    except ClientError as err:
        code = _aws.error_code(err)
        if code == "ResourceNotFoundException":
            raise SecretNotFoundError(
                f"{what}: AWS Secrets Manager has no secret {secret_id!r}; create it (aws secretsmanager "
                f"create-secret --name {secret_id} ...) or change the naming with "
                f"emrlab.runtime.secrets.configure(template=...) / {TEMPLATE_ENV}"
            ) from err
        if code in ("AccessDeniedException", "AccessDenied") or code.startswith("KMS"):
            raise SecretAccessDeniedError(
                f"{what}: access to secret {secret_id!r} was denied ({code}); the cluster's instance "
                "role needs secretsmanager:GetSecretValue on it (and kms:Decrypt on its key)"
            ) from err
        raise SecretError(
            f"{what}: could not read secret {secret_id!r} ({code or type(err).__name__})"
        ) from err
    finally:
        _fetching.active = False


def _value(scope: str, key: str) -> str | bytes:
    """The secret's value: SecretString (str) or SecretBinary (bytes)."""
    template = _template()
    what = f"secret scope {scope!r} key {key!r}"
    secret_id = template.format(scope=scope, key=key)
    response = _fetch(secret_id, what)
    if "{key}" in template:
        if "SecretString" in response:
            return str(response["SecretString"])
        return bytes(response["SecretBinary"])
    try:
        members = json.loads(response.get("SecretString") or "")
    except ValueError:
        members = None
    if not isinstance(members, dict):
        raise SecretError(
            f"{what}: secret {secret_id!r} is not a JSON object of keys (template {template!r})"
        )
    if key not in members:
        raise SecretNotFoundError(f"{what}: the JSON secret {secret_id!r} has no key {key!r}")
    member = members[key]
    return member if isinstance(member, str) else json.dumps(member)


def get(scope: str, key: str) -> str:
    """The secret's value as text (a binary secret is decoded as UTF-8)."""
    value = _value(scope, key)
    return value.decode("utf-8") if isinstance(value, bytes) else value


def getBytes(scope: str, key: str) -> bytes:  # noqa: N802 (Databricks' name)
    """The secret's value as bytes (a text secret is encoded as UTF-8)."""
    value = _value(scope, key)
    return value if isinstance(value, bytes) else value.encode("utf-8")


def _names(prefix: str) -> _list[str]:
    """Names of the secrets starting with `prefix` (all secrets for "")."""
    pages = _client().get_paginator("list_secrets")
    options: dict[str, Any] = {"Filters": [{"Key": "name", "Values": [prefix]}]} if prefix else {}
    return [entry["Name"] for page in pages.paginate(**options) for entry in page.get("SecretList", [])]


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"({scope}|{key})", template)
    regex = "".join(
        "(?P<scope>.+?)" if part == "{scope}" else "(?P<key>.+)" if part == "{key}" else re.escape(part)
        for part in parts
    )
    return re.compile(regex + "$")


def list(scope: str) -> _list[SecretMetadata]:
    """The keys of `scope`, sorted."""
    template = _template()
    if "{key}" not in template:
        secret_id = template.format(scope=scope)
        members = json.loads(_fetch(secret_id, f"secret scope {scope!r}").get("SecretString") or "{}")
        return [SecretMetadata(key) for key in sorted(members)]
    prefix = template.split("{key}")[0].format(scope=scope)
    pattern = _pattern(template)
    keys = set()
    for name in _names(prefix):
        match = pattern.match(name)
        if match and match.group("scope") == scope:
            keys.add(match.group("key"))
    return [SecretMetadata(key) for key in sorted(keys)]


def listScopes() -> _list[SecretScope]:  # noqa: N802 (Databricks' name)
    """The scopes that hold at least one secret under the naming template, sorted."""
    template = _template()
    pattern = _pattern(template)
    scopes = {match.group("scope") for match in map(pattern.match, _names(template.split("{")[0])) if match}
    return [SecretScope(name) for name in sorted(scopes)]
