"""Delivering emrlab.runtime without pip: the zip imports on its own (no site-packages, no pyspark, no
boto3) and the bootstrap action is a valid script that fetches and installs exactly what was uploaded."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from emrlab.cli import main


def test_runtime_zip_imports_alone(tmp_path: Path) -> None:
    archive = tmp_path / "emrlab-runtime.zip"
    assert main(["runtime-zip", "-o", str(archive)]) == 0
    names = zipfile.ZipFile(archive).namelist()
    assert "emrlab/__init__.py" in names and "emrlab/runtime/widgets.py" in names
    assert not [n for n in names if n.startswith("emrlab/converters")], "only the runtime ships"
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import emrlab.runtime as rt\n"
        "assert rt.__file__.startswith(sys.argv[1]), rt.__file__\n"
        "day = 20240101\n"
        "print(rt.widgets.get('day'), rt.widgets.substitute('d=${day}'))\n"
        "rt.fs.put('file://' + sys.argv[2] + '/x.txt', 'zipped', True)\n"
        "print([f.name for f in rt.fs.ls(sys.argv[2])])\n"
        "print('pyspark' in sys.modules, 'boto3' in sys.modules)\n"
    )
    done = subprocess.run(  # -S: no site-packages, so nothing but the zip provides emrlab
        [sys.executable, "-S", "-c", code, str(archive), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == [
        "20240101 d=20240101",
        "['emrlab-runtime.zip', 'x.txt']",
        "False False",
    ]


def test_bootstrap_action(tmp_path: Path, capsys: object) -> None:
    script = tmp_path / "bootstrap.sh"
    assert (
        main(["bootstrap", "-o", str(script), "--s3-prefix", "s3://ops/emrlab/", "--requirements", "r.txt"])
        == 0
    )
    text = script.read_text()
    subprocess.run(["bash", "-n", str(script)], check=True)
    assert "aws s3 cp s3://ops/emrlab/emrlab-runtime.zip" in text
    assert "aws s3 cp s3://ops/emrlab/requirements.txt" in text and "pip install --quiet -r" in text
    assert (tmp_path / "emrlab-runtime.zip").is_file()
    assert script.stat().st_mode & 0o111
    assert main(["bootstrap", "-o", str(script), "--s3-prefix", "/not/s3"]) == 2
