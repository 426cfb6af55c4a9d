"""The real `rrdflight server` process, and Rerun's own `rerun server` as the reference, for Python client
tests: a plain module, so tests outside this directory (jdbc-examples/python, the newer-SDK suites in
../python-newest) start the servers the same way."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import os
import atexit
import urllib.parse
import urllib.request
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
JAR = ROOT / "flight-server" / "target" / "rrdflight.jar"
# Resolved: `rerun server` reports a recording's path with symlinks resolved, rrdflight the path it was
# given, so comparisons of storage URLs hold only for real paths (a worktree's fixtures/ is a symlink).
FIXTURES = Path(os.environ.get("RRDFLIGHT_FIXTURES", ROOT / "fixtures")).resolve()


class ListeningProcess:
    """A server process started on port 0: its output is kept (for failure messages), the port is read
    from the line matching `port_pattern`, and it is ready once it prints a line containing `ready`."""

    def __init__(self, command: list[str], port_pattern: str, ready: str, name: str, env: dict[str, str] | None = None) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=None if env is None else {**os.environ, **env})
        # Also stopped when the test process ends some other way (interrupted run, failing fixture).
        atexit.register(self.stop)
        started = threading.Event()
        self.port: int | None = None

        def pump() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                line = line.rstrip("\n")
                self.lines.append(line)
                m = re.search(port_pattern, line)
                if m:
                    self.port = int(m.group(1))
                if ready in line:
                    started.set()
            started.set()

        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()
        if not started.wait(60) or self.port is None:
            self.stop()
            raise RuntimeError(f"{name} did not start:\n" + "\n".join(self.lines))

    @property
    def rerun_uri(self) -> str:
        return f"rerun+http://127.0.0.1:{self.port}"

    def log_once_matching(self, pattern: str, timeout: float = 10.0) -> str:
        """The output so far, as one text, once a line matches `pattern` (or when `timeout` passes or the
        process has ended: the caller's assert then fails with the whole output). Lines arrive through a
        reader thread, so a line the server wrote while answering a call may not be in `lines` yet when the
        client returns."""
        deadline = time.monotonic() + timeout
        while True:
            ended = self.proc.poll() is not None
            if ended:
                self._pump.join(5)  # the last lines
            log = "\n".join(self.lines)
            if re.search(pattern, log) or ended or time.monotonic() > deadline:
                return log
            time.sleep(0.05)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._pump.join(5)
        return self.proc.returncode


# Tests register fixtures and files they write to temporary directories; the server refuses
# anything outside its allowed roots.
DEFAULT_ALLOWED_ROOTS = (FIXTURES, Path(tempfile.gettempdir()))


def class_data_archive(jar: Path = JAR) -> list[str]:
    """JVM flags for the class-data archive the build made with the jar (as scripts/rrdflight uses it):
    none when it is missing or older than the jar. Halves the start-up of every server a test starts."""
    archive = jar.with_suffix(".jsa")
    if archive.is_file() and archive.stat().st_mtime > jar.stat().st_mtime:
        return [f"-XX:SharedArchiveFile={archive}", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"]
    return []


class ServerProcess(ListeningProcess):
    """`rrdflight server` on an ephemeral port; clients may register below `allow_roots`. Tests start the jar
    with a 1 GB heap; `launcher=True` starts it as users do, with scripts/rrdflight and its memory defaults;
    `env` is added to its environment (e.g. the AWS variables of an object store)."""

    def __init__(self, data_dir: Path, *args: str, allow_roots=DEFAULT_ALLOWED_ROOTS, launcher: bool = False,
                 env: dict[str, str] | None = None, jar: Path | None = None, cpus: str | None = None) -> None:
        # Read at the call, not bound at definition: benchmarks point the module's JAR at another build (bench_common.use_jar).
        jar = JAR if jar is None else jar
        if not jar.is_file():
            raise RuntimeError(f"{jar} is missing: build with 'mvn package' (scripts/test does)")
        roots = [arg for root in allow_roots for arg in ("--allow-root", str(root))]
        java = ([str(ROOT / "scripts" / "rrdflight")] if launcher
                else ["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", *class_data_archive(jar), "-Xmx1g", "-jar", str(jar)])
        if launcher:
            env = {**(env or {}), "RRDFLIGHT_JAR": str(jar)}  # the jar asked for (which the launcher does not rebuild)
        if cpus is not None:
            java = ["taskset", "-c", cpus, *java]  # benchmarks: the server on cores of its own (its threads inherit it)
        super().__init__([*java, "server", "--port", "0", "--data-dir", str(data_dir), *roots, *args],
                         r"listening on [^\s:]+:(\d+)", "rrdflight ready", "server", env)

    @property
    def grpc_uri(self) -> str:
        return f"grpc://127.0.0.1:{self.port}"


ROW_COUNTS_READY = r"row counts ready: (\d+) views of (\d+) partitions counted"


class Restarts:
    """What a test of the catalog's caches (chunk times, row counts) sees over three servers on one data
    dir (`restart_cycle`): `answers[i]` and `counted[i]` (the background row counts of server i: views,
    partitions) while server i runs, `stored[i]` after it stopped; server 0 starts on a fresh data dir,
    server 1 restarts on it, server 2 restarts after `changed` was modified on disk."""

    def __init__(self) -> None:
        self.answers: list = []
        self.stored: list = []
        self.counted: list[tuple[int, int]] = []


def restart_cycle(start, ask, stored, changed: Path) -> Restarts:
    """Runs `ask(server)` on `start()` three times (see Restarts), each once the server's background row counts
    are ready (its log says so), and reads `stored()` after each stops (servers write what they learnt as they
    stop). Between the second and the third, `changed` gets a later modification time: the third server
    registers it again at start, as a changed file."""
    out = Restarts()
    for i in range(3):
        if i == 2:
            stat = changed.stat()
            os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        server = start()
        try:
            log = server.log_once_matching(ROW_COUNTS_READY, timeout=120)
            m = re.search(ROW_COUNTS_READY, log)
            assert m, f"no row counts line:\n{log}"
            out.counted.append((int(m.group(1)), int(m.group(2))))
            out.answers.append(ask(server))
        finally:
            server.stop()
        out.stored.append(stored())
    return out


def rerun_sdk_version() -> tuple[int, int, int]:
    """The version of the rerun-sdk installed in the running venv."""
    from importlib.metadata import version

    major, minor, patch = (int(part) for part in version("rerun-sdk").split(".")[:3])
    return major, minor, patch


def rerun_binary() -> Path:
    """The `rerun` executable inside the rerun-sdk wheel. Not the venv's bin/rerun: that is a Python
    wrapper that runs it as a child, which survives the wrapper being stopped."""
    import rerun_cli

    binary = Path(rerun_cli.__file__).parent / "rerun"
    if not binary.is_file():
        raise RuntimeError(f"{binary} is missing: the venv needs the rerun-sdk wheel its requirements file pins")
    return binary


class RerunServer(ListeningProcess):
    """Rerun's own `rerun server`, from the rerun-sdk wheel of the running venv, on an ephemeral port of
    127.0.0.1: the reference our catalog service is compared with."""

    def __init__(self, *args: str) -> None:
        binary = rerun_binary()
        # The listen address flag was renamed from --addr to --host in 0.28.
        listen = "--addr" if rerun_sdk_version() < (0, 28, 0) else "--host"
        super().__init__([str(binary), "server", listen, "127.0.0.1", "--port", "0", *args],
                         r"Listening on [^\s:]+:(\d+)", "Ready for connections", "rerun server")


def fixture_path(relative: str) -> Path:
    """A fixture written by scripts/gen-fixtures; fails with the command to run if it is missing."""
    path = FIXTURES / relative
    if not path.exists():
        raise RuntimeError(f"fixture missing: {path} (run scripts/gen-fixtures)")
    return path


def make_test_ca(directory: Path, key: str = "ec") -> Path:
    """A certificate authority made now with openssl, and a server certificate it signed for localhost and
    127.0.0.1: writes ca.pem, server.pem and server.key (PKCS#8) into `directory` and returns it.
    key: "ec" (P-256, what the README recommends: a full handshake signs ~30x cheaper, and the newest
    rerun-sdk makes ~30 connections per workflow) or "rsa" (2048 bits; the Java tests' TestCa uses RSA)."""
    if shutil.which("openssl") is None:
        raise RuntimeError("openssl is not installed")
    new_key = {"ec": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"], "rsa": ["-newkey", "rsa:2048"]}[key]
    directory.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    openssl("req", "-x509", *new_key, "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=rrdflight test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", *new_key, "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (directory / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return directory


def rrdflight_cli(*args: str, stdin: str = "", jar: Path = JAR) -> subprocess.CompletedProcess:
    """One run of the jar's CLI (e.g. `token create`), output captured."""
    return subprocess.run(["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", "-jar", str(jar), *args],
                          input=stdin, capture_output=True, text=True, timeout=120)


def create_token(data_dir: Path, role: str, *extra: str, jar: Path = JAR) -> str:
    """`rrdflight token create --role ROLE` in `data_dir`; returns the token (the command's last line)."""
    done = rrdflight_cli("token", "create", "--role", role, "--data-dir", str(data_dir), *extra, jar=jar)
    if done.returncode != 0:
        raise RuntimeError(f"token create failed: {done.stderr}")
    return done.stdout.strip().splitlines()[-1]


S3PROXY_JAR = ROOT / "flight-server" / "target" / "s3proxy" / "s3proxy.jar"


class S3Proxy(ListeningProcess):
    """A real S3-compatible server: s3proxy (org.gaul:s3proxy, copied to flight-server/target/s3proxy by the
    build) on a free port of 127.0.0.1, with SigV4 authentication and an in-memory blob store. Objects are
    put with signed PUTs through its S3 API, so they have the ETags a real store gives."""

    ACCESS_KEY = "rrdflight-test"
    SECRET_KEY = "rrdflight-test-secret"
    REGION = "us-east-1"

    def __init__(self, work_dir: Path, blob_dir: Path | None = None) -> None:
        """In memory, or in `blob_dir` on disk (s3proxy's filesystem-nio2 store, for data larger than memory)."""
        if not S3PROXY_JAR.is_file():
            raise RuntimeError(f"{S3PROXY_JAR} is missing: 'mvn -pl rrd,catalog,sql-planner,flight-server generate-test-resources'"
                               " (or scripts/test) copies it from Maven Central")
        work_dir.mkdir(parents=True, exist_ok=True)
        properties = work_dir / "s3proxy.properties"
        properties.write_text("\n".join([
            "s3proxy.endpoint=http://127.0.0.1:0", "s3proxy.authorization=aws-v2-or-v4",
            f"s3proxy.identity={self.ACCESS_KEY}", f"s3proxy.credential={self.SECRET_KEY}",
            f"jclouds.provider={'filesystem-nio2' if blob_dir else 'transient-nio2'}",
            *([f"jclouds.filesystem.basedir={blob_dir}"] if blob_dir else []),
            f"jclouds.identity={self.ACCESS_KEY}", f"jclouds.credential={self.SECRET_KEY}", ""]))
        super().__init__(["java", "-Xmx256m", "-jar", str(S3PROXY_JAR), "--properties", str(properties)],
                         r"Started ServerConnector@\S+\{HTTP/1.1, \(http/1.1\)\}\{[^:]+:(\d+)\}", "Started Server@", "s3proxy")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def credentials(self, secret: str | None = None) -> dict[str, str]:
        """The standard AWS environment variables a client of this store needs (another secret: refused)."""
        return {"AWS_ACCESS_KEY_ID": self.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": secret or self.SECRET_KEY, "AWS_REGION": self.REGION}

    def put(self, bucket: str, key: str, source: Path) -> None:
        """Puts the file at bucket/key (making the bucket first), replacing what was there."""
        self._request("PUT", f"/{bucket}", b"", ok=(200, 409))
        with open(source, "rb") as body:
            self._request("PUT", f"/{bucket}/{urllib.parse.quote(key)}", body, size=source.stat().st_size)

    def delete(self, bucket: str, key: str) -> None:
        self._request("DELETE", f"/{bucket}/{urllib.parse.quote(key)}", b"", ok=(200, 204))

    def _request(self, method: str, path: str, body, ok=(200,), size: int | None = None) -> None:
        """One request signed with AWS Signature Version 4 (test staging only; the server has its own client).
        A file body is streamed, its payload unsigned."""
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        host = f"127.0.0.1:{self.port}"
        payload = hashlib.sha256(body).hexdigest() if isinstance(body, bytes) else "UNSIGNED-PAYLOAD"
        headers = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": amz_date}
        signed = ";".join(sorted(headers))
        canonical = "\n".join([method, path, "", "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed, payload])
        scope = f"{day}/{self.REGION}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = ("AWS4" + self.SECRET_KEY).encode()
        for part in (day, self.REGION, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        request = urllib.request.Request(self.endpoint + path, data=body if method == "PUT" else None, method=method, headers={
            "x-amz-content-sha256": payload, "x-amz-date": amz_date,
            **({"Content-Length": str(size)} if size is not None else {}),
            "Authorization": f"AWS4-HMAC-SHA256 Credential={self.ACCESS_KEY}/{scope}, SignedHeaders={signed}, Signature={signature}"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status = response.status
        except urllib.error.HTTPError as e:
            status = e.code
        if status not in ok:
            raise RuntimeError(f"{method} {path} answered HTTP {status}")


def start_postgres(directory: Path) -> str:
    """A temporary PostgreSQL cluster in `directory` (scripts/test-postgres); its JDBC URL. Stop with stop_postgres."""
    return subprocess.run([str(ROOT / "scripts/test-postgres"), "start", str(directory)], check=True, capture_output=True,
                          text=True).stdout.strip()


def stop_postgres(directory: Path) -> None:
    subprocess.run([str(ROOT / "scripts/test-postgres"), "stop", str(directory)], check=False)


def create_database(server_url: str, prefix: str) -> str:
    """A new, empty database on the PostgreSQL of `server_url` (a scripts/test-postgres JDBC URL); its JDBC URL."""
    m = re.match(r"jdbc:postgresql://([^/]+)/([^?]+)\?user=([^&]+)&password=([^&]+)", server_url)
    if not m:
        raise ValueError("unexpected PostgreSQL URL shape (want jdbc:postgresql://HOST/DB?user=U&password=P)")
    host, _db, user, password = m.groups()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    psql = sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))
    subprocess.run([str(psql[-1]) if psql else "psql", f"postgresql://{user}@{host}/postgres", "-q", "-c", f"CREATE DATABASE {name}"],
                   check=True, env={**os.environ, "PGPASSWORD": password})
    return f"jdbc:postgresql://{host}/{name}?user={user}&password={password}"
