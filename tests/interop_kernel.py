"""Helpers for the interop tests: install a kernelspec into a private prefix, run a notebook's code cells in
a kernel with our own jupyter_client KernelManager/BlockingKernelClient (outputs written into the cells as
nbclient would), and read cell outputs.

Why not nbclient: with ipykernel 7, sparkmagic's kernels never answer the shutdown request and nbclient then
waits ~120 s after the last cell (notes/toolchain.md); and nbclient 0.11 (its asyncio client) did not see the
sparkmagic kernel's execute_reply to a `%%sql` cell until its cell timeout ran out, although the kernel had
sent it (a blocking client gets it at once). So: execute each cell, collect its outputs, kill the kernel.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
from jupyter_client.manager import KernelManager
from nbformat import NotebookNode

OUTPUT_TYPES = ("stream", "display_data", "execute_result", "error")


class CellFailedError(Exception):
    """A cell's execute_reply had status error (the kernel reported the failure, as nbclient would raise)."""

    def __init__(self, index: int, source: str, ename: str, evalue: str) -> None:
        super().__init__(f"cell {index} failed: {ename}: {evalue}\n{source}")
        self.index = index
        self.source = source
        self.ename = ename
        self.evalue = evalue


def read_notebook(path: Path) -> NotebookNode:
    """The notebook at `path` (nbformat 4)."""
    node: NotebookNode = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    return node


def install_kernelspec(source: Path, prefix: Path) -> Path:
    """`jupyter-kernelspec install --prefix PREFIX SOURCE`; returns the folder to put on JUPYTER_PATH."""
    command = [str(Path(sys.executable).with_name("jupyter-kernelspec")), "install", "--prefix", str(prefix)]
    done = subprocess.run([*command, str(source)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"kernelspec install failed: {done.stderr[-2000:]}"
    data = prefix / "share" / "jupyter"
    assert (data / "kernels" / source.name / "kernel.json").is_file(), done.stderr[-2000:]
    return data


def _execute(client: Any, cell: NotebookNode, timeout: float) -> dict[str, Any]:
    """Run one cell: its outputs go into `cell`; returns the execute_reply content (bounded by timeout)."""
    msg_id = client.execute(cell.source, store_history=True, allow_stdin=False, stop_on_error=True)
    deadline = time.monotonic() + timeout
    cell.outputs = []

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"cell did not finish within {timeout} s:\n{cell.source}")
        return left

    while True:  # iopub until the kernel is idle again for this request
        try:
            message = client.get_iopub_msg(timeout=remaining())
        except Empty:
            continue
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "status" and content["execution_state"] == "idle":
            break
        if kind == "execute_input":
            cell.execution_count = content["execution_count"]
        elif kind == "clear_output":
            cell.outputs = []
        elif kind in OUTPUT_TYPES:
            cell.outputs.append(nbformat.v4.output_from_msg(message))  # type: ignore[no-untyped-call]
    while True:  # then its execute_reply (kernel_info replies from wait_for_ready may come first)
        try:
            reply = client.get_shell_msg(timeout=remaining())
        except Empty:
            continue
        if reply["parent_header"].get("msg_id") == msg_id:
            result: dict[str, Any] = reply["content"]
            return result


def run_cells(
    notebook: NotebookNode,
    *,
    kernel_name: str,
    env: Mapping[str, str],
    cwd: Path,
    timeout: float,
    startup_timeout: float = 120.0,
) -> None:
    """Execute the code cells of `notebook` in order (each bounded by `timeout` seconds), outputs written
    into the cells; raises CellFailedError at the first cell whose reply is an error. The kernel is killed at
    the end (no shutdown request, so this is bounded too)."""
    manager = KernelManager(kernel_name=kernel_name)
    manager.start_kernel(env=dict(env), cwd=str(cwd))
    client = manager.client()
    try:
        client.start_channels()
        client.wait_for_ready(timeout=startup_timeout)
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            reply = _execute(client, cell, timeout)
            if reply["status"] == "error":
                raise CellFailedError(index, cell.source, str(reply.get("ename")), str(reply.get("evalue")))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def output_text(cell: NotebookNode | Mapping[str, Any]) -> str:
    """Everything readable a cell showed: stream text, text/plain and text/html of results and displays,
    error names, values and tracebacks."""
    parts: list[str] = []
    for output in cell.get("outputs", []):
        parts.append(str(output.get("text", "")))
        data = output.get("data", {})
        parts.append(str(data.get("text/plain", "")))
        parts.append(str(data.get("text/html", "")))
        if output.get("output_type") == "error":
            parts += [str(output.get("ename", "")), str(output.get("evalue", ""))]
            parts += [str(line) for line in output.get("traceback", [])]
    return "\n".join(part for part in parts if part)
