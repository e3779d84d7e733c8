"""installers/team/docker-compose.yml: Docker cannot run where the tests run, so the file is checked by parsing
it — the three services, their ports and volumes, TLS on, the model server listening on the LAN, and no
password written in it."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[1] / "installers" / "team" / "docker-compose.yml"


def test_the_compose_file_parses_and_names_what_the_readme_says() -> None:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = data["services"]
    assert set(services) == {"postgres", "model", "backup"}
    pg, model, backup = services["postgres"], services["model"], services["backup"]
    assert pg["image"].startswith("postgres:") and "5432:5432" in pg["ports"]
    assert "ssl=on" in pg["command"] and any(v.startswith("pgdata:") for v in pg["volumes"])
    assert pg["environment"]["POSTGRES_PASSWORD"].startswith("${SOUMU_DB_PASSWORD:?")  # from .env, never here
    assert "llama.cpp:server" in model["image"] and "8080:8080" in model["ports"]
    cmd = model["command"]
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0" and cmd[cmd.index("-m") + 1] == "/models/model.gguf"
    assert backup["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_dump -Fc" in backup["entrypoint"][-1] and "$$(date +%a)" in backup["entrypoint"][-1]
    assert "pgdata" in data["volumes"]


def test_no_secret_is_written_in_the_file() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    for line in text.splitlines():
        if "PASSWORD" in line and ":" in line and not line.lstrip().startswith("#"):
            assert "${SOUMU_DB_PASSWORD" in line, line
