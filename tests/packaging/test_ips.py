"""packaging/kzguard.p5m against the proto area packaging/build-ips.sh stages.

Only the staging step runs off Solaris; pkgmogrify, pkgdepend, pkglint and pkgsend
do not exist here, so this file parses the p5m itself (actions, key=value pairs
with quoting, continuation lines, $(MACRO) substitution) and applies the pkglint
rules of solaris.md section 6 that matter to this package.
"""

from __future__ import annotations

import filecmp
import os
import stat
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree

from kzguard import __version__
from tests.packaging.conftest import GOLDEN, REPO

P5M = REPO / "packaging" / "kzguard.p5m"
BUILD = REPO / "packaging" / "build-ips.sh"
PYVER = "3.11"
MACROS = {"VERSION": __version__, "PYVER": PYVER, "PYVER_NODOT": PYVER.replace(".", "")}
VENDOR = f"usr/lib/python{PYVER}/vendor-packages"
# Directories the OS already delivers; the package must not redeliver them with
# attributes of its own, which IPS would report as conflicting.
SYSTEM_DIRS = {
    "etc",
    "lib",
    "lib/svc",
    "lib/svc/manifest",
    "lib/svc/manifest/site",
    "lib/svc/method",
    "usr",
    "usr/lib",
    f"usr/lib/python{PYVER}",
    VENDOR,
    "usr/sbin",
    "usr/share",
    "usr/share/man",
    "usr/share/man/man5",
    "usr/share/man/man8",
}
# pkg(7): never deliver into these (solaris.md 6).
FORBIDDEN = ("system/volatile", "tmp", "var/share", "var/tmp", "var/pkg")
# System categories of src/util/opensolaris.org.sections named in solaris.md 6.
CLASSIFICATIONS = {
    "org.opensolaris.category.2008:System/Administration and Configuration",
    "org.opensolaris.category.2008:System/Services",
    "org.opensolaris.category.2008:System/Virtualization",
}


# -- a small p5m parser -------------------------------------------------------------


class ManifestSyntaxError(ValueError):
    pass


@dataclass
class Action:
    name: str
    attributes: dict[str, list[str]] = field(default_factory=dict)

    def one(self, key: str) -> str:
        values = self.attributes.get(key, [])
        if len(values) != 1:
            raise AssertionError(f"{self.name} action: {key} has {len(values)} values")
        return values[0]


def substitute(line: str, macros: Mapping[str, str]) -> str:
    """pkgmogrify's $(NAME) substitution; an undefined macro is an error here."""
    out = ""
    rest = line
    while "$(" in rest:
        before, _, after = rest.partition("$(")
        name, closed, rest = after.partition(")")
        if not closed:
            raise ManifestSyntaxError(f"unclosed macro in {line!r}")
        if name not in macros:
            raise ManifestSyntaxError(f"undefined macro $({name}) in {line!r}")
        out += before + macros[name]
    return out + rest


def logical_lines(text: str) -> list[str]:
    """Join backslash-continued lines; drop comments and blank lines."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if raw.endswith("\\"):
            pending += raw[:-1]
            continue
        lines.append(pending + raw)
        pending = ""
    if pending:
        raise ManifestSyntaxError("the last line ends with a continuation")
    return lines


def tokens(line: str) -> list[tuple[str, str]]:
    """Split ``key=value key="quoted value"`` pairs; backslash escapes inside quotes."""
    pairs: list[tuple[str, str]] = []
    index = 0
    while index < len(line):
        if line[index].isspace():
            index += 1
            continue
        equals = line.find("=", index)
        space = next((i for i in range(index, len(line)) if line[i].isspace()), len(line))
        if equals < 0 or equals > space:
            raise ManifestSyntaxError(f"not key=value at column {index}: {line!r}")
        key = line[index:equals]
        index = equals + 1
        if index < len(line) and line[index] in "\"'":
            quote = line[index]
            index += 1
            value = ""
            while True:
                if index >= len(line):
                    raise ManifestSyntaxError(f"unclosed quote in {line!r}")
                char = line[index]
                if char == "\\" and index + 1 < len(line):
                    value += line[index + 1]
                    index += 2
                    continue
                index += 1
                if char == quote:
                    break
                value += char
        else:
            end = next((i for i in range(index, len(line)) if line[i].isspace()), len(line))
            value = line[index:end]
            index = end
        pairs.append((key, value))
    return pairs


def parse_p5m(text: str, macros: Mapping[str, str]) -> list[Action]:
    actions = []
    for line in logical_lines(text):
        name, _, rest = substitute(line, macros).strip().partition(" ")
        action = Action(name)
        for key, value in tokens(rest):
            action.attributes.setdefault(key, []).append(value)
        actions.append(action)
    return actions


def test_the_parser_reads_quoting_continuations_and_macros() -> None:
    text = (
        "# comment\n"
        'set name=pkg.summary value="two words" \\\n'
        "    value='it\\'s'\n"
        "file path=usr/lib/python$(PYVER)/x.py mode=0444\n"
    )
    actions = parse_p5m(text, {"PYVER": "3.11"})
    assert [(a.name, a.attributes) for a in actions] == [
        ("set", {"name": ["pkg.summary"], "value": ["two words", "it's"]}),
        ("file", {"path": ["usr/lib/python3.11/x.py"], "mode": ["0444"]}),
    ]
    with pytest.raises(ManifestSyntaxError, match=r"undefined macro \$\(NOPE\)"):
        parse_p5m("file path=$(NOPE)\n", {})
    with pytest.raises(ManifestSyntaxError, match="unclosed quote"):
        parse_p5m('set name=a value="b\n', {})


# -- the staged proto area ------------------------------------------------------------


@pytest.fixture(scope="module")
def proto(tmp_path_factory: pytest.TempPathFactory) -> Path:
    area = tmp_path_factory.mktemp("ips") / "proto"
    completed = subprocess.run(
        ["sh", str(BUILD), "stage", str(area)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "BUILD_PYTHON": sys.executable, "PYVER": PYVER},
    )
    assert (completed.returncode, completed.stderr) == (0, "")
    return area


@pytest.fixture(scope="module")
def actions() -> list[Action]:
    return parse_p5m(P5M.read_text(encoding="utf-8"), MACROS)


def delivered(actions: list[Action], kind: str) -> dict[str, Action]:
    found: dict[str, Action] = {}
    for action in actions:
        if action.name == kind:
            path = action.one("path")
            assert path not in found, f"{path} delivered twice"
            found[path] = action
    return found


def settings(actions: list[Action]) -> dict[str, list[str]]:
    return {a.one("name"): a.attributes["value"] for a in actions if a.name == "set"}


def staged(proto: Path, kind: str) -> set[str]:
    test = Path.is_dir if kind == "dir" else Path.is_file
    return {str(p.relative_to(proto)) for p in proto.rglob("*") if test(p)}


def test_every_staged_file_is_delivered_and_every_delivered_file_is_staged(
    proto: Path, actions: list[Action]
) -> None:
    assert set(delivered(actions, "file")) == staged(proto, "file")


def test_every_staged_directory_is_delivered_or_the_systems(
    proto: Path, actions: list[Action]
) -> None:
    dirs = delivered(actions, "dir")
    assert staged(proto, "dir") - SYSTEM_DIRS == set(dirs)
    assert not SYSTEM_DIRS & set(dirs)
    for path, action in dirs.items():
        assert (action.one("owner"), action.one("mode")) == ("root", "0755"), path


def test_nothing_but_files_and_directories_is_staged(proto: Path) -> None:
    assert [
        str(p) for p in proto.rglob("*") if p.is_symlink() or not (p.is_file() or p.is_dir())
    ] == []


def expected_attributes(path: str) -> tuple[str, str, str]:
    """owner, group, mode of each delivered file (Oracle's conventions, solaris.md 6)."""
    if path == "lib/svc/manifest/site/kzguard.xml":
        return "root", "sys", "0444"
    if path == "etc/kzguard/policy.toml":
        return "root", "sys", "0644"
    if path in ("lib/svc/method/svc-kzguard", "usr/sbin/kzguard"):
        return "root", "bin", "0555"
    return "root", "bin", "0444"


def test_owners_and_modes_are_as_specified_and_staged(proto: Path, actions: list[Action]) -> None:
    for path, action in delivered(actions, "file").items():
        attributes = (action.one("owner"), action.one("group"), action.one("mode"))
        assert attributes == expected_attributes(path), path
        assert f"{stat.S_IMODE((proto / path).stat().st_mode):04o}" == action.one("mode"), path
    for path, action in delivered(actions, "dir").items():
        assert f"{stat.S_IMODE((proto / path).stat().st_mode):04o}" == action.one("mode"), path


def test_actuators_and_preserve(actions: list[Action]) -> None:
    files = delivered(actions, "file")
    manifest = files["lib/svc/manifest/site/kzguard.xml"]
    assert manifest.one("restart_fmri") == "svc:/system/manifest-import:default"
    assert manifest.one("preserve") == "renamenew"
    assert files["etc/kzguard/policy.toml"].one("preserve") == "renamenew"
    others = {
        path
        for path, action in files.items()
        if "preserve" in action.attributes or "restart_fmri" in action.attributes
    }
    assert others == {"lib/svc/manifest/site/kzguard.xml", "etc/kzguard/policy.toml"}


def test_the_package_version_is_kzguards(actions: list[Action]) -> None:
    assert settings(actions)["pkg.fmri"] == [f"pkg://site/system/kzguard@{__version__}"]


def test_pkglint_metadata_rules(actions: list[Action]) -> None:
    metadata = settings(actions)
    (summary,) = metadata["pkg.summary"]
    (description,) = metadata["pkg.description"]
    assert summary.strip()
    assert description.strip()
    assert description != summary
    assert metadata["info.classification"] == [
        "org.opensolaris.category.2008:System/Virtualization"
    ]
    assert set(metadata["info.classification"]) <= CLASSIFICATIONS
    assert metadata["variant.arch"] == ["i386", "sparc"]


def test_the_smf_fmri_names_the_service_the_manifest_defines(
    proto: Path, actions: list[Action]
) -> None:
    manifests = [
        path
        for path in delivered(actions, "file")
        if path.startswith(("lib/svc/manifest/", "var/svc/manifest/")) and path.endswith(".xml")
    ]
    assert manifests == ["lib/svc/manifest/site/kzguard.xml"]
    root = etree.parse(str(proto / manifests[0])).getroot()
    fmris = []
    for service in root.iter("service"):
        fmris.append(f"svc:/{service.get('name')}")
        if service.find("create_default_instance") is not None:
            fmris.append(f"svc:/{service.get('name')}:default")
    assert settings(actions)["org.opensolaris.smf.fmri"] == fmris
    assert fmris == ["svc:/site/kzguard", "svc:/site/kzguard:default"]


def test_nothing_is_delivered_to_a_forbidden_path(actions: list[Action]) -> None:
    paths = [a.one("path") for a in actions if "path" in a.attributes]
    assert [p for p in paths if p.startswith(FORBIDDEN) or p.startswith("/")] == []


def test_dependencies_name_the_versioned_python_and_jinja2(actions: list[Action]) -> None:
    depends = [(a.one("type"), a.one("fmri")) for a in actions if a.name == "depend"]
    assert depends == [
        ("require", "pkg:/runtime/python-311"),
        ("require", "pkg:/library/python/jinja2-311"),
    ]
    assert {a.name for a in actions} == {"set", "dir", "file", "depend"}


def test_the_staged_manifest_is_the_golden_default(proto: Path) -> None:
    staged_manifest = proto / "lib/svc/manifest/site/kzguard.xml"
    assert staged_manifest.read_text(encoding="utf-8") == (
        GOLDEN / "manifest-default.xml"
    ).read_text(encoding="utf-8")


def test_the_staged_scripts_name_the_versioned_python(proto: Path) -> None:
    method = (proto / "lib/svc/method/svc-kzguard").read_text(encoding="utf-8")
    assert "@PYTHON@" not in method
    assert method.count(f"exec /usr/bin/python{PYVER} -I -B -m kzguard ") == 2
    command = (proto / "usr/sbin/kzguard").read_text(encoding="utf-8")
    assert command.splitlines()[0] == f"#!/usr/bin/python{PYVER} -IB"
    assert "from kzguard.cli import main" in command


def test_the_staged_package_is_the_repositorys(proto: Path) -> None:
    sources = sorted(
        str(p.relative_to(REPO))
        for p in (REPO / "kzguard").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.name != "py.typed"
    )
    assert sources == sorted(
        str(p.relative_to(proto / VENDOR)) for p in (proto / VENDOR).rglob("*") if p.is_file()
    )
    for source in sources:
        assert filecmp.cmp(REPO / source, proto / VENDOR / source, shallow=False), source
    assert filecmp.cmp(
        REPO / "packaging/policy.toml", proto / "etc/kzguard/policy.toml", shallow=False
    )
    for man in ("man8/kzguard.8", "man5/kzguard.toml.5"):
        name = man.split("/")[1]
        assert filecmp.cmp(
            REPO / "packaging/man" / name, proto / "usr/share/man" / man, shallow=False
        )


def test_staging_refuses_a_directory_with_files_in_it(tmp_path: Path) -> None:
    (tmp_path / "stale").write_text("", encoding="utf-8")
    completed = subprocess.run(
        ["sh", str(BUILD), "stage", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 1
    assert completed.stderr == f"{BUILD}: {tmp_path} is not empty; stale files would be checked\n"


@pytest.mark.parametrize("argv", [[], ["stage"], ["publish"], ["stage", "a", "b"], ["build"]])
def test_build_script_usage(argv: list[str]) -> None:
    completed = subprocess.run(
        ["sh", str(BUILD), *argv], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 2
    assert completed.stderr == (
        f"usage: {BUILD} stage PROTO_DIR\n       {BUILD} publish REPO_DIR [WORK_DIR]\n"
    )
