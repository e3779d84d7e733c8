"""pytest fixtures for the team logbook: one real PostgreSQL cluster per session, one database per test.

Import the fixtures into a test module (``from tests.desktop.pg_fixtures import pg_cluster, team_server``).
The session cluster (tests/desktop/pg_cluster.py) gets a template database with the team schema
(``team setup``'s migrations) and the logins ``alice``, ``bob`` (staff) and ``carol`` (manager); each test
gets a fresh copy of the template, dropped afterwards. Without PostgreSQL server binaries the tests skip
and say why.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest

from desktop.logbook.pg_schema import MANAGER_ROLE, STAFF_ROLE, migrate
from tests.desktop.pg_cluster import ClusterUnavailableError, PgCluster, start_cluster

TEMPLATE = "soumu_template"
LOGINS = {"alice": STAFF_ROLE, "bob": STAFF_ROLE, "carol": MANAGER_ROLE}
_numbers = itertools.count(1)


def password_of(user: str) -> str:
    return f"pw-{user}-7Qx"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        cluster = start_cluster("pgteam_")
    except ClusterUnavailableError as exc:
        pytest.skip(f"no PostgreSQL for the team-logbook tests: {exc}")
    try:
        with psycopg.connect(cluster.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {TEMPLATE}")
        with psycopg.connect(cluster.url(TEMPLATE), autocommit=True) as conn:
            migrate(conn)
        with psycopg.connect(cluster.url(), autocommit=True) as admin:
            for user, role in LOGINS.items():
                admin.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password_of(user)}' IN ROLE {role}")
        yield cluster
    finally:
        cluster.stop()


@dataclass
class TeamServer:
    """One test's team logbook database on the session cluster."""

    cluster: PgCluster
    dbname: str

    def url(self, user: str = "alice", *, with_password: bool = True, **params: str) -> str:
        if user == "soumu_admin":
            return self.cluster.url(self.dbname, **params)
        return self.cluster.url(self.dbname, user, password_of(user) if with_password else None, **params)


def _fresh_db(cluster: PgCluster, template: str | None) -> Iterator[TeamServer]:
    name = f"team_{next(_numbers)}"
    with psycopg.connect(cluster.url(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    try:
        yield TeamServer(cluster, name)
    finally:
        with psycopg.connect(cluster.url(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def team_server(pg_cluster: PgCluster) -> Iterator[TeamServer]:
    """A database with the team schema, reachable as alice, bob (staff), carol (manager)."""
    yield from _fresh_db(pg_cluster, TEMPLATE)


@pytest.fixture
def empty_server(pg_cluster: PgCluster) -> Iterator[TeamServer]:
    """A database without the team schema (for `team setup`)."""
    yield from _fresh_db(pg_cluster, None)
