import base64
import os
import re
import stat

import pytest

from agent.keys import KeyFileError, load_key, load_or_create_key

ENV = "RECOUP_TEST_KEY"
posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)


def test_first_run_creates_a_random_key_and_later_runs_reuse_it(tmp_path):
    path = tmp_path / "keys" / "contact.key"
    first = load_or_create_key(path, ENV)
    assert len(first) == 32
    assert load_or_create_key(path, ENV) == first
    assert load_key(path, ENV) == first
    assert load_or_create_key(tmp_path / "other.key", ENV) != first
    assert sorted(p.name for p in path.parent.iterdir()) == ["contact.key"], "no temporary file left behind"


@posix_only
def test_new_key_file_is_private_and_so_is_a_new_directory(tmp_path):
    path = tmp_path / "fresh" / "contact.key"
    load_or_create_key(path, ENV)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_length_is_generic_for_other_secrets(tmp_path):
    key = load_or_create_key(tmp_path / "card-hash.key", ENV, length=64)
    assert len(key) == 64
    with pytest.raises(KeyFileError, match=r"card-hash\.key holds 64 bytes, not the 32"):
        load_or_create_key(tmp_path / "card-hash.key", ENV)


def test_environment_variable_wins_and_no_file_is_created(tmp_path, monkeypatch):
    key = os.urandom(32)
    monkeypatch.setenv(ENV, base64.b64encode(key).decode() + "\n")
    assert load_or_create_key(tmp_path / "contact.key", ENV) == key
    assert load_key(tmp_path / "contact.key", ENV) == key
    assert not (tmp_path / "contact.key").exists()


def test_environment_variable_may_use_the_url_safe_alphabet(tmp_path, monkeypatch):
    key = bytes([0xFB, 0xFF] * 16)
    monkeypatch.setenv(ENV, base64.urlsafe_b64encode(key).decode())
    assert load_or_create_key(tmp_path / "k", ENV) == key


@pytest.mark.parametrize(
    ("value", "problem"),
    [("not base64!", "not valid base64"), (base64.b64encode(b"short").decode(), "decodes to 5 bytes"),
     ("", "decodes to 0 bytes")],
)
def test_malformed_environment_variable_is_refused_naming_it(tmp_path, monkeypatch, value, problem):
    monkeypatch.setenv(ENV, value)
    with pytest.raises(KeyFileError, match=f"{ENV} must hold 32 random bytes, base64-encoded.*{problem}"):
        load_or_create_key(tmp_path / "k", ENV)


@posix_only
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_key_file_readable_by_others_is_refused_naming_the_path(tmp_path, mode):
    path = tmp_path / "contact.key"
    path.write_bytes(os.urandom(32))
    path.chmod(mode)
    with pytest.raises(KeyFileError, match=re.escape(f"key file {path} can be read by other users (mode 0{mode:o})")):
        load_or_create_key(path, ENV)


def test_key_file_of_the_wrong_length_is_refused_naming_the_path(tmp_path):
    path = tmp_path / "contact.key"
    path.write_bytes(b"0123456789")
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match=re.escape(f"key file {path} holds 10 bytes, not the 32 of a key")):
        load_or_create_key(path, ENV)


def test_load_key_never_creates_one(tmp_path):
    path = tmp_path / "contact.key"
    with pytest.raises(KeyFileError, match=re.escape(f"no key file at {path} and {ENV} is not set")):
        load_key(path, ENV)
    assert not path.exists()


def test_unreadable_key_path_is_reported_not_raised_raw(tmp_path):
    (tmp_path / "contact.key").mkdir(mode=0o700)
    with pytest.raises(KeyFileError, match="cannot read key file"):
        load_or_create_key(tmp_path / "contact.key", ENV)
