"""`soumu-desk log …` end to end: the commands of the issue, clear errors, recovery, no secrets in the logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli import main

REPO = Path(__file__).resolve().parents[2]
NOTE_TEXT = "給湯室のポットが故障中で使えない"
QUESTION = "慶弔休暇は何日もらえますか"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["log", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_export_import_backup_report(capsys: pytest.CaptureFixture[str], data_home: Path, tmp_path: Path) -> None:
    code, out, err = run(
        capsys, "add", "note", "--place", "本社2F 給湯室", "--department", "総務部", "--category", "設備・備品",
        "--severity", "中", "--text", NOTE_TEXT, "--when", "2026-11-10T09:00:00",
    )
    assert code == 0 and len(out.strip()) == 36
    assert "RECOVERY KEY" in err and "一度" not in out  # the recovery key goes to stderr, shown once
    code, out, err = run(
        capsys, "add", "inquiry", "--channel", "電話", "--department", "営業部", "--question", QUESTION,
        "--answer", "本人の結婚は5日です", "--status", "保留", "--when", "2026-11-11T10:00:00",
    )
    assert code == 0 and "RECOVERY KEY" not in err

    code, out, _ = run(capsys, "list", "notes", "--json", "--from", "2026-11-01", "--to", "2026-11-30", "--text", "ポット")
    [note] = json.loads(out)
    assert note["text"] == NOTE_TEXT and note["place"] == "本社2F 給湯室"
    code, out, _ = run(capsys, "list", "inquiries", "--json", "--status", "解決")
    assert json.loads(out) == []
    code, out, _ = run(capsys, "list", "inquiries")
    assert QUESTION in out and "[保留]" in out

    csv_path, xlsx_path = tmp_path / "n.csv", tmp_path / "q.xlsx"
    assert run(capsys, "export", "notes", "--format", "csv", "--out", str(csv_path), "--encoding", "cp932")[0] == 0
    assert NOTE_TEXT in csv_path.read_bytes().decode("cp932")
    assert run(capsys, "export", "inquiries", "--format", "xlsx", "--out", str(xlsx_path))[0] == 0
    code, out, _ = run(capsys, "import", "notes", str(csv_path))
    assert code == 0 and "added 0" in out and "unchanged 1" in out

    code, out, _ = run(capsys, "backup")
    assert code == 0 and Path(out.strip()).is_file()
    report = tmp_path / "report.md"
    assert run(capsys, "report", "--month", "2026-11", "--out", str(report))[0] == 0
    assert "月次報告 2026-11" in report.read_text(encoding="utf-8")

    logs = "".join(p.read_text(encoding="utf-8") for p in (data_home / "logs").glob("*.log*"))
    assert NOTE_TEXT not in logs and QUESTION not in logs and "ポット" not in logs


def test_invalid_values_list_the_allowed_ones(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "add", "note", "--category", "空調", "--severity", "中", "--text", "x")
    assert code == 2 and "空調・照明・騒音" in err and "使える値" in err
    code, _, err = run(capsys, "add", "note", "--severity", "激", "--text", "x")
    assert code == 2 and "低 / 中 / 高 / 緊急" in err
    code, _, err = run(capsys, "add", "inquiry", "--channel", "FAX", "--question", "x")
    assert code == 2 and "電話" in err
    code, _, err = run(capsys, "report", "--month", "2026/11", "--out", "x.md")
    assert code == 2 and "YYYY-MM" in err
    code, out, _ = run(capsys, "list", "notes", "--json")
    assert json.loads(out) == []


def test_restore_and_recover(capsys: pytest.CaptureFixture[str], memory_keyring, tmp_path: Path) -> None:
    _, out, err = run(capsys, "add", "note", "--text", "復元される記録")
    recovery = next(line.strip() for line in err.splitlines() if line.strip().count("-") == 7)
    code, backup, _ = run(capsys, "backup")
    run(capsys, "add", "note", "--text", "消える記録")
    code, _, err = run(capsys, "restore", backup.strip())
    assert code == 0 and "before-restore" in err
    _, out, _ = run(capsys, "list", "notes", "--json")
    assert [n["text"] for n in json.loads(out)] == ["復元される記録"]

    memory_keyring.store.clear()  # the OS keyring was wiped
    code, _, err = run(capsys, "list", "notes")
    assert code == 3 and "recover" in err
    code, _, err = run(capsys, "recover", "--recovery-key", "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA")
    assert code == 3 and "回復キーが違います" in err
    assert run(capsys, "recover", "--recovery-key", recovery)[0] == 0
    _, out, _ = run(capsys, "list", "notes", "--json")
    assert [n["text"] for n in json.loads(out)] == ["復元される記録"]


def test_headless_passphrase_path_in_a_real_process(data_home: Path) -> None:
    """No keyring backend (CI): the passphrase comes from SOUMU_DESK_PASSPHRASE; a wrong one is refused."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SOUMU_DESK_HOME": str(data_home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "SOUMU_DESK_PASSPHRASE": "a good passphrase",
    }

    def cli(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "desktop", "log", *args], env={**env, **extra}, capture_output=True, text=True,
            timeout=120, stdin=subprocess.DEVNULL,
        )

    first = cli("add", "note", "--text", "ヘッドレスで記録")
    assert first.returncode == 0, first.stderr
    assert "keyring" in first.stderr and "RECOVERY KEY" in first.stderr
    wrong = cli("list", "notes", SOUMU_DESK_PASSPHRASE="not the passphrase")
    assert wrong.returncode == 3 and "パスフレーズが違います" in wrong.stderr
    none = cli("list", "notes", SOUMU_DESK_PASSPHRASE="")
    assert none.returncode == 3 and "SOUMU_DESK_PASSPHRASE" in none.stderr
    ok = cli("list", "notes", "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)[0]["text"] == "ヘッドレスで記録"
    logs = "".join(p.read_text(encoding="utf-8") for p in (data_home / "logs").glob("*.log*"))
    assert "a good passphrase" not in logs and "ヘッドレスで記録" not in logs
