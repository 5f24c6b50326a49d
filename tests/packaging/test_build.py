"""`python3 -m build` makes the wheel and sdist used by the simulator and by
non-IPS installs; the wheel must carry the whole package, template included."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from kzguard import __version__

ROOT = Path(__file__).resolve().parents[2]


def test_build_makes_a_wheel_and_an_sdist_with_the_whole_package(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    built = sorted(path.name for path in tmp_path.iterdir())
    assert built == [f"kzguard-{__version__}-py3-none-any.whl", f"kzguard-{__version__}.tar.gz"]
    with zipfile.ZipFile(tmp_path / built[0]) as wheel:
        names = set(wheel.namelist())
    sources = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "kzguard").rglob("*")
        if path.suffix in (".py", ".j2") or path.name == "py.typed"
    }
    assert sources <= names
    assert f"kzguard-{__version__}.dist-info/entry_points.txt" in names
