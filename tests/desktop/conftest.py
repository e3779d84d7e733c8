"""Fixtures of tests/desktop: the team logbook's real PostgreSQL (tests/desktop/pg_fixtures.py)."""

from tests.desktop.pg_fixtures import empty_server, pg_cluster, team_server  # noqa: F401
