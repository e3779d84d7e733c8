"""A throwaway PostgreSQL cluster for tests and benchmarks: a temp folder, 127.0.0.1, a free port, TLS.

Real server binaries (Debian's ``postgresql`` package; installers/setup.sh installs it when ``initdb`` is
missing), nothing mocked. ``initdb`` refuses to run as root, so as root the cluster runs as the
``postgres`` system user (created by the package), else as ``nobody``; its folder is owned by that user.
The admin role is ``soumu_admin`` (superuser) with a random password; every connection is TCP with
scram-sha-256, and the server offers TLS with a self-signed certificate made here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ADMIN = "soumu_admin"


class ClusterUnavailableError(RuntimeError):
    """No PostgreSQL server binaries here, or the cluster would not start: the reason, for a skip."""


def find_bindir() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    crt, pem = folder / "server.crt", folder / "server.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return crt, pem


@dataclass
class PgCluster:
    root: Path
    bindir: Path
    port: int
    password: str
    durable: bool = False
    _uid: int | None = None
    _gid: int | None = None
    log: Path = field(init=False)
    _opts: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.log = self.root / "server.log"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, dbname: str = "postgres", user: str = ADMIN, password: str | None = None, **params: str) -> str:
        pw = self.password if user == ADMIN and password is None else password
        auth = f"{user}:{pw}" if pw else user
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{dbname}" + (f"?{query}" if query else "")

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            user=self._uid,
            group=self._gid,
            extra_groups=[] if self._uid is not None else None,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,
            check=False,
        )

    def start(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        crt, key = _self_signed(self.root)
        for p in (self.root, pwfile, crt, key):
            if self._uid is not None:
                os.chown(p, self._uid, self._gid if self._gid is not None else -1)
        for p in (pwfile, key):
            p.chmod(0o600)
        done = self._run("initdb", "-D", str(self.data), "-U", ADMIN, "--auth=scram-sha-256", f"--pwfile={pwfile}",
                         "-E", "UTF8", "--locale=C.UTF-8")
        if done.returncode != 0:
            done = self._run("initdb", "-D", str(self.data), "-U", ADMIN, "--auth=scram-sha-256",
                             f"--pwfile={pwfile}", "-E", "UTF8", "--no-locale")
        if done.returncode != 0:
            raise ClusterUnavailableError(f"initdb failed: {done.stderr.strip()[-500:]}")
        pwfile.unlink()
        opts = [
            "-c listen_addresses=127.0.0.1",
            f"-p {self.port}",
            f"-k {self.root}",
            "-c ssl=on",
            f"-c ssl_cert_file={crt}",
            f"-c ssl_key_file={key}",
            "-c max_connections=60",
        ]
        if not self.durable:  # tests: nothing here must survive a crash
            opts += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._opts = " ".join(opts)
        self.resume()

    def resume(self) -> None:
        """Start the server (again, after :meth:`pause`) on the same port with the same data."""
        done = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._opts, "-w", "-t", "60",
                         "start")
        if done.returncode != 0:
            tail = self.log.read_text(errors="replace")[-800:] if self.log.exists() else done.stderr
            raise ClusterUnavailableError(f"pg_ctl start failed: {tail.strip()}")

    def pause(self) -> None:
        """Stop the server, keeping its data (tests of "the server is down")."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")

    def stop(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(prefix: str = "pgteam_", *, durable: bool = False) -> PgCluster:
    """Start a cluster in ``/tmp/<prefix>…``; raises :class:`ClusterUnavailableError` with the reason."""
    bindir = find_bindir()
    if bindir is None:
        raise ClusterUnavailableError(
            "PostgreSQL server binaries (initdb) not found; `installers/setup.sh test` installs Debian's "
            "`postgresql` package (apt-get) when it can"
        )
    uid = gid = None
    if os.geteuid() == 0:  # initdb refuses root
        for name in ("postgres", "nobody"):
            with contextlib.suppress(KeyError):
                entry = pwd.getpwnam(name)
                uid, gid = entry.pw_uid, entry.pw_gid
                break
        if uid is None:
            raise ClusterUnavailableError("running as root and no 'postgres' or 'nobody' user to run the cluster as")
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o700)
    cluster = PgCluster(root, bindir, _free_port(), secrets.token_urlsafe(16), durable, uid, gid)
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster
