"""Real parts for end-to-end tests: an SMTP server that collects what it is sent, Redis (the
shared one, or a private redis-server that a test may stop), and a `celery worker` process on
the test database.

Many test runs share this machine and its Redis: each run consumes a queue of its own, and a
test that stops Redis stops a private one on a free port, never the shared one.
"""

import asyncio
import contextlib
import email
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from email import policy
from pathlib import Path
from urllib.parse import quote

import kombu.pools
import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings

from haidepok.celery import app as celery_app
from tests.conftest import CONFIG_VARIABLES, PROJECT_DIR

# Where the shared Redis is taken when the suite runs without REDIS_URL (plain `make test`):
# a database of its own, away from the site's (0).
FALLBACK_REDIS_URL = "redis://127.0.0.1:6379/15"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def unavailable(reason: str):
    """Skip a test that lacks a real part, except in CI, where every part must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the end-to-end tests must run)")
    pytest.skip(reason)


# --- SMTP -----------------------------------------------------------------------------------


class SmtpSink:
    """An SMTP server on localhost (aiosmtpd, in a thread) that keeps every message it
    accepts. It can be slowed down (`delay` seconds per message), made to hold one message
    (`stall_at`), or made to refuse. `attempted` keeps every message it was sent, accepted
    or not. With `keep_stalled`, the held message counts as delivered (the server took it,
    its answer never reached the sender): what a sender killed after SMTP took its mail sees."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.attempted: list[email.message.EmailMessage] = []
        self.delay = 0.0
        self.refuse = False
        self.stall_at = None  # the number of a message to hold (for a minute) before answering
        self.keep_stalled = False
        self.attempts = 0  # DATA commands received, accepted or not
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def start(self):
        self._controller.start()
        return self

    def stop(self):
        self._controller.stop()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self.attempts += 1
            attempt = self.attempts
            self.attempted.append(message)
        if self.refuse:
            return "554 5.7.1 Refused by the test"
        # If the client dies meanwhile, aiosmtpd cancels this coroutine: a message that was
        # never acknowledged is not delivered (its sender will send it again), unless the
        # test keeps it (keep_stalled).
        if attempt == self.stall_at:
            if self.keep_stalled:
                with self._lock:
                    self.messages.append(message)
            await asyncio.sleep(60)
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def received(self) -> list:
        with self._lock:
            return list(self.messages)

    def wait_for(self, count: int, timeout: float = 20) -> list:
        wait_until(
            lambda: len(self.messages) >= count,
            timeout,
            f"{count} mails (got {len(self.messages)}: {[m['Subject'] for m in self.received()]})",
        )
        return self.received()


# --- Redis and the broker -------------------------------------------------------------------


def redis_answers(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError:
        return False


def shared_redis_url() -> str:
    """The Redis the suite was given (REDIS_URL), or the local one in a database of its own."""
    url = settings.REDIS_URL or FALLBACK_REDIS_URL
    if not redis_answers(url):
        unavailable(f"no Redis answers at {url}")
    return url


class PrivateRedis:
    """A redis-server of this test's own, on a free port, that the test may stop and start."""

    def __init__(self, tmp_path: Path):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            unavailable("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = tmp_path
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                self.binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: redis_answers(self.url), 10, f"redis-server on port {self.port}")
        return self

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


@contextlib.contextmanager
def celery_broker(url: str, queue: str):
    """Point this process's Celery app at a real broker (tasks are queued, not run here) and
    at `queue`, then put everything back as it was."""
    keys = ["broker_url", "task_always_eager", "task_default_queue"]
    previous = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(broker_url=url, task_always_eager=False, task_default_queue=queue)
    _forget_connections()
    try:
        yield
    finally:
        celery_app.conf.update(previous)
        _forget_connections()
        _delete_queue(url, queue)


def _delete_queue(url: str, queue: str):
    """Leave nothing of this test's queue behind in a Redis that others use (its name is
    unique: no other run has keys with it)."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        keys = list(client.scan_iter(match=f"*{queue}*"))
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        pass  # a private Redis already stopped


def _forget_connections():
    """Drop the app's broker connections and producers, and what it derived from its old
    settings (queues, routes), so the next task is sent with the new ones."""
    # Kombu keeps its connection and producer pools in registries of its own, by broker URL:
    # close and forget them all, or the next use of a URL would get a closed pool back.
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.__dict__.pop("amqp", None)


def unique_queue() -> str:
    return f"haidepok-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"


# --- The worker -----------------------------------------------------------------------------


def database_url() -> str:
    """The test database (created by pytest-django) as a DATABASE_URL for another process."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    user = quote(database.get("USER") or "", safe="")
    password = quote(database.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{database['NAME']}"


class Worker:
    """`celery -A haidepok worker --pool=solo` as a child process, on the test database."""

    def __init__(self, *, broker_url: str, queue: str, smtp: SmtpSink, log: Path, **env):
        self.log = log
        self.env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "haidepok.settings",
                "DATABASE_URL": database_url(),
                "REDIS_URL": broker_url,
                "CELERY_QUEUE": queue,
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(smtp.port),
                "EMAIL_TIMEOUT": "10",
                "NOTIFICATION_RETRY_DELAY": "1",
                "NOTIFICATION_MAX_ATTEMPTS": "3",
                "LOG_LEVEL": "INFO",
                **env,
            }
        )
        self.process = None
        self.started = 0

    def start(self, timeout: float = 30):
        self.started += 1
        celery = Path(sys.executable).with_name("celery")
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [
                    str(celery),
                    "-A",
                    "haidepok",
                    "worker",
                    "--pool=solo",
                    "-l",
                    "info",
                    "-n",
                    f"test-{os.getpid()}-{uuid.uuid4().hex[:6]}@%h",
                    "--without-mingle",
                    "--without-gossip",
                    "--without-heartbeat",
                ],
                cwd=PROJECT_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started = self.started
        wait_until(
            lambda: self.log.read_text().count(" ready.") >= started or self._died(),
            timeout,
            "the worker to be ready",
            interval=0.1,
        )
        if self._died():
            raise AssertionError(f"the worker stopped:\n{self.log.read_text()[-3000:]}")
        return self

    def _died(self) -> bool:
        return self.process.poll() is not None

    def kill(self):
        """As a crash would: SIGKILL, no clean-up, messages left unacknowledged."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # warm shutdown: finish the task at hand
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()
