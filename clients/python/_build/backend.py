"""A PEP 517 build backend in the standard library alone (no setuptools, no
wheel), so that ``pip install ./clients/python`` needs no download.

It builds a pure-Python wheel of ``src/arena_vault_client`` (PEP 427), an
editable wheel (PEP 660, a ``.pth`` file pointing at ``src``) and an sdist.
Metadata comes from ``pyproject.toml`` ``[project]``: name, version,
description, requires-python and readme.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "arena_vault_client"
TAG = "py3-none-any"


def _project() -> dict[str, str]:
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    try:
        import tomllib  # Python 3.11+

        return tomllib.loads(text)["project"]
    except ModuleNotFoundError:  # Python 3.10: the [project] table's plain string keys
        table = text.split("[project]", 1)[1].split("\n[", 1)[0]
        return dict(re.findall(r'^([a-z-]+)\s*=\s*"([^"]*)"\s*$', table, re.M))


def _names() -> tuple[dict[str, str], str]:
    p = _project()
    return p, f"{re.sub(r'[-_.]+', '_', p['name'])}-{p['version']}"


def _metadata(p: dict[str, str]) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {p['name']}",
        f"Version: {p['version']}",
        f"Summary: {p.get('description', '')}",
        f"Requires-Python: {p.get('requires-python', '>=3.10')}",
    ]
    readme = ROOT / p.get("readme", "README.md")
    if readme.is_file():
        lines.append("Description-Content-Type: text/markdown")
        return "\n".join(lines) + "\n\n" + readme.read_text("utf-8")
    return "\n".join(lines) + "\n"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _write_wheel(directory: str, files: dict[str, bytes]) -> str:
    p, stem = _names()
    dist_info = f"{stem}.dist-info"
    files = dict(files)
    files[f"{dist_info}/METADATA"] = _metadata(p).encode()
    files[f"{dist_info}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: arena-vault-backend\nRoot-Is-Purelib: true\nTag: {TAG}\n".encode()
    record = [_record_line(n, d) for n, d in files.items()] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    name = f"{stem}-{TAG}.whl"
    with zipfile.ZipFile(os.path.join(directory, name), "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in files.items():
            info = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, d)
    return name


def _package_files() -> dict[str, bytes]:
    src = ROOT / "src"
    out: dict[str, bytes] = {}
    for path in sorted((src / PACKAGE).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".typed"):
            out[path.relative_to(src).as_posix()] = path.read_bytes()
    return out


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, _package_files())


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, {f"_{PACKAGE}_editable.pth": (str(ROOT / "src") + "\n").encode()})


def build_sdist(sdist_directory, config_settings=None):
    _, stem = _names()
    name = f"{stem}.tar.gz"
    keep = [ROOT / "pyproject.toml", ROOT / "README.md", *sorted((ROOT / "_build").glob("*.py"))]
    keep += [ROOT / "src" / n for n in _package_files()]
    keep += sorted(p for p in (ROOT / "tests").rglob("*.py") if "__pycache__" not in p.parts)
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as tf:
        for path in keep:
            if path.is_file():
                data = path.read_bytes()
                info = tarfile.TarInfo(f"{stem}/{path.relative_to(ROOT).as_posix()}")
                info.size, info.mode = len(data), 0o644
                tf.addfile(info, io.BytesIO(data))
        p, _ = _names()
        pkg_info = _metadata(p).encode()
        info = tarfile.TarInfo(f"{stem}/PKG-INFO")
        info.size, info.mode = len(pkg_info), 0o644
        tf.addfile(info, io.BytesIO(pkg_info))
    return name
