"""desktop/secrets.py: keyring storage, passphrase fallback, recovery key; the key is never stored in plain text."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from desktop.secrets import (
    ENV_PASSPHRASE,
    PROMPT_NEW,
    PROMPT_UNLOCK,
    SERVICE,
    KeyManager,
    KeyMissingError,
    NoPassphraseError,
    SecretsError,
    WrongSecretError,
    format_recovery_key,
    keyring_status,
    parse_recovery_key,
)


@pytest.fixture
def no_keyring() -> object:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_first_run_stores_key_in_keyring_and_shows_recovery_key_once(data_home: Path, memory_keyring) -> None:
    km = KeyManager(data_home)
    created = km.create()
    assert len(created.key) == 32 and created.storage == "keyring"
    assert created.recovery_key and len(created.recovery_key.split("-")) == 8
    # the keyring holds the key under a per-home user name
    [(service, user)] = list(memory_keyring.store)
    assert service == SERVICE and user.startswith("logbook-")
    # keys.json holds wrapped blobs only: neither the key nor the recovery key in any form
    text = (data_home / "keys.json").read_text(encoding="utf-8")
    assert created.key.hex() not in text and created.key.hex().upper() not in text
    assert created.recovery_key.replace("-", "") not in text
    again = KeyManager(data_home).unlock()
    assert again.key == created.key and again.recovery_key is None


def test_two_homes_do_not_share_a_keyring_entry(tmp_path: Path, memory_keyring) -> None:
    a = KeyManager(tmp_path / "a").create()
    b = KeyManager(tmp_path / "b").create()
    assert a.key != b.key
    assert len(memory_keyring.store) == 2
    assert KeyManager(tmp_path / "a").unlock().key == a.key


def test_wiped_keyring_needs_the_recovery_key(data_home: Path, memory_keyring) -> None:
    created = KeyManager(data_home).create()
    memory_keyring.store.clear()
    with pytest.raises(KeyMissingError) as info:
        KeyManager(data_home).unlock()
    assert "recover" in str(info.value)
    with pytest.raises(WrongSecretError):
        KeyManager(data_home).recover(format_recovery_key(b"\x00" * 20))
    assert created.recovery_key is not None
    sloppy = created.recovery_key.lower().replace("-", " ")  # typed in lower case with spaces
    recovered = KeyManager(data_home).recover(sloppy)
    assert recovered.key == created.key
    assert KeyManager(data_home).unlock().key == created.key


def test_a_different_key_in_the_keyring_is_refused(data_home: Path, memory_keyring) -> None:
    KeyManager(data_home).create()
    (entry,) = memory_keyring.store
    memory_keyring.store[entry] = "00" * 32
    with pytest.raises(KeyMissingError):
        KeyManager(data_home).unlock()


def test_no_keyring_backend_is_detected(no_keyring) -> None:
    usable, reason = keyring_status()
    assert not usable and reason and "keyring" in reason


def test_passphrase_fallback_from_env(data_home: Path, no_keyring, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_PASSPHRASE, "correct horse battery")
    created = KeyManager(data_home, interactive=False).create()
    assert created.storage == "passphrase" and created.fallback_reason
    data = json.loads((data_home / "keys.json").read_text(encoding="utf-8"))
    assert data["storage"] == "passphrase" and "passphrase" in data
    assert KeyManager(data_home, interactive=False).unlock().key == created.key

    monkeypatch.setenv(ENV_PASSPHRASE, "wrong horse battery")
    before = (data_home / "keys.json").read_bytes()
    with pytest.raises(WrongSecretError) as info:
        KeyManager(data_home, interactive=False).unlock()
    assert "パスフレーズが違います" in str(info.value)
    assert (data_home / "keys.json").read_bytes() == before  # nothing touched


def test_passphrase_from_a_gui_callback(data_home: Path, no_keyring) -> None:
    prompts: list[str] = []

    def ask(prompt: str) -> str | None:
        prompts.append(prompt)
        return "a long enough passphrase"

    # the dialog wins even on a terminal (the GUI may be started from one)
    created = KeyManager(data_home, ask_passphrase=ask, interactive=True).create()
    assert KeyManager(data_home, ask_passphrase=ask, interactive=True).unlock().key == created.key
    assert prompts == [PROMPT_NEW, PROMPT_UNLOCK]
    with pytest.raises(NoPassphraseError):
        KeyManager(data_home, ask_passphrase=lambda _p: None, interactive=False).unlock()


def test_no_way_to_ask_says_what_to_do(data_home: Path, no_keyring) -> None:
    with pytest.raises(NoPassphraseError) as info:
        KeyManager(data_home, interactive=False).create()
    assert ENV_PASSPHRASE in str(info.value)
    assert not (data_home / "keys.json").exists()


def test_short_passphrase_is_refused(data_home: Path, no_keyring, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_PASSPHRASE, "short")
    with pytest.raises(SecretsError):
        KeyManager(data_home, interactive=False).create()
    assert not (data_home / "keys.json").exists()


def test_forgotten_passphrase_recovered_with_a_new_one(
    data_home: Path, no_keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_PASSPHRASE, "first passphrase")
    created = KeyManager(data_home, interactive=False).create()
    assert created.recovery_key
    monkeypatch.setenv(ENV_PASSPHRASE, "second passphrase")
    recovered = KeyManager(data_home, interactive=False).recover(created.recovery_key)
    assert recovered.key == created.key and recovered.storage == "passphrase"
    assert KeyManager(data_home, interactive=False).unlock().key == created.key


def test_recovery_key_format_round_trips() -> None:
    raw = bytes(range(20))
    text = format_recovery_key(raw)
    assert parse_recovery_key(text) == raw
    assert parse_recovery_key(text.lower().replace("-", "")) == raw
    with pytest.raises(WrongSecretError):
        parse_recovery_key("ABCD-EFGH")
