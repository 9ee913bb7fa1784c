"""The batch as a workspace: which notebooks exist, `%run` path resolution, and loading on demand.

Databricks resolves `%run ./x` relative to the calling notebook; exports made from another folder keep
absolute `/Users/...` paths, which are matched by their longest suffix among the batch's notebooks.
"""

from __future__ import annotations

import posixpath
from collections import OrderedDict
from collections.abc import Callable, Iterable

from emrlab.converters.findings import InputError
from emrlab.converters.model import Notebook
from emrlab.converters.sniff import workspace_path

Loader = Callable[[str], Notebook]
_CACHE_SIZE = 32


class Workspace:
    """Notebook paths of the batch, and a loader that reads one by path (cached, small)."""

    def __init__(self, paths: Iterable[str], loader: Loader, local_modules: Iterable[str] = ()) -> None:
        self.local_modules = frozenset(local_modules)  # importable names the batch itself provides
        self._exact = set(paths)
        self._folded: dict[str, str] = {}  # exports from case-insensitive disks may differ in case
        for path in sorted(self._exact):
            self._folded.setdefault(path.casefold(), path)
        self._loader = loader
        self._cache: OrderedDict[str, Notebook | InputError] = OrderedDict()

    def __contains__(self, path: str) -> bool:
        return self._find(path) is not None

    def _find(self, path: str) -> str | None:
        return path if path in self._exact else self._folded.get(path.casefold())

    def resolve(self, caller: str, target: str) -> str | None:
        """The workspace path `%run target` names when run from notebook `caller`, or None."""
        target = target.strip().strip("\"'").rstrip("/")
        if not target:
            return None
        candidates = [target, workspace_path(target)]
        for candidate in candidates:
            if candidate.startswith("/"):
                found = self._by_suffix(candidate)
            else:
                joined = posixpath.normpath(posixpath.join(posixpath.dirname(caller), candidate))
                found = None if joined.startswith("../") else self._find(joined)
            if found:
                return found
        return None

    def _by_suffix(self, absolute: str) -> str | None:
        parts = [p for p in absolute.split("/") if p]
        for start in range(len(parts)):
            found = self._find("/".join(parts[start:]))
            if found:
                return found
        return None

    def load(self, path: str) -> Notebook:
        """The notebook at `path` (raises the InputError that reading it gave)."""
        if path in self._cache:
            self._cache.move_to_end(path)
            result = self._cache[path]
        else:
            try:
                result = self._loader(path)
            except InputError as exc:
                result = exc
            self._cache[path] = result
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        if isinstance(result, InputError):
            raise result
        return result
