"""`pip install ./clients/python` works offline: the build backend is in-tree
and the package has no dependencies."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_pip_installs_the_package_offline_into_a_fresh_venv(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-index", "--disable-pip-version-check", str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    probe = subprocess.run(
        [str(python), "-c", "import arena_vault_client, arena_vault_client.compat as c, importlib.metadata as m;"
         "print(arena_vault_client.__file__); print(m.version('arena-vault-client')); print(arena_vault_client.__version__)"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    where, version, module_version = probe.stdout.split()
    assert str(env_dir) in where and "site-packages" in where
    assert version == module_version == "0.2.0"  # pyproject.toml and __version__ agree
    files = {p.name for p in Path(where).parent.iterdir()}
    assert {"__init__.py", "_core.py", "_version.py", "client.py", "aio.py", "compat.py", "errors.py", "py.typed"} <= files
