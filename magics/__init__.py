"""IPython `%emr` / `%%emr` magics, the Livy client, SigV4 auth and the local Livy-compatible endpoint."""

from __future__ import annotations

from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension"]

_LOADED: dict[int, Any] = {}


def load_ipython_extension(ipython: Any) -> None:
    """Register `%emr` / `%%emr` on `ipython` (`%load_ext emrlab` or `%load_ext emrlab.magics`)."""
    if id(ipython) in _LOADED:
        return
    from emrlab.magics.magic import EmrMagics  # IPython is imported only here, not with the package

    magics = EmrMagics(ipython)
    ipython.register_magics(magics)
    _LOADED[id(ipython)] = magics


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext emrlab`: delete the sessions this shell created and stop local endpoints it started."""
    magics = _LOADED.pop(id(ipython), None)
    if magics is not None:
        for line in magics.registry.cleanup():
            print(f"emr: {line}")
        magics.registry.unregister_cleanup()
