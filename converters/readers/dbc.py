"""NotebookV1 JSON, as found in `.dbc` archives and embedded in Databricks HTML exports."""

from __future__ import annotations

from typing import Any

from emrlab.converters.findings import InputError
from emrlab.converters.model import JSON, LANGUAGES, Cell, Language, Notebook, Origin, Widget
from emrlab.converters.readers.text import as_dict, as_str, expect

_EXTENSION_LANGUAGE: dict[str, Language] = {"python": "python", "scala": "scala", "sql": "sql", "r": "r"}


def read_notebook_v1(data: Any, path: str, where: str, fmt: str) -> Notebook:
    """Build a Notebook from NotebookV1 JSON; commands in `position` order, results dropped."""
    data = expect(data, dict, where, "notebook")
    if data.get("version") not in (None, "NotebookV1"):
        raise InputError(where, f"unsupported notebook version {data.get('version')!r}; expected NotebookV1")
    commands = expect(data.get("commands"), list, where, "commands")
    language = notebook_language(data.get("language"), where)
    cells: list[tuple[float, int, JSON]] = []
    for index, command in enumerate(commands):
        key = f"commands[{index}]"
        command = expect(command, dict, where, key)
        expect(command.get("command"), str, where, f"{key}.command")
        position = expect(command.get("position"), (int, float), where, f"{key}.position")
        cells.append((float(position), index, command))
    cells.sort(key=lambda item: (item[0], item[1]))
    notebook = Notebook(path, where, language, fmt, [])
    widgets: dict[str, Widget] = {}
    _add_widgets(widgets, data.get("inputWidgets"))
    for display_index, (_, _, command) in enumerate(cells):
        notebook.cells.append(_cell(command, Origin(where, display_index, _id(command))))
        _add_widgets(widgets, command.get("inputWidgets"))
        exit_value = _exit_value(command.get("results"))
        if exit_value is not None:
            notebook.metadata["exit_value"] = exit_value
    notebook.widgets = list(widgets.values())
    return notebook


def notebook_language(value: Any, where: str, default: Language | None = None) -> Language:
    if value is None and default is not None:
        return default
    if isinstance(value, str) and value.lower() in _EXTENSION_LANGUAGE:
        return _EXTENSION_LANGUAGE[value.lower()]
    raise InputError(where, f"unknown notebook language {value!r}; expected one of {', '.join(LANGUAGES)}")


def language_from_name(name: str) -> Language | None:
    return _EXTENSION_LANGUAGE.get(name.rsplit(".", 1)[-1].lower()) if "." in name else None


def _id(command: JSON) -> str | None:
    for key in ("guid", "nuid", "origId"):
        value = command.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def _cell(command: JSON, origin: Origin) -> Cell:
    title = command.get("commandTitle")
    title = title if isinstance(title, str) and title else None
    return Cell(command["command"], origin, title=title, show_title=bool(command.get("showCommandTitle")))


def _exit_value(results: Any) -> str | None:
    if isinstance(results, dict) and results.get("type") == "exit":
        data = results.get("data")
        return data if isinstance(data, str) else None
    return None


def _add_widgets(widgets: dict[str, Widget], raw: Any) -> None:
    if not isinstance(raw, dict):
        return
    for key, spec in raw.items():
        widget = widget_from_spec(key, spec)
        if widget and widget.name not in widgets:
            widgets[widget.name] = widget


def widget_from_spec(key: str, spec: Any) -> Widget | None:
    """A Widget from Databricks' `{currentValue, widgetInfo{widgetType, name, defaultValue, ...}}`."""
    if not isinstance(spec, dict):
        return None
    info = as_dict(spec.get("widgetInfo"))
    default = info.get("defaultValue", spec.get("currentValue", ""))
    if isinstance(default, list):
        default = ",".join(str(v) for v in default)
    choices = as_dict(info.get("options")).get("choices")
    return Widget(
        as_str(info.get("name")) or key,
        "" if default is None else str(default),
        as_str(info.get("widgetType")) or "text",
        as_str(info.get("label")),
        tuple(str(c) for c in choices) if isinstance(choices, list) else (),
    )
