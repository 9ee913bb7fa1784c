"""Deliver emrlab.runtime to EMR without pip: a zip for `--py-files`/`sc.addPyFile`, and a bootstrap
action that installs it (and the batch's requirements) on every node."""

from __future__ import annotations

import shlex
import zipfile
from importlib import resources
from pathlib import Path

ZIP_NAME = "emrlab-runtime.zip"
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # reproducible zips: same content, same bytes


def runtime_zip(path: Path) -> list[str]:
    """Write a zip holding `emrlab/__init__.py` and `emrlab/runtime/*.py`; returns the member names."""
    package = resources.files("emrlab")
    members: dict[str, bytes] = {"emrlab/__init__.py": package.joinpath("__init__.py").read_bytes()}
    runtime = resources.files("emrlab.runtime")  # not package/"runtime": editable installs map it elsewhere
    for item in sorted(runtime.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".py"):
            members[f"emrlab/runtime/{item.name}"] = item.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=_FIXED_TIME), data, zipfile.ZIP_DEFLATED)
    return list(members)


def bootstrap_script(s3_prefix: str, requirements: bool) -> str:
    """A bootstrap action that puts the runtime zip on every node's Python path (and installs the
    batch's requirements.txt when `requirements`)."""
    if not s3_prefix.startswith("s3://"):
        raise ValueError(f"--s3-prefix must be an s3:// URI, got {s3_prefix!r}")
    prefix = s3_prefix.rstrip("/")
    zip_uri = shlex.quote(f"{prefix}/{ZIP_NAME}")
    lines = [
        "#!/bin/bash",
        "# EMR bootstrap action written by `emrlab bootstrap`: installs emrlab.runtime (and the converted",
        "# notebooks' requirements) on every node. Upload its inputs first:",
        f"#   aws s3 cp {ZIP_NAME} {zip_uri}",
    ]
    if requirements:
        lines.append(f"#   aws s3 cp requirements.txt {shlex.quote(prefix + '/requirements.txt')}")
    lines += [
        "set -euo pipefail",
        "target=/usr/local/lib/emrlab",
        'sudo mkdir -p "$target"',
        f'aws s3 cp {zip_uri} "/tmp/{ZIP_NAME}"',
        f'sudo python3 -m zipfile -e "/tmp/{ZIP_NAME}" "$target"',
        "site=$(python3 -c 'import site; print(site.getsitepackages()[0])')",
        'echo "$target" | sudo tee "$site/emrlab-runtime.pth" >/dev/null',
    ]
    if requirements:
        lines += [
            f"aws s3 cp {shlex.quote(prefix + '/requirements.txt')} /tmp/emrlab-requirements.txt",
            "sudo python3 -m pip install --quiet -r /tmp/emrlab-requirements.txt",
        ]
    lines.append('echo "emrlab.runtime installed in $target"')
    return "\n".join(lines) + "\n"
