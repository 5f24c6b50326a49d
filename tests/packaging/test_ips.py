"""packaging/kzguard.p5m and kzguard-simulator.p5m against the proto area
packaging/build-ips.sh stages.

Only the staging step runs off Solaris; pkgmogrify, pkgdepend, pkglint and pkgsend
do not exist here, so this file reads the p5m files with tests/packaging/p5m.py
and applies the pkgdepend and pkglint rules of docs/solaris.md section 6 that matter to
these packages.
"""

from __future__ import annotations

import filecmp
import importlib.util
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from kzguard import __version__
from tests.packaging.conftest import GOLDEN, REPO
from tests.packaging.p5m import (
    Action,
    ManifestSyntaxError,
    delivered,
    parse_p5m,
    settings,
    staged,
)

MAIN_P5M = REPO / "packaging" / "kzguard.p5m"
SIM_P5M = REPO / "packaging" / "kzguard-simulator.p5m"
BUILD = REPO / "packaging" / "build-ips.sh"
FILE_LISTS = REPO / "packaging" / "p5m-files.sh"
# The running interpreter's: staging compiles the package's bytecode, which only
# the Python PYVER names can load (build-ips.sh refuses another).
PYVER = f"{sys.version_info[0]}.{sys.version_info[1]}"
STAGE_ENV = {**os.environ, "BUILD_PYTHON": sys.executable, "PYVER": PYVER}
MACROS = {"VERSION": __version__, "PYVER": PYVER, "PYVER_NODOT": PYVER.replace(".", "")}
VENDOR = f"usr/lib/python{PYVER}/vendor-packages"
# Directories the OS already delivers; the package must not redeliver them with
# attributes of its own, which IPS would report as conflicting.
SYSTEM_DIRS = {
    "etc",
    "etc/security",
    "etc/security/auth_attr.d",
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
# pkg(7): never deliver into these (docs/solaris.md 6).
FORBIDDEN = ("system/volatile", "tmp", "var/share", "var/tmp", "var/pkg")
# System categories of src/util/opensolaris.org.sections named in docs/solaris.md 6.
CLASSIFICATIONS = {
    "org.opensolaris.category.2008:System/Administration and Configuration",
    "org.opensolaris.category.2008:System/Services",
    "org.opensolaris.category.2008:System/Virtualization",
}


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
        env=STAGE_ENV,
    )
    assert (completed.returncode, completed.stderr) == (0, "")
    return area


@pytest.fixture(scope="module")
def actions() -> list[Action]:
    """system/kzguard."""
    return parse_p5m(MAIN_P5M.read_text(encoding="utf-8"), MACROS)


@pytest.fixture(scope="module")
def sim_actions() -> list[Action]:
    """system/kzguard/simulator."""
    return parse_p5m(SIM_P5M.read_text(encoding="utf-8"), MACROS)


def test_every_staged_file_is_delivered_once_and_every_delivered_file_is_staged(
    proto: Path, actions: list[Action], sim_actions: list[Action]
) -> None:
    main, sim = set(delivered(actions, "file")), set(delivered(sim_actions, "file"))
    assert main & sim == set()
    assert main | sim == staged(proto, "file")


def test_every_staged_directory_is_delivered_once_or_the_systems(
    proto: Path, actions: list[Action], sim_actions: list[Action]
) -> None:
    main, sim = delivered(actions, "dir"), delivered(sim_actions, "dir")
    assert set(main) & set(sim) == set()
    assert staged(proto, "dir") - SYSTEM_DIRS == set(main) | set(sim)
    assert not SYSTEM_DIRS & (set(main) | set(sim))
    for path, action in {**main, **sim}.items():
        assert (action.one("owner"), action.one("mode")) == ("root", "0755"), path


@pytest.mark.parametrize(("p5m", "package"), [(MAIN_P5M, "main"), (SIM_P5M, "simulator")])
def test_the_python_file_lists_are_generated_from_the_tree(p5m: Path, package: str) -> None:
    text = p5m.read_text(encoding="utf-8")
    block = text.split("# BEGIN generated by: sh packaging/p5m-files.sh update\n")[1]
    block = block.split("# END generated\n")[0]
    completed = subprocess.run(
        ["sh", str(FILE_LISTS), package], capture_output=True, text=True, check=False
    )
    assert (completed.returncode, completed.stderr) == (0, "")
    assert block == completed.stdout, "run: sh packaging/p5m-files.sh update"


def test_the_simulator_is_only_in_its_own_package(
    actions: list[Action], sim_actions: list[Action]
) -> None:
    sim = f"{VENDOR}/kzguard/sim"
    main_paths = [a.one("path") for a in actions if "path" in a.attributes]
    assert [p for p in main_paths if p == sim or p.startswith(f"{sim}/")] == []
    sim_paths = [a.one("path") for a in sim_actions if "path" in a.attributes]
    assert sim_paths[0] == sim
    assert [p for p in sim_paths if not p.startswith(f"{sim}/")] == [sim]
    assert f"{sim}/zoneadm.py" in sim_paths


def test_nothing_but_files_and_directories_is_staged(proto: Path) -> None:
    assert [
        str(p) for p in proto.rglob("*") if p.is_symlink() or not (p.is_file() or p.is_dir())
    ] == []


def expected_attributes(path: str) -> tuple[str, str, str]:
    """owner, group, mode of each delivered file (Oracle's conventions, docs/solaris.md 6)."""
    if path == "lib/svc/manifest/site/kzguard.xml":
        return "root", "sys", "0444"
    if path == "etc/kzguard/policy.toml":
        return "root", "sys", "0644"
    if path in ("lib/svc/method/svc-kzguard", "usr/sbin/kzguard"):
        return "root", "bin", "0555"
    return "root", "bin", "0444"


def test_owners_and_modes_are_as_specified_and_staged(
    proto: Path, actions: list[Action], sim_actions: list[Action]
) -> None:
    for path, action in delivered([*actions, *sim_actions], "file").items():
        attributes = (action.one("owner"), action.one("group"), action.one("mode"))
        assert attributes == expected_attributes(path), path
        assert f"{stat.S_IMODE((proto / path).stat().st_mode):04o}" == action.one("mode"), path
    for path, action in delivered([*actions, *sim_actions], "dir").items():
        assert f"{stat.S_IMODE((proto / path).stat().st_mode):04o}" == action.one("mode"), path


def test_actuators_and_preserve(actions: list[Action], sim_actions: list[Action]) -> None:
    files = delivered(actions, "file")
    manifest = files["lib/svc/manifest/site/kzguard.xml"]
    assert manifest.one("restart_fmri") == "svc:/system/manifest-import:default"
    assert manifest.one("preserve") == "renamenew"
    assert files["etc/kzguard/policy.toml"].one("preserve") == "renamenew"
    others = {
        path
        for path, action in {**files, **delivered(sim_actions, "file")}.items()
        if set(action.attributes) - {"path", "owner", "group", "mode", "facet.doc.man"}
    }
    assert others == {"lib/svc/manifest/site/kzguard.xml", "etc/kzguard/policy.toml"}


def test_the_package_versions_are_kzguards(
    actions: list[Action], sim_actions: list[Action]
) -> None:
    # No publisher: pkgsend publish gives the repository's (publisher/prefix, which
    # build-ips.sh sets from PUBLISHER), as Oracle's guide publishes "mypkg@1.0".
    assert settings(actions)["pkg.fmri"] == [f"pkg:/system/kzguard@{__version__}"]
    assert settings(sim_actions)["pkg.fmri"] == [f"pkg:/system/kzguard/simulator@{__version__}"]


@pytest.mark.parametrize("p5m", [MAIN_P5M, SIM_P5M], ids=["main", "simulator"])
def test_pkglint_metadata_rules(p5m: Path) -> None:
    metadata = settings(parse_p5m(p5m.read_text(encoding="utf-8"), MACROS))
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
    # Not installable in a non-global zone (Oracle's IPS guide, docs/solaris.md 6).
    assert metadata["variant.opensolaris.zone"] == ["global"]


def test_pkgdepend_adds_the_smf_fmri_so_the_p5m_does_not(
    proto: Path, actions: list[Action], sim_actions: list[Action]
) -> None:
    # pkgdepend generate sets org.opensolaris.smf.fmri to the service and instance
    # FMRIs of every manifest it analyses; a second set action is pkglint's error
    # duplicate_sets (docs/solaris.md 6).  It analyses a file as an SMF manifest by its
    # DOCTYPE system id.
    manifests = [
        path
        for path in delivered([*actions, *sim_actions], "file")
        if path.startswith(("lib/svc/manifest/", "var/svc/manifest/")) and path.endswith(".xml")
    ]
    assert manifests == ["lib/svc/manifest/site/kzguard.xml"]
    document = etree.parse(str(proto / manifests[0]))
    assert document.docinfo.system_url == "/usr/share/lib/xml/dtd/service_bundle.dtd.1"
    fmris = []
    for service in document.getroot().iter("service"):
        fmris.append(f"svc:/{service.get('name')}")
        if service.find("create_default_instance") is not None:
            fmris.append(f"svc:/{service.get('name')}:default")
    assert fmris == ["svc:/site/kzguard", "svc:/site/kzguard:default"]
    assert "org.opensolaris.smf.fmri" not in settings(actions)
    assert "org.opensolaris.smf.fmri" not in settings(sim_actions)


def test_nothing_is_delivered_to_a_forbidden_path(
    actions: list[Action], sim_actions: list[Action]
) -> None:
    paths = [a.one("path") for a in [*actions, *sim_actions] if "path" in a.attributes]
    assert [p for p in paths if p.startswith(FORBIDDEN) or p.startswith("/")] == []


def test_the_python_runtime_is_required_the_way_pkgdepend_merges(
    actions: list[Action],
) -> None:
    # pkgdepend generate derives a dependency on usr/bin/python3.X from the "#!"
    # line of usr/sbin/kzguard, and resolve turns it into runtime/python-3X.  A
    # file dependency on the same interpreter (__TBD, Oracle's pattern in its own
    # Python packages) resolves to that package and is merged with it; a written
    # out "depend fmri=pkg:/runtime/python-3X" would be pkglint's duplicate_deps.
    depends = [
        (action.one("type"), action.one("fmri"), dict(action.attributes))
        for action in actions
        if action.name == "depend"
    ]
    assert depends == [
        (
            "require",
            "__TBD",
            {
                "type": ["require"],
                "fmri": ["__TBD"],
                "pkg.debug.depend.file": [f"python{PYVER}"],
                "pkg.debug.depend.path": ["usr/bin"],
            },
        ),
        (
            "require",
            "pkg:/library/python/jinja2-311",
            {"type": ["require"], "fmri": ["pkg:/library/python/jinja2-311"]},
        ),
    ]
    assert {a.name for a in actions} == {"set", "dir", "file", "depend"}


def test_the_simulator_requires_and_incorporates_its_own_kzguard(
    sim_actions: list[Action],
) -> None:
    depends = [(a.one("type"), a.one("fmri")) for a in sim_actions if a.name == "depend"]
    assert depends == [
        ("require", f"pkg:/system/kzguard@{__version__}"),
        ("incorporate", f"pkg:/system/kzguard@{__version__}"),
    ]
    assert {a.name for a in sim_actions} == {"set", "dir", "file", "depend"}


def test_pkgdepend_analyses_no_module_so_nothing_bypasses_it(
    proto: Path, actions: list[Action], sim_actions: list[Action]
) -> None:
    # pkgdepend generate analyses ELF files, SMF manifests and files whose first
    # two bytes are "#!" (pkg.portable get_file_type, docs/solaris.md 6); a module
    # without "#!" is never read, so tomli (imported by policy/toml.py only on
    # Pythons older than 3.11) needs no pkg.depend.bypass-generate, and jinja2
    # needs its dependency written out.
    analysed = sorted(
        path
        for path in delivered([*actions, *sim_actions], "file")
        if (proto / path).read_bytes()[:2] == b"#!"
    )
    assert analysed == ["lib/svc/method/svc-kzguard", "usr/sbin/kzguard"]
    assert [
        a.one("path")
        for a in [*actions, *sim_actions]
        if any(key.startswith("pkg.depend.") for key in a.attributes)
    ] == []


AUTHORIZATIONS = [
    "solaris.smf.manage.kzguard:::Manage kzguard Service States::",
    "solaris.smf.value.kzguard:::Change kzguard Service Properties::",
]


def test_the_authorizations_the_manifest_names_are_delivered(
    proto: Path, actions: list[Action]
) -> None:
    path = "etc/security/auth_attr.d/kzguard"
    assert path in delivered(actions, "file")
    lines = (proto / path).read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if not line.startswith("#")] == AUTHORIZATIONS
    # auth_attr(5): name:res1:res2:short_desc:long_desc:attr.
    assert [len(line.split(":")) for line in AUTHORIZATIONS] == [6, 6]
    manifest = etree.parse(str(proto / "lib/svc/manifest/site/kzguard.xml"))
    named = manifest.xpath(
        "//property_group[@name='general']/propval"
        "[@name='action_authorization' or @name='value_authorization']/@value"
    )
    assert named == [line.split(":")[0] for line in AUTHORIZATIONS]


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
        str(p.relative_to(proto / VENDOR))
        for p in (proto / VENDOR).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
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


# The first four bytes after the magic number (PEP 552): hash-based, and checked.
CHECKED_HASH = (0b11).to_bytes(4, "little")


def test_every_module_is_staged_with_its_checked_hash_bytecode(proto: Path) -> None:
    vendor = proto / VENDOR
    modules = sorted(vendor.rglob("*.py"))
    assert len(modules) > 50
    # PYVER is the running interpreter's, so its cache paths are the package's.
    cached = [Path(importlib.util.cache_from_source(str(module))) for module in modules]
    for path in cached:
        assert path.read_bytes()[:8] == importlib.util.MAGIC_NUMBER + CHECKED_HASH, path
    assert sorted(vendor.rglob("*.pyc")) == sorted(cached)


# Imports both methods' paths from the proto area as the method script runs them
# (-I -B), and prints the modules whose source Python had to compile.
COMPILED = """\
import importlib._bootstrap_external as external, sys
compiled = []
to_code = external.SourceLoader.source_to_code
def counted(self, data, path, **kwargs):
    compiled.append(path)
    return to_code(self, data, path, **kwargs)
external.SourceLoader.source_to_code = counted
sys.path.insert(0, sys.argv[1])
import kzguard.method, kzguard.stop.path, kzguard.start.path
print(kzguard.method.__file__)
print(*compiled, sep="\\n")
"""


def test_the_methods_run_from_the_staged_bytecode_without_compiling(proto: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-I", "-B", "-c", COMPILED, str(proto / VENDOR)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (completed.returncode, completed.stderr) == (0, "")
    assert completed.stdout == f"{proto / VENDOR / 'kzguard/method.py'}\n\n"


def test_staging_refuses_a_python_that_is_not_pyver(tmp_path: Path) -> None:
    other = "3.9" if PYVER != "3.9" else "3.13"
    area = tmp_path / "proto"
    completed = subprocess.run(
        ["sh", str(BUILD), "stage", str(area)],
        capture_output=True,
        text=True,
        check=False,
        env={**STAGE_ENV, "PYVER": other},
    )
    assert completed.returncode == 1
    assert completed.stderr == (
        f"{BUILD}: BUILD_PYTHON is Python {PYVER}, the package's bytecode must be "
        f"Python {other}'s: set BUILD_PYTHON=/usr/bin/python{other} or PYVER={PYVER}\n"
    )
    assert not area.exists()


def test_staging_refuses_a_directory_with_files_in_it(tmp_path: Path) -> None:
    (tmp_path / "stale").write_text("", encoding="utf-8")
    completed = subprocess.run(
        ["sh", str(BUILD), "stage", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        env=STAGE_ENV,
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
