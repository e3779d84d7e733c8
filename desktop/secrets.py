"""The logbook's database key: created once, kept in the OS keyring, recoverable, never stored in plain text.

Why it is shaped like this (DESIGN.md §5, STYLE.md §9):

- The key is 256 random bits, handed to SQLCipher as a raw key (``PRAGMA key = "x'…'"``), so opening the
  database costs no key derivation.
- Where the OS has a keyring, the key lives there (service ``soumu-desk``, user ``logbook-<home id>`` so two
  data homes never share or overwrite each other's key).
- Where there is no keyring backend (headless Linux, CI), the key is *wrapped* (AES-256-GCM) under a key
  derived from a passphrase with scrypt; the passphrase comes from ``SOUMU_DESK_PASSPHRASE``, a terminal
  prompt, or a callable supplied by the GUI. We say that we fell back; we never store the key in plain text.
- A recovery key (``XXXX-XXXX-…``, 160 random bits in base32) is shown once at creation. The database key is
  wrapped under it too, so a wiped keyring or a forgotten passphrase loses nothing.

``keys.json`` in the data home holds only wrapped blobs, salts and a key id (an HMAC, not the key).
Nothing here logs a key, a passphrase or a recovery key.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import json
import logging
import os
import sys
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

log = logging.getLogger(__name__)

SERVICE = "soumu-desk"
ENV_PASSPHRASE = "SOUMU_DESK_PASSPHRASE"
KEYS_FILE = "keys.json"
KEY_BYTES = 32
MIN_PASSPHRASE = 8
# scrypt cost: ~0.1 s and 32 MiB per derivation on a small laptop; only paid when unwrapping.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_RECOVERY_BYTES = 20  # 160 bits -> 32 base32 characters -> 8 groups of 4

AskPassphrase = Callable[[str], "str | None"]
# What ask_passphrase(prompt) receives: a dialog for a NEW passphrase should ask twice (confirm).
PROMPT_NEW = f"新しいパスフレーズ({MIN_PASSPHRASE}文字以上) / new passphrase ({MIN_PASSPHRASE}+ characters)"
PROMPT_UNLOCK = "ログブックのパスフレーズ / logbook passphrase"


class SecretsError(Exception):
    """A key problem the user can act on; ``str()`` is Japanese with English alongside."""

    def __init__(self, ja: str, en: str) -> None:
        super().__init__(f"{ja} / {en}")
        self.ja = ja
        self.en = en


class WrongSecretError(SecretsError):
    """The passphrase or recovery key does not unwrap the key. Nothing was changed."""


class KeyMissingError(SecretsError):
    """The key is not where it should be (e.g. the keyring was wiped): use the recovery key."""


class NoPassphraseError(SecretsError):
    """No keyring and no way to ask for a passphrase (no env var, no terminal, no dialog)."""


@dataclass(frozen=True)
class UnlockedKey:
    """The raw database key plus how it was obtained.

    ``recovery_key`` is set only on the run that created the key: show it once, then forget it.
    ``storage`` is ``"keyring"`` or ``"passphrase"``; ``fallback_reason`` says why there is no keyring.
    """

    key: bytes
    storage: str
    recovery_key: str | None = None
    fallback_reason: str | None = None

    @property
    def sqlcipher_pragma_value(self) -> str:
        return f"x'{self.key.hex()}'"


def keyring_status() -> tuple[bool, str | None]:
    """(usable, reason) for the current keyring backend, without touching any stored secret."""
    from keyring.backends import chainer, fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return False, "OSのキーリングが見つかりません / no OS keyring backend is available"
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return False, "OSのキーリングが見つかりません / no OS keyring backend is available"
    return True, None


def format_recovery_key(raw: bytes) -> str:
    text = base64.b32encode(raw).decode("ascii").rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_recovery_key(text: str) -> bytes:
    """Accept the key as shown, in any case, with or without hyphens/spaces; common look-alikes fixed."""
    cleaned = "".join(ch for ch in text.upper() if ch not in "- \t\r\n")
    cleaned = cleaned.translate(str.maketrans("018", "OIB"))
    try:
        raw = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except ValueError as exc:  # binascii.Error is a ValueError
        raise WrongSecretError(
            "回復キーの形式が正しくありません", "the recovery key is not in the expected format"
        ) from exc
    if len(raw) != _RECOVERY_BYTES:
        raise WrongSecretError("回復キーの長さが正しくありません", "the recovery key has the wrong length")
    return raw


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


def _derive(secret: bytes, salt: bytes, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret)


def wrap(key: bytes, secret: bytes, label: str) -> dict[str, Any]:
    """Encrypt ``key`` under a scrypt-derived key; ``label`` is bound as associated data."""
    salt = os.urandom(16)
    nonce = os.urandom(12)
    kek = _derive(secret, salt)
    ct = AESGCM(kek).encrypt(nonce, key, label.encode("utf-8"))
    return {
        "kdf": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": _b64(salt),
        "nonce": _b64(nonce),
        "ciphertext": _b64(ct),
    }


def unwrap(blob: Mapping[str, Any], secret: bytes, label: str) -> bytes:
    """Inverse of :func:`wrap`; raises :class:`InvalidTag` when the secret is wrong."""
    if blob.get("kdf") != "scrypt":
        raise SecretsError("鍵ファイルの形式が不明です", "unknown key file format")
    kek = _derive(secret, _unb64(blob["salt"]), int(blob["n"]), int(blob["r"]), int(blob["p"]))
    return AESGCM(kek).decrypt(_unb64(blob["nonce"]), _unb64(blob["ciphertext"]), label.encode("utf-8"))


def key_id(key: bytes) -> str:
    """A fingerprint that identifies the key without revealing it (checks keyring entries)."""
    return hmac.new(key, b"soumu-desk/logbook-key-id", hashlib.sha256).hexdigest()[:32]


class KeyManager:
    """Creates, stores, unlocks and recovers the logbook's database key for one data home.

    ``ask_passphrase(prompt)`` is how a GUI asks (return ``None`` for cancel); on a terminal we use
    ``getpass``; ``SOUMU_DESK_PASSPHRASE`` wins over both. The prompt text is Japanese + English.
    """

    def __init__(
        self,
        home: Path,
        *,
        ask_passphrase: AskPassphrase | None = None,
        environ: Mapping[str, str] | None = None,
        interactive: bool | None = None,
    ) -> None:
        self.home = Path(home)
        self._ask = ask_passphrase
        self._environ = environ if environ is not None else os.environ
        self._interactive = interactive

    # --- state -----------------------------------------------------------------------------------
    @property
    def keys_file(self) -> Path:
        return self.home / KEYS_FILE

    def exists(self) -> bool:
        return self.keys_file.exists()

    def storage(self) -> str | None:
        """``"keyring"``, ``"passphrase"`` or ``None`` when no key was created yet."""
        return str(self._load()["storage"]) if self.exists() else None

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.keys_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SecretsError(
                f"鍵ファイル {self.keys_file.name} を読めません", f"cannot read the key file {self.keys_file.name}"
            ) from exc
        if not isinstance(data, dict) or data.get("version") != 1:
            raise SecretsError("鍵ファイルの形式が不明です", "unknown key file format")
        return data

    def _save(self, data: dict[str, Any]) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".keys-", suffix=".tmp", dir=self.home)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2)
                fh.flush()
                os.fsync(fh.fileno())
            if os.name == "posix":
                os.chmod(tmp, 0o600)
            os.replace(tmp, self.keys_file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _keyring_user(self, data: Mapping[str, Any]) -> str:
        return f"logbook-{data['home_id']}"

    # --- passphrases ------------------------------------------------------------------------------
    def _is_tty(self) -> bool:
        if self._interactive is not None:
            return self._interactive
        return sys.stdin.isatty() and sys.stderr.isatty()

    def _get_passphrase(self, *, confirm: bool) -> str:
        """Env var, else the caller's dialog, else a terminal prompt. ``confirm``: a new passphrase."""
        env = self._environ.get(ENV_PASSPHRASE)
        if env:
            return env
        prompt = PROMPT_NEW if confirm else PROMPT_UNLOCK
        if self._ask is not None:  # the GUI asks in a dialog even when started from a terminal
            answer = self._ask(prompt)
            if answer:
                return answer
            raise NoPassphraseError("パスフレーズが入力されませんでした", "no passphrase was entered")
        if self._is_tty():
            first = getpass.getpass(prompt + ": ")
            if confirm:
                again = getpass.getpass("もう一度 / once more: ")
                if again != first:
                    raise WrongSecretError("パスフレーズが一致しません", "the passphrases do not match")
            return first
        raise NoPassphraseError(
            f"OSのキーリングが使えません。環境変数 {ENV_PASSPHRASE} でパスフレーズを指定してください",
            f"no OS keyring is available; set the passphrase in {ENV_PASSPHRASE}",
        )

    # --- the three operations -------------------------------------------------------------------------
    def create(self) -> UnlockedKey:
        """First run: make the key, store it (keyring or passphrase-wrapped), return it with the recovery key."""
        if self.exists():
            raise SecretsError("鍵はすでに作成されています", "a key already exists for this data home")
        key = os.urandom(KEY_BYTES)
        recovery_raw = os.urandom(_RECOVERY_BYTES)
        data: dict[str, Any] = {
            "version": 1,
            "home_id": uuid.uuid4().hex,
            "key_id": key_id(key),
            "recovery": wrap(key, recovery_raw, "recovery"),
        }
        reason = self._store(data, key)
        self._save(data)
        log.info("logbook key created (storage=%s)", data["storage"])
        return UnlockedKey(key, data["storage"], format_recovery_key(recovery_raw), reason)

    def unlock(self) -> UnlockedKey:
        """Return the existing key from the keyring or by passphrase. Raises a :class:`SecretsError`."""
        data = self._load()
        if data["storage"] == "keyring":
            usable, reason = keyring_status()
            if not usable:
                raise KeyMissingError(
                    "鍵はOSのキーリングにありますが、キーリングが使えません。`soumu-desk log recover` で回復キーを入力してください",
                    "the key is in the OS keyring, which is not available; run `soumu-desk log recover`",
                )
            try:
                stored = keyring.get_password(SERVICE, self._keyring_user(data))
            except keyring.errors.KeyringError as exc:
                raise KeyMissingError(
                    "キーリングから鍵を読めません。回復キーで復元してください",
                    "cannot read the key from the keyring; restore it with the recovery key",
                ) from exc
            if not stored:
                raise KeyMissingError(
                    "キーリングに鍵が見つかりません。`soumu-desk log recover` で回復キーを入力してください",
                    "the key is missing from the keyring; run `soumu-desk log recover` with the recovery key",
                )
            try:
                key = bytes.fromhex(stored)
            except ValueError:
                key = b""
            if len(key) != KEY_BYTES or key_id(key) != data["key_id"]:
                raise KeyMissingError(
                    "キーリングの鍵がこのデータと一致しません。回復キーで復元してください",
                    "the keyring holds a different key; restore it with the recovery key",
                )
            return UnlockedKey(key, "keyring")
        passphrase = self._get_passphrase(confirm=False)
        try:
            key = unwrap(data["passphrase"], passphrase.encode("utf-8"), "passphrase")
        except InvalidTag:
            raise WrongSecretError("パスフレーズが違います", "wrong passphrase") from None
        _, reason = keyring_status()
        return UnlockedKey(key, "passphrase", fallback_reason=reason)

    def open_or_create(self) -> UnlockedKey:
        return self.unlock() if self.exists() else self.create()

    def _store(self, data: dict[str, Any], key: bytes) -> str | None:
        """Keep ``key`` in the OS keyring, else wrapped under a new passphrase (asked twice); updates ``data``.
        Returns why the keyring could not be used, if it could not."""
        usable, reason = keyring_status()
        if usable:
            try:
                keyring.set_password(SERVICE, self._keyring_user(data), key.hex())
            except keyring.errors.KeyringError as exc:
                usable, reason = False, f"キーリングに保存できません / cannot store in the keyring ({type(exc).__name__})"
        if usable:
            data["storage"] = "keyring"
            data.pop("passphrase", None)
        else:
            log.warning("no usable keyring; the logbook key is wrapped by a passphrase")
            passphrase = self._get_passphrase(confirm=True)
            _check_new_passphrase(passphrase)
            data["storage"] = "passphrase"
            data["passphrase"] = wrap(key, passphrase.encode("utf-8"), "passphrase")
        return reason

    def recover(self, recovery_key: str) -> UnlockedKey:
        """Unwrap with the recovery key and store the key again (keyring, else a new passphrase)."""
        data = self._load()
        raw = parse_recovery_key(recovery_key)
        try:
            key = unwrap(data["recovery"], raw, "recovery")
        except InvalidTag:
            raise WrongSecretError("回復キーが違います", "wrong recovery key") from None
        reason = self._store(data, key)
        self._save(data)
        log.info("logbook key recovered (storage=%s)", data["storage"])
        return UnlockedKey(key, data["storage"], fallback_reason=reason)

    def change_passphrase(self, new_passphrase: str) -> None:
        """Re-wrap under a new passphrase (passphrase storage only); asks for the current one first."""
        current = self.unlock()
        if current.storage != "passphrase":
            raise SecretsError("鍵はキーリングに保存されています", "the key is stored in the OS keyring")
        _check_new_passphrase(new_passphrase)
        data = self._load()
        data["passphrase"] = wrap(current.key, new_passphrase.encode("utf-8"), "passphrase")
        self._save(data)


def _check_new_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise SecretsError(
            f"パスフレーズは{MIN_PASSPHRASE}文字以上にしてください",
            f"the passphrase must be at least {MIN_PASSPHRASE} characters",
        )
