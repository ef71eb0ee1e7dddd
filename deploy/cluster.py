"""A production-shaped registry on one machine, from Debian and PyPI packages only.

    deploy/cluster up | down [--purge] | status | kill NODE | promote | failover | degrade | env

``up`` starts, under one ``supervisord`` (PyPI ``supervisor``) that restarts whatever dies:

* ``pg-primary`` and ``pg-standby``: PostgreSQL (Debian's), the standby a hot standby fed by
  streaming replication and *synchronous* (``synchronous_standby_names = 'standby1'``): a commit
  is acknowledged once the standby has flushed it, so promoting the standby loses nothing that
  was acknowledged;
* ``redis``: rate limits, quotas, server-side sessions and the job queue (append-only file on);
* ``app1`` and ``app2``: gunicorn nodes in the ``staging`` configuration, each with its own
  instance folder, local lookup journal and metrics folder;
* ``worker``: the cohort-job consumer;
* ``provider``: the local identity provider standing in for FranceConnect and Pro Santé Connect
  (staging only), with the demo citizens and the cluster's own citizens (``citizens.json``);
* ``haproxy``: TLS on two listeners. The *public* one refuses ``/metrics``, ``/livez``,
  ``/readyz`` and the back-office ``/staff``; the *internal* one (agents, monitoring) serves
  everything. It checks each app node's ``/readyz`` twice a second and sends nothing to a node
  that fails it.

The app nodes reach PostgreSQL by a libpq multi-host URL with ``target_session_attrs=read-write``:
after a failover they connect to whichever server accepts writes. Every read and write goes to
the primary; the standby is there to be promoted.

``kill NODE`` sends SIGKILL to a program's process group: supervisord starts it again, except the
primary, which is never restarted as a primary (that would fork the history once the standby is
promoted). ``promote`` promotes the standby; ``failover`` kills the primary then promotes.
``degrade`` lets the primary commit without a synchronous standby (when the standby is lost and
writes would otherwise wait for it): availability chosen over durability, by an operator.

State lives in ``--dir`` (default ``instance/cluster``): ``cluster.json`` (ports, URLs), the keys
(``keys/``, mode 0600), the TLS certificate, the data folders and the logs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.auth.franceconnect import FRANCECONNECT_SCOPE  # noqa: E402
from registry.identifier_rules import key_for  # noqa: E402
VENV_BIN = Path(sys.executable).parent
AS_ROOT = os.geteuid() == 0
PROGRAMS = ("pg-primary", "pg-standby", "redis", "provider", "app1", "app2", "worker", "haproxy")
APP_NODES = ("app1", "app2")
CITIZENS = 200


def pg_bin() -> Path:
    for candidate in [os.environ.get("PG_BIN", "")] + sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if candidate and (Path(candidate) / "postgres").exists():
            return Path(candidate)
    raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not come up within {timeout:.0f} s")
        time.sleep(0.2)


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Cluster:
    def __init__(self, folder: Path) -> None:
        self.dir = folder.resolve()
        self.state_file = self.dir / "cluster.json"
        self.state = json.loads(self.state_file.read_text()) if self.state_file.exists() else {}

    # -- helpers -------------------------------------------------------------------------
    def path(self, *parts: str) -> Path:
        return self.dir.joinpath(*parts)

    def run_as_postgres(self, *command: str, **kwargs) -> subprocess.CompletedProcess:
        if AS_ROOT:
            command = ("runuser", "-u", "postgres", "--", *command)
        return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)

    def psql(self, port: int, sql: str, database: str = "postgres") -> str:
        result = subprocess.run([str(pg_bin() / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                 "-d", database, "-Atc", sql], capture_output=True, text=True, check=True)
        return result.stdout.strip()

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([str(VENV_BIN / "supervisorctl"), "-c", str(self.path("supervisord.conf")), *args],
                              capture_output=True, text=True, check=check)

    def flask(self, *args: str, input: str | None = None) -> str:
        """Run a ``flask`` command as the app nodes would (the operator's shell on a node)."""
        env = {**os.environ, **self.app_env("cli")}
        env.pop("PROMETHEUS_MULTIPROC_DIR")
        result = subprocess.run([str(VENV_BIN / "flask"), *args], cwd=ROOT, env=env,
                                capture_output=True, text=True, input=input)
        if result.returncode != 0:
            raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}")
        return result.stdout

    def database_url(self) -> str:
        ports = self.state["ports"]
        return (f"postgresql+psycopg://postgres@/registre?host=127.0.0.1:{ports['pg-primary']}"
                f"&host=127.0.0.1:{ports['pg-standby']}&target_session_attrs=read-write&connect_timeout=3")

    def redis_url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.state['ports']['redis']}/{db}"

    def app_env(self, node: str) -> dict[str, str]:
        """The environment of an app node or the worker: staging, with every production setting."""
        from portal.help import CHANNEL_SETTINGS
        from portal.trust import TRUST_SETTINGS

        keys = self.path("keys")
        env = {f"REGISTRE_{name}": f"[staging: {name.lower()}]" for name in (*TRUST_SETTINGS, *CHANNEL_SETTINGS)}
        provider = f"http://127.0.0.1:{self.state['ports']['provider']}"
        env.update({
            "REGISTRE_ENV_NAME": "staging",
            "REGISTRE_INSTANCE_PATH": str(self.path("nodes", node)),
            "REGISTRE_DATABASE_URL": self.database_url(),
            "REGISTRE_SECRET_KEY": (keys / "secret_key").read_text().strip(),
            "REGISTRE_IDENTIFIER_KEY_FILE": str(keys / "identifier.key"),
            "REGISTRE_OPRF_KEY_FILE": str(keys / "oprf.key"),
            "REGISTRE_LOG_SIGNING_KEY_FILE": str(keys / "log-signing.key"),
            "REGISTRE_CONTACT_KEY_FILE": str(keys / "contact.key"),
            # the staging relay: maildev on this machine, its mails shown on its own page
            "REGISTRE_MAIL_SMTP_URL": f"smtp://127.0.0.1:{self.state['ports']['mail-smtp']}",
            "REGISTRE_MAIL_FROM": "Registre national d'opposition (staging) <ne-pas-repondre@staging.invalid>",
            "REGISTRE_RATELIMIT_STORAGE_URI": self.redis_url(0),
            "REGISTRE_SESSION_STORE_URL": self.redis_url(1),
            "REGISTRE_JOBS_QUEUE_URL": self.redis_url(2),
            "REGISTRE_JOBS_FOLDER": str(self.path("shared", "jobs")),
            "REGISTRE_JOBS_LEASE_SECONDS": "10",
            "REGISTRE_JOBS_PROCESSES": "1",
            "REGISTRE_API_RECORD_JOURNAL": str(self.path("nodes", node, "journal")),
            "REGISTRE_TRUSTED_PROXIES": "1",
            "REGISTRE_LOG_FORMAT": "json",
            "REGISTRE_FRANCECONNECT_ISSUER": provider,
            "REGISTRE_FRANCECONNECT_CLIENT_ID": "registre-staging",
            "REGISTRE_FRANCECONNECT_CLIENT_SECRET": (keys / "psc_secret").read_text().strip(),
            # the local provider hands out gender and birthdate with "profile" only
            "REGISTRE_FRANCECONNECT_SCOPE": f"{FRANCECONNECT_SCOPE} profile",
            "REGISTRE_PSC_ISSUER": provider,
            "REGISTRE_PSC_CLIENT_ID": "registre-staging",
            "REGISTRE_PSC_CLIENT_SECRET": (keys / "psc_secret").read_text().strip(),
            "PROMETHEUS_MULTIPROC_DIR": str(self.path("nodes", node, "metrics")),
            "FLASK_APP": "wsgi",
        })
        env.update(self.state.get("app_settings", {}))
        return env

    # -- up ------------------------------------------------------------------------------
    def up(self, settings: dict[str, str]) -> None:
        if self.state_file.exists() and self.running():
            raise SystemExit(f"a cluster already runs in {self.dir} (deploy/cluster down first)")
        self.dir.mkdir(parents=True, exist_ok=True)
        if AS_ROOT:
            self.dir.chmod(0o755)  # the postgres user reaches its data folders inside
            if subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(self.dir)]).returncode != 0:
                raise SystemExit(f"the postgres user cannot reach {self.dir}: choose a folder whose parents it may enter")
        self.state = {"ports": {name: free_port() for name in
                                ("pg-primary", "pg-standby", "redis", "provider", "app1", "app2", "public",
                                 "internal", "worker-metrics", "mail-smtp", "mail-web")},
                      "app_settings": settings, "primary": "pg-primary", "standby": "pg-standby"}
        for folder in ("keys", "logs", "shared/jobs", "redis", "tls", "nodes"):
            self.path(folder).mkdir(parents=True, exist_ok=True)
        self._make_keys()
        self._make_citizens()
        self._initdb("pg-primary")
        self._write_supervisor_config()
        self.state_file.write_text(json.dumps(self.state, indent=2))
        subprocess.run([str(VENV_BIN / "supervisord"), "-c", str(self.path("supervisord.conf"))], check=True)
        wait_for(lambda: self.ctl("status", check=False).returncode in (0, 3), "supervisord")
        self.start("pg-primary")
        wait_for(lambda: self._ready(self.state["ports"]["pg-primary"]), "the PostgreSQL primary")
        self.psql(self.state["ports"]["pg-primary"], "CREATE DATABASE registre")
        self.flask("registry", "migrate")
        self._make_standby()
        self.start("pg-standby")
        wait_for(self._streaming, "the standby's streaming replication")
        self.psql(self.state["ports"]["pg-primary"], "ALTER SYSTEM SET synchronous_standby_names = 'standby1'")
        self.psql(self.state["ports"]["pg-primary"], "SELECT pg_reload_conf()")
        wait_for(lambda: self._sync_state() == "sync", "synchronous replication")
        for program in ("redis", "provider", "mail"):
            self.start(program)
        wait_for(lambda: listening(self.state["ports"]["redis"]), "redis")
        wait_for(lambda: listening(self.state["ports"]["provider"]), "the identity provider")
        for program in (*APP_NODES, "worker", "haproxy"):
            self.start(program)
        for node in APP_NODES:
            wait_for(lambda: self._http_ok(self.state["ports"][node], "/readyz"), node, timeout=180)
        wait_for(lambda: listening(self.state["ports"]["public"]), "haproxy")
        self.print_status()

    def start(self, program: str) -> None:
        self.ctl("start", program)

    def _make_keys(self) -> None:
        keys = self.path("keys")
        values = {"secret_key": secrets.token_hex(32), "psc_secret": secrets.token_hex(16),
                  "identifier.key": f"staging-hmac-1:{secrets.token_hex(32)}",
                  "oprf.key": f"staging-oprf-1:{secrets.token_hex(32)}",
                  "log-signing.key": f"staging-log-1:{secrets.token_hex(32)}",
                  "contact.key": f"staging-contact-1:{secrets.token_hex(32)}"}
        for name, value in values.items():
            path = keys / name
            path.write_text(value + "\n")
            path.chmod(0o600)
        self._make_certificate()

    def _make_certificate(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        import ipaddress

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "registre-opposition staging")])
        now = dt.datetime.now(dt.timezone.utc)
        certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                       .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                       .not_valid_after(now + dt.timedelta(days=30))
                       .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                                   x509.DNSName("localhost")]), critical=False)
                       .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                       .sign(key, hashes.SHA256()))
        pem = certificate.public_bytes(serialization.Encoding.PEM)
        self.path("tls", "certificate.pem").write_bytes(pem)
        bundle = self.path("tls", "proxy.pem")
        bundle.write_bytes(pem + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
        bundle.chmod(0o600)

    def _make_citizens(self) -> None:
        """Citizens of the staging provider whose numbers are ordinary (not the demo ones, which
        staging refuses as production does): born in Bordeaux (33063), every 53 days from 1960."""
        people = []
        for n in range(CITIZENS):
            born = dt.date(1960, 1, 1) + dt.timedelta(days=53 * n)
            sex = 1 + n % 2
            body = f"{sex}{born.year % 100:02d}{born.month:02d}33063{100 + n:03d}"
            nir = body + key_for(body)
            people.append({"sub": f"staging-citizen-{n}", "given_name": "Camille", "family_name": f"Essai{n}",
                           "gender": "male" if sex == 1 else "female", "birthdate": born.isoformat(),
                           "birthplace": "33063", "birthcountry": "99100", "acr": "eidas1", "nir": nir})
        path = self.path("keys", "citizens.json")
        path.write_text(json.dumps(people))
        path.chmod(0o600)

    def _initdb(self, name: str) -> None:
        data = self.path(name)
        data.mkdir(mode=0o700)
        if AS_ROOT:
            shutil.chown(data, "postgres", "postgres")
        self.run_as_postgres(str(pg_bin() / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                             "-E", "UTF8", "--no-locale")

    def _make_standby(self) -> None:
        data = self.path("pg-standby")
        data.mkdir(mode=0o700)
        if AS_ROOT:
            shutil.chown(data, "postgres", "postgres")
        primary = self.state["ports"]["pg-primary"]
        self.run_as_postgres(str(pg_bin() / "pg_basebackup"), "-D", str(data), "-R", "-X", "stream",
                             "--checkpoint=fast",
                             "-d", f"host=127.0.0.1 port={primary} user=postgres application_name=standby1")

    def _postgres_command(self, name: str) -> str:
        port = self.state["ports"][name]
        options = {"port": port, "listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{self.dir / 'run'}'",
                   "wal_level": "replica", "max_wal_senders": 8, "hot_standby": "on", "wal_keep_size": "'256MB'",
                   "max_connections": 200, "logging_collector": "off"}
        return f"{pg_bin() / 'postgres'} -D {self.path(name)} " + " ".join(f"-c {k}={v}" for k, v in options.items())

    def _ready(self, port: int) -> bool:
        return subprocess.run([str(pg_bin() / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-q"]).returncode == 0

    def _streaming(self) -> bool:
        try:
            return self.psql(self.state["ports"]["pg-primary"],
                             "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == "1"
        except subprocess.CalledProcessError:
            return False

    def _sync_state(self) -> str:
        try:
            return self.psql(self.state["ports"][self.state["primary"]],
                             "SELECT coalesce(max(sync_state), 'none') FROM pg_stat_replication")
        except subprocess.CalledProcessError:
            return "unreachable"

    @staticmethod
    def _http_ok(port: int, path: str) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    def _write_supervisor_config(self) -> None:
        run = self.path("run")
        run.mkdir(exist_ok=True)
        if AS_ROOT:
            shutil.chown(run, "postgres", "postgres")
        logs = self.path("logs")
        ports = self.state["ports"]
        sections = [
            f"[unix_http_server]\nfile={self.path('supervisor.sock')}\nchmod=0700\n",
            f"[supervisord]\nlogfile={logs / 'supervisord.log'}\npidfile={self.path('supervisord.pid')}\n"
            f"childlogdir={logs}\nloglevel=info\nuser=root\n" if AS_ROOT else
            f"[supervisord]\nlogfile={logs / 'supervisord.log'}\npidfile={self.path('supervisord.pid')}\n"
            f"childlogdir={logs}\nloglevel=info\n",
            "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n",
            f"[supervisorctl]\nserverurl=unix://{self.path('supervisor.sock')}\n",
        ]

        def program(name: str, command: str, *, env: dict | None = None, user: str | None = None,
                    autorestart: str = "true", stopsignal: str = "TERM") -> str:
            lines = [f"[program:{name}]", f"command={command}", f"directory={ROOT}", "autostart=false",
                     f"autorestart={autorestart}", "startsecs=1", "startretries=100", f"stopsignal={stopsignal}",
                     "stopwaitsecs=30", "stopasgroup=true", "killasgroup=true",
                     f"stdout_logfile={logs / (name + '.log')}", "redirect_stderr=true"]
            if user and AS_ROOT:
                lines.append(f"user={user}")
            if env:
                lines.append("environment=" + ",".join(f'{k}="{v}"' for k, v in env.items()))
            return "\n".join(lines) + "\n"

        sections.append(program("pg-primary", self._postgres_command("pg-primary"), user="postgres",
                                autorestart="false", stopsignal="INT"))
        sections.append(program("pg-standby", self._postgres_command("pg-standby"), user="postgres", stopsignal="INT"))
        sections.append(program("redis", f"/usr/bin/redis-server --port {ports['redis']} --bind 127.0.0.1 "
                                         f"--dir {self.path('redis')} --appendonly yes --appendfsync everysec --save ''"))
        sections.append(program("mail", f"{ROOT / 'node_modules/.bin/maildev'} --smtp {ports['mail-smtp']} "
                                        f"--web {ports['mail-web']} --ip 127.0.0.1 --silent"))
        sections.append(program("provider", f"{VENV_BIN / 'python'} -m portal.dev_provider --port {ports['provider']} "
                                            f"--extra-users-file {self.path('keys', 'citizens.json')}"))
        gunicorn = VENV_BIN / "gunicorn"

        def fresh_metrics(node: str, command: str) -> str:
            """The node's metrics files start empty at each start (prometheus-client's multiprocess mode)."""
            metrics = self.path("nodes", node, "metrics")
            metrics.mkdir(parents=True, exist_ok=True)
            return f"/bin/sh -c 'rm -f {metrics}/*.db; exec {command}'"

        for node in APP_NODES:
            sections.append(program(node, fresh_metrics(node, f"{gunicorn} -w 2 --threads 4 -b 127.0.0.1:{ports[node]} "
                                                              f"--graceful-timeout 10 wsgi:app"), env=self.app_env(node)))
        worker = f"{VENV_BIN / 'flask'} registry jobs-worker --workers 2 --metrics-port {ports['worker-metrics']}"
        sections.append(program("worker", fresh_metrics("worker", worker), env=self.app_env("worker")))
        sections.append(program("haproxy", f"/usr/sbin/haproxy -db -f {self.path('haproxy.cfg')}"))
        self.path("supervisord.conf").write_text("\n".join(sections))
        self.path("supervisord.conf").chmod(0o600)
        self._write_haproxy_config()

    def _write_haproxy_config(self) -> None:
        ports = self.state["ports"]
        bundle = self.path("tls", "proxy.pem")
        self.path("haproxy.cfg").write_text(f"""\
global
    maxconn 4000
    tune.ssl.default-dh-param 2048

defaults
    mode http
    timeout connect 2s
    timeout client 120s
    timeout server 300s
    timeout http-request 30s
    retries 3
    retry-on conn-failure empty-response
    option redispatch
    option forwardfor
    option http-buffer-request

frontend public
    bind 127.0.0.1:{ports['public']} ssl crt {bundle}
    http-request set-header X-Forwarded-Proto https
    # on the decoded path, any number of leading slashes: /%73taff and //staff reach the views of /staff
    http-request deny deny_status 404 if {{ path,url_dec -m reg ^/+(metrics|livez|readyz|staff) }}
    default_backend app_nodes

frontend internal
    bind 127.0.0.1:{ports['internal']} ssl crt {bundle}
    http-request set-header X-Forwarded-Proto https
    default_backend app_nodes

backend app_nodes
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 500ms fastinter 250ms fall 2 rise 2
    server app1 127.0.0.1:{ports['app1']} check
    server app2 127.0.0.1:{ports['app2']} check
""")

    # -- operations ----------------------------------------------------------------------
    def running(self) -> bool:
        pid_file = self.path("supervisord.pid")
        if not pid_file.exists():
            return False
        try:
            os.kill(int(pid_file.read_text().strip()), 0)
            return True
        except (ProcessLookupError, ValueError):
            return False

    def pid(self, program: str) -> int:
        out = self.ctl("pid", program, check=False).stdout.strip()
        if not out.isdigit() or int(out) == 0:
            raise SystemExit(f"{program} is not running")
        return int(out)

    def kill(self, program: str) -> int:
        if program not in PROGRAMS:
            raise SystemExit(f"unknown node {program!r}: one of {', '.join(PROGRAMS)}")
        pid = self.pid(program)
        try:
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
        return pid

    def promote(self) -> None:
        """Promote the standby to primary; it commits alone from then on (no standby left)."""
        standby = self.state["standby"]
        self.run_as_postgres(str(pg_bin() / "pg_ctl"), "promote", "-w", "-D", str(self.path(standby)))
        self.state["primary"], self.state["standby"] = standby, None
        self.state_file.write_text(json.dumps(self.state, indent=2))

    def failover(self) -> None:
        self.kill(self.state["primary"])
        self.promote()

    def degrade(self) -> None:
        port = self.state["ports"][self.state["primary"]]
        self.psql(port, "ALTER SYSTEM SET synchronous_standby_names = ''")
        self.psql(port, "SELECT pg_reload_conf()")

    def status(self) -> dict:
        programs = {}
        for line in self.ctl("status", check=False).stdout.splitlines():
            parts = line.split()
            if len(parts) >= 2:
                programs[parts[0]] = parts[1]
        return {"programs": programs, "primary": self.state.get("primary"), "standby": self.state.get("standby"),
                "replication": self._sync_state(),
                "public": f"https://127.0.0.1:{self.state['ports']['public']}/",
                "internal": f"https://127.0.0.1:{self.state['ports']['internal']}/"}

    def print_status(self) -> None:
        status = self.status()
        for name, state in status["programs"].items():
            print(f"{name:12} {state}")
        print(f"primary: {status['primary']}  standby: {status['standby'] or '-'}  replication: {status['replication']}")
        print(f"public:   {status['public']}   (TLS certificate: {self.path('tls', 'certificate.pem')})")
        print(f"internal: {status['internal']}  (agents, /metrics, probes)")
        print(f"worker metrics: http://127.0.0.1:{self.state['ports']['worker-metrics']}/metrics")

    def down(self, purge: bool) -> None:
        if self.running():
            self.ctl("stop", "all", check=False)
            self.ctl("shutdown", check=False)
            pid_file = self.path("supervisord.pid")
            wait_for(lambda: not pid_file.exists() or not self.running(), "supervisord's stop", timeout=60)
        if purge:
            shutil.rmtree(self.dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="deploy/cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=os.environ.get("CLUSTER_DIR", str(ROOT / "instance" / "cluster")))
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up")
    up.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="an extra REGISTRE_* setting for the app nodes and the worker")
    down = commands.add_parser("down")
    down.add_argument("--purge", action="store_true", help="delete the data and keys too")
    commands.add_parser("status")
    kill = commands.add_parser("kill")
    kill.add_argument("node", choices=PROGRAMS)
    commands.add_parser("promote")
    commands.add_parser("failover")
    commands.add_parser("degrade")
    commands.add_parser("env", help="print the cluster's state (ports, URLs) as JSON")
    args = parser.parse_args(argv)
    cluster = Cluster(Path(args.dir))
    if args.command == "up":
        cluster.up(dict(setting.split("=", 1) for setting in args.set))
    elif args.command == "down":
        cluster.down(args.purge)
    elif args.command == "status":
        cluster.print_status()
    elif args.command == "kill":
        print(f"killed {args.node} (pid {cluster.kill(args.node)})")
    elif args.command == "promote":
        cluster.promote()
    elif args.command == "failover":
        cluster.failover()
    elif args.command == "degrade":
        cluster.degrade()
    elif args.command == "env":
        print(json.dumps({**cluster.state, "database_url": cluster.database_url()}, indent=2))


if __name__ == "__main__":
    main()
