"""kzguard.policy.file: reading the policy, and refusing files others could have written."""

from __future__ import annotations

import errno
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from kzguard import method
from kzguard.errors import PolicyError
from kzguard.policy import file as policy_file
from kzguard.policy.file import MAX_POLICY_BYTES, load_policy
from kzguard.policy.model import Action, Policy, ShutdownPolicy, default_policy

EXAMPLE = Path(__file__).parents[2] / "packaging" / "policy.toml"
OTHER_UID = 1000  # any uid that is not root


def write(path: Path, content: str | bytes, mode: int = 0o644) -> str:
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    # chmod, not the umask: a umask of 002 must not make the tests fail.
    path.chmod(mode)
    return str(path)


def refusal(path: str, *, explicit: bool = True, euid: int | None = None) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policy(path, explicit=explicit, euid=euid)
    assert caught.value.source == path
    return str(caught.value).splitlines()


def owned_by_someone_else(path: str) -> int:
    """Give ``path`` a non-root owner and return it: chown when root, else it is ours."""
    if os.geteuid() == 0:
        os.chown(path, OTHER_UID, -1)
        return OTHER_UID
    return os.geteuid()


# ----------------------------------------------------------------------------------
# Missing files


def test_a_missing_default_file_means_the_default_policy(tmp_path: Path) -> None:
    assert load_policy(str(tmp_path / "policy.toml"), explicit=False) == default_policy()


def test_a_missing_default_file_with_a_last_good_copy_is_an_error_naming_the_copy(
    tmp_path: Path,
) -> None:
    """The file deleted where a policy was in force: the copy stays in force, as for
    any bad edit, and a file of comments only is how to ask for the built-in defaults."""
    path = str(tmp_path / "policy.toml")
    write(tmp_path / "policy.toml.last-good", '[defaults]\naction = "halt"\n')
    assert refusal(path, explicit=False) == [
        f"{path}: no such file, where a policy was in force: its last known good copy "
        f"{path}.last-good stays in force; restore the file, or for the built-in defaults "
        'write one holding only a comment such as "# defaults"'
    ]
    # The methods act on the copy, with the default path too (svc-kzguard passes none
    # when config/policy is empty).
    policy, problems = method.load_for_method(path, explicit=False)
    assert (policy.source, policy.defaults.action) == (f"{path}.last-good", Action.HALT)
    assert problems == refusal(path, explicit=False)
    write(tmp_path / "policy.toml", "# defaults\n")
    assert load_policy(path, explicit=False) == replace(default_policy(), source=path)


def test_none_stands_for_the_default_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = tmp_path / "policy.toml"
    monkeypatch.setattr(policy_file, "DEFAULT_POLICY_PATH", str(default))
    assert load_policy(None, explicit=True) == default_policy()
    write(default, '[defaults]\naction = "halt"\n')
    policy = load_policy(None, explicit=False)
    assert policy.source == str(default)
    assert policy.defaults.action is Action.HALT


def test_a_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    path = str(tmp_path / "policy.toml")
    assert refusal(path) == [f"{path}: no such file"]


def test_an_unopenable_path_gives_the_os_reason(tmp_path: Path) -> None:
    parent = write(tmp_path / "file", "")
    path = f"{parent}/policy.toml"
    assert refusal(path, explicit=False) == [f"{path}: cannot open: Not a directory"]


# ----------------------------------------------------------------------------------
# Reading


def test_a_valid_file_is_loaded_with_its_path_as_source(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.toml", "[shutdown]\nparallel = 8\n")
    assert load_policy(path, explicit=True) == Policy(
        source=path, shutdown=ShutdownPolicy(parallel=8)
    )


def test_the_example_policy_loads(tmp_path: Path) -> None:
    path = str(tmp_path / "policy.toml")
    shutil.copyfile(EXAMPLE, path)
    os.chmod(path, 0o644)
    assert load_policy(path, explicit=True) == Policy(source=path)


def test_a_symbolic_link_is_followed(tmp_path: Path) -> None:
    target = write(tmp_path / "real.toml", '[defaults]\naction = "shutdown"\n')
    link = tmp_path / "policy.toml"
    link.symlink_to(target)
    assert load_policy(str(link), explicit=True).defaults.action is Action.SHUTDOWN


def test_short_reads_are_completed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "policy.toml", '[defaults]\naction = "halt"\n# padding\n')
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, size: real_read(fd, min(size, 7)))
    assert load_policy(path, explicit=True).defaults.action is Action.HALT


def test_a_read_error_gives_the_os_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "policy.toml", "")

    def failing_read(fd: int, size: int) -> bytes:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "read", failing_read)
    assert refusal(path) == [f"{path}: cannot read: Input/output error"]


def test_a_file_of_the_size_limit_is_read_and_a_bigger_one_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.toml", "#" * MAX_POLICY_BYTES)
    assert load_policy(path, explicit=True) == Policy(source=path)
    path = write(tmp_path / "policy.toml", "#" * (MAX_POLICY_BYTES + 1))
    assert refusal(path) == [f"{path}: refusing a policy larger than 1048576 bytes"]


def test_bytes_that_are_not_utf8_are_reported_with_their_offset(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.toml", b'# ok\nx = "\xff"\n')
    assert refusal(path) == [
        f"{path}:2:6: not valid UTF-8 (byte 0xFF at offset 10); TOML files are UTF-8: "
        "convert it, e.g. iconv -f ISO8859-1 -t UTF-8"
    ]


def test_toml_syntax_errors_carry_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.toml", "[zone.db1]\n[zone.db1]\n")
    assert refusal(path) == [
        f"{path}:2:1: zone.db1: the table is defined twice (first on line 1); merge the two "
        "into one"
    ]


def test_policy_problems_carry_the_path(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.toml", '\n[shutdown]\nparallel = "4"\n')
    assert refusal(path) == [
        f'{path}:3: shutdown.parallel: expected "auto" or an integer from 1 to 256, got string "4"; write 4 without the quotes'
    ]


# ----------------------------------------------------------------------------------
# What kind of file, and who could have written it


def test_a_directory_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.mkdir()
    assert refusal(str(path)) == [
        f"{path}: refusing a policy that is not a regular file (it is a directory); give the path of the policy file itself"
    ]


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    os.mkfifo(path)
    assert refusal(str(path)) == [
        f"{path}: refusing a policy that is not a regular file (it is a FIFO); give the path of the policy file itself"
    ]


def test_a_device_is_refused() -> None:
    assert refusal("/dev/null") == [
        "/dev/null: refusing a policy that is not a regular file (it is a character device); give the path of the policy file itself"
    ]


@pytest.mark.parametrize(("mode", "shown"), [(0o664, "0664"), (0o646, "0646"), (0o4777, "4777")])
def test_a_group_or_world_writable_file_is_refused(tmp_path: Path, mode: int, shown: str) -> None:
    path = write(tmp_path / "policy.toml", "", mode=mode)
    assert refusal(path, euid=os.geteuid()) == [
        f"{path}: refusing a policy that is group- or world-writable (mode {shown}); "
        f"run: chmod go-w {path}"
    ]


def test_hints_quote_the_path_for_the_shell(tmp_path: Path) -> None:
    path = write(tmp_path / "my policy.toml", "", mode=0o666)
    assert refusal(path, euid=os.geteuid()) == [
        f"{path}: refusing a policy that is group- or world-writable (mode 0666); "
        f"run: chmod go-w '{path}'"
    ]


def test_as_root_the_file_must_be_owned_by_root(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.toml", "", mode=0o666)
    owner = owned_by_someone_else(path)
    assert refusal(path, euid=0) == [
        f"{path}: refusing a policy that is group- or world-writable (mode 0666); "
        f"run: chmod go-w {path}",
        f"{path}: refusing a policy owned by uid {owner}, not root; run: chown root {path}",
    ]


def test_as_root_a_root_file_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.toml", "# defaults\n")
    if os.geteuid() != 0:
        pytest.skip("needs root to give the file to root")
    assert load_policy(path, explicit=True, euid=0) == Policy(source=path)


def test_as_a_user_the_file_may_be_owned_by_that_user(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.toml", "# defaults\n")
    owner = owned_by_someone_else(path)
    assert load_policy(path, explicit=True, euid=owner) == Policy(source=path)


def test_as_a_user_a_root_file_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.toml", "# defaults\n")
    if os.stat(path).st_uid != 0:
        pytest.skip("needs root to give the file to root")
    assert load_policy(path, explicit=True, euid=OTHER_UID) == Policy(source=path)


def test_as_a_user_a_file_of_another_user_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.toml", "")
    owner = owned_by_someone_else(path)
    assert refusal(path, euid=owner + 1) == [
        f"{path}: refusing a policy owned by uid {owner}, neither root nor you "
        f"(uid {owner + 1}); run as root: chown root {path}"
    ]


def test_the_real_effective_uid_is_the_default(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.toml", "# defaults\n")
    assert load_policy(path, explicit=True) == Policy(source=path)


def test_refusal_comes_before_parsing(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.toml", "not toml at all", mode=0o620)
    assert refusal(path, euid=os.geteuid()) == [
        f"{path}: refusing a policy that is group- or world-writable (mode 0620); "
        f"run: chmod go-w {path}"
    ]


def test_a_policy_path_with_control_characters_is_shown_escaped(tmp_path: Path) -> None:
    path = str(tmp_path / "policy\n\x1b[2Jkz.toml")
    assert refusal(path) == [f"{tmp_path}/policy\\u000A\\u001B[2Jkz.toml: no such file"]


def test_read_policy_returns_the_very_bytes_it_validated(tmp_path: Path) -> None:
    text = '# kept byte for byte\n[resume]\nstagger = "2s"\n'
    path = write(tmp_path / "policy.toml", text)
    policy, data = policy_file.read_policy(path, explicit=True)
    assert data == text.encode()
    assert policy.resume.stagger == 2.0
    assert policy_file.read_policy(str(tmp_path / "absent.toml"), explicit=False) == (
        default_policy(),
        None,
    )


def test_the_start_method_keeps_as_last_good_what_it_read_not_a_later_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = '[resume]\nstagger = "2s"\n'
    path = write(tmp_path / "policy.toml", good)
    real_read = policy_file.read_policy

    def read_then_edit(*args: object, **kwargs: object) -> object:
        found = real_read(*args, **kwargs)  # type: ignore[arg-type]
        write(tmp_path / "policy.toml", "[resume]\nstagger = \n")  # an edit right after
        return found

    monkeypatch.setattr(method, "read_policy", read_then_edit)
    policy, problems = method.load_for_method(path, explicit=True, remember=True)
    assert (policy.resume.stagger, problems) == (2.0, [])
    assert Path(path + ".last-good").read_text() == good
