"""`dbutils.secrets` becomes `emrlab.runtime.secrets`, backed by AWS Secrets Manager."""

from __future__ import annotations

import libcst as cst

from emrlab.converters.findings import Severity
from emrlab.converters.pyengine import PythonRule, RuleContext, dotted, root_name, with_func
from emrlab.converters.rulebase import Example, Rule

METHODS = {"get", "getBytes", "list", "listScopes"}


class DbutilsSecrets(PythonRule):
    """Databricks secret scopes become AWS Secrets Manager secrets named `{scope}/{key}` (the template is
    configurable in the runtime), read with the cluster's or the user's IAM credentials."""

    id = "EMR013"
    name = "dbutils-secrets"
    message = "dbutils.secrets call now uses emrlab.runtime.secrets (AWS Secrets Manager)"
    candidates = ("secrets",)
    examples = (
        Example(
            'password = dbutils.secrets.get(scope="shop", key="db-password")',
            ('password = emrlab.runtime.secrets.get(scope="shop", key="db-password")',),
            flags=("EMR116",),
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call, rc: RuleContext) -> cst.BaseExpression:
        name = dotted(original.func)
        head = root_name(original.func)
        if not name or not name.startswith("dbutils.secrets.") or name.count(".") != 2:
            return updated
        if head is None or not rc.is_databricks(head) or name.rsplit(".", 1)[1] not in METHODS:
            return updated
        rc.replaced(original)
        rc.use_runtime()
        if name.endswith((".get", ".getBytes")):
            rc.flag(SecretNotRedacted, original)
        return with_func(updated, f"emrlab.runtime.secrets.{name.rsplit('.', 1)[1]}")


class SecretNotRedacted(Rule):
    """Databricks replaces a secret's value with `[REDACTED]` in cell output; Jupyter shows whatever is
    printed. Make sure the notebook never prints or displays the value."""

    id = "EMR116"
    name = "secret-not-redacted"
    message = "Jupyter does not redact secrets in output: never print or display this value"
    severity = Severity.INFO
    fix = "check the notebook does not print, log or display the secret"
