"""jupyter_server handlers and the JupyterLab panel (TypeScript in src/, settings in schema/).

`emrlab.extension` is the server extension enabled on install (etc/jupyter/jupyter_server_config.d/
emrlab.json): its handlers under `{base_url}emrlab/api/` serve the panel's JSON (emrlab.extension.handlers),
with the logic in emrlab.aws.inventory and the settings in emrlab.extension.settings (`c.EmrLab.*`).
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The server extension jupyter_server loads from this package."""
    return [{"module": "emrlab.extension"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Register the `/emrlab/api/` handlers on `serverapp` (imported lazily: no boto3 at server import)."""
    from emrlab.extension.handlers import setup_handlers

    setup_handlers(serverapp)


# jupyter_server < 2 looked for the un-prefixed name
load_jupyter_server_extension = _load_jupyter_server_extension
