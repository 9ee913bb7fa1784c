"""`dbutils.widgets` for converted notebooks: widget values are the notebook's parameters.

The converter turns widgets into a parameters cell (papermill / EMR notebook executions inject values
after it) or into `--name value` arguments of a script; either way each widget is a global variable of
the notebook. `get(name)` reads that variable from the caller's globals and always returns a string.
"""

from __future__ import annotations

import keyword
import os
import re
import sys
from typing import Any

__all__ = [
    "InputWidgetNotDefined",
    "combobox",
    "dropdown",
    "get",
    "getAll",
    "getArgument",
    "get_all",
    "multiselect",
    "remove",
    "removeAll",
    "text",
    "variable_name",
]

WIDGETS_GLOBAL = "__emrlab_widgets__"
ENV_PREFIX = "EMRLAB_WIDGET_"
# Soft keywords (Python >= 3.10) are renamed too, whatever Python runs this, as the converter does.


class InputWidgetNotDefined(LookupError):  # noqa: N818 (Databricks' name)
    """`get` found no value for a widget: not a parameter, no default, no environment variable."""


def variable_name(name: str) -> str:
    """The Python variable holding widget `name` (`my-param` -> `my_param`, `class` -> `class_`,
    `1st` -> `_1st`), as the converter's parameters cell names it."""
    ident = re.sub(r"\W", "_", name) or "_"
    if ident[0].isdigit():
        ident = "_" + ident
    if keyword.iskeyword(ident):  # soft keywords (match, type) are valid names
        ident += "_"
    return ident


def env_name(name: str) -> str:
    """The environment variable that may hold widget `name` (`EMRLAB_WIDGET_MY_PARAM`)."""
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9_]", "_", name).upper()


def as_text(value: Any) -> str:
    """A parameter value as the string Databricks would give (papermill may inject ints, bools, lists)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):  # a multiselect's values
        return ",".join(as_text(item) for item in value)
    return str(value)


def _lookup(name: str, namespace: dict[str, Any]) -> Any:
    """The value of widget `name` in `namespace`; a KeyError when it is not there."""
    var = variable_name(name)
    if var in namespace:
        return namespace[var]
    return namespace[name]  # a converter that did not rename (e.g. `type` on Python < 3.12)


def _get(name: str, default: str | None, namespace: dict[str, Any]) -> str:
    try:
        return as_text(_lookup(name, namespace))
    except KeyError:
        pass
    if default is not None:
        return as_text(default)
    env = os.environ.get(env_name(name))
    if env is not None:
        return env
    var = variable_name(name)
    raise InputWidgetNotDefined(
        f"No input widget named {name!r} is defined. Give the notebook a parameter: assign {var} = '...' "
        f"in its parameters cell (papermill: -p {var} VALUE), pass --{name} VALUE to the script, set the "
        f"environment variable {env_name(name)}, or define it with widgets.text({name!r}, 'default')."
    )


def get(name: str, default: str | None = None) -> str:
    """The value of widget `name`: the caller's global variable, else `default`, else the environment
    variable `EMRLAB_WIDGET_<NAME>`, else InputWidgetNotDefined."""
    return _get(name, default, sys._getframe(1).f_globals)


def getArgument(name: str, defaultValue: str | None = None) -> str:  # noqa: N802, N803 (Databricks' names)
    """Deprecated Databricks alias of `get` with a default."""
    return _get(name, defaultValue, sys._getframe(1).f_globals)


def substitute(text: str) -> str:
    """`text` with every `${name}` replaced by widget `name`'s value (Databricks' SQL substitution)."""
    namespace = sys._getframe(1).f_globals
    return re.sub(r"\$\{(\w+)\}", lambda match: _get(match.group(1), None, namespace), text)


def _all(namespace: dict[str, Any]) -> dict[str, str]:
    names = namespace.get(WIDGETS_GLOBAL) or ()
    return {name: _get(name, None, namespace) for name in names}


def get_all() -> dict[str, str]:
    """Every widget of the caller (the names in its global `__emrlab_widgets__`) with its value."""
    return _all(sys._getframe(1).f_globals)


def getAll() -> dict[str, str]:  # noqa: N802 (Databricks' name)
    """Databricks' name for `get_all`."""
    return _all(sys._getframe(1).f_globals)


def _define(name: str, default: Any, namespace: dict[str, Any]) -> None:
    """Give widget `name` a value unless the notebook has one (from its parameters or arguments)."""
    var = variable_name(name)
    if var not in namespace:
        env = os.environ.get(env_name(name))
        namespace[var] = env if env is not None else as_text(default)
    names = tuple(namespace.get(WIDGETS_GLOBAL) or ())
    if name not in names:
        namespace[WIDGETS_GLOBAL] = (*names, name)


def _check_choice(name: str, default: str, choices: Any) -> None:
    if choices is not None and default not in [as_text(choice) for choice in choices]:
        raise ValueError(f"widget {name!r}: default value {default!r} is not one of the choices {choices!r}")


def text(name: str, defaultValue: str, label: str | None = None) -> None:  # noqa: N803
    """Define a text widget: its value is `defaultValue` unless the notebook got a parameter `name`."""
    _define(name, defaultValue, sys._getframe(1).f_globals)


def dropdown(name: str, defaultValue: str, choices: Any = None, label: str | None = None) -> None:  # noqa: N803
    """Define a dropdown widget (`defaultValue` must be one of `choices`)."""
    _check_choice(name, defaultValue, choices)
    _define(name, defaultValue, sys._getframe(1).f_globals)


def combobox(name: str, defaultValue: str, choices: Any = None, label: str | None = None) -> None:  # noqa: N803
    """Define a combobox widget (any value is allowed)."""
    _define(name, defaultValue, sys._getframe(1).f_globals)


def multiselect(name: str, defaultValue: str, choices: Any = None, label: str | None = None) -> None:  # noqa: N803
    """Define a multiselect widget; its value is the selected choices joined by ","."""
    for item in as_text(defaultValue).split(","):
        _check_choice(name, item, choices)
    _define(name, defaultValue, sys._getframe(1).f_globals)


def remove(name: str) -> None:
    """No-op: parameters cannot be removed from a running notebook."""


def removeAll() -> None:  # noqa: N802 (Databricks' name)
    """No-op (see `remove`)."""
