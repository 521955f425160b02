"""Hai Depok at city scale, measured against Django's own ceiling on the same server.

    .venv/bin/python bench/run.py [--scale 1] [--duration 10] [--connections 8]

1. Builds a Depok-scale dataset in its own PostgreSQL database (haidepok_bench, dropped and
   created again on every run): 600 facilities in the 11 kecamatan with opening hours, 50,000
   residents (one password hash for all), 1,000,000 bookings over three years in every state,
   loaded with COPY. Slot-holding bookings never overlap on a facility, buffer included (the
   exclusion constraint would refuse them): each facility has a fixed daily grid of one-hour
   slots two hours apart, and each booking takes one cell of it. Bulk bookings have no
   BookingEvents and no notifications. --scale multiplies every count.
2. Starts the production stack on a free port: gunicorn (DEBUG off, whitenoise's manifest
   storage after collectstatic into a temporary STATIC_ROOT) and a Celery worker on Redis
   database 14 with a queue of its own. HAIDEPOK_BENCHMARK_BASELINE=1 adds the baseline page
   and the X-Bench-Queries header (haidepok/views.py).
3. Loads each endpoint for --duration seconds at --connections connections with wrk (Debian's
   package), and the booking API (create, then cancel) with bench/booking_client.py, a separate
   process of threads, each with its own resident's API token.
4. Availability at two sizes: the facility's week is measured first with 1 % of the bookings
   loaded (10,000 at scale 1), then again after the rest are loaded.
5. Prints the table, the gunicorn workers' RSS, and counts overlapping slot-holding bookings.

Needs PostgreSQL at BENCH_PG_URL (postgres://postgres@127.0.0.1:5432), Redis at BENCH_REDIS_URL
(redis://127.0.0.1:6379/14) and wrk (`apt-get install -y wrk`; installed when missing and
running as root).
"""

import argparse
import datetime as dt
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = PROJECT_DIR / "bench"
PYTHON = sys.executable
VENV_BIN = Path(sys.executable).parent

FACILITIES = 600
RESIDENTS = 50_000
BOOKINGS = 1_000_000
DAYS_BACK = 3 * 365 - 15  # bulk bookings: three years, ending two weeks from today
DAYS_AHEAD = 14
GRID_HOURS = (7, 9, 11, 13, 15, 17, 19)  # one-hour slots two hours apart, buffer 30 minutes
BUFFER_MINUTES = 30
CREATE_FIRST_DAY = 20  # the booking client books from here on: no bulk booking is there
CREATE_DAYS = 35
KECAMATAN = [
    "beji",
    "bojongsari",
    "cilodong",
    "cimanggis",
    "cinere",
    "cipayung",
    "limo",
    "pancoran-mas",
    "sawangan",
    "sukmajaya",
    "tapos",
]
KINDS = ["hall", "field", "park", "court", "room", "other"]

WRK_SCRIPT = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) s5xx = 0; s4xx = 0 end
function response(status, headers, body)
  if status >= 500 then s5xx = s5xx + 1 elseif status >= 400 then s4xx = s4xx + 1 end
end
function done(summary, latency, requests)
  local n5, n4 = 0, 0
  for _, t in ipairs(threads) do n5 = n5 + t:get("s5xx"); n4 = n4 + t:get("s4xx") end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration=%d p50=%d p95=%d p99=%d s5xx=%d s4xx=%d sockerr=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), n5, n4, e.connect + e.read + e.write + e.timeout))
end
"""


def log(message):
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_wrk():
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk (apt-get install -y wrk)")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    return shutil.which("wrk")


# --- The dataset ----------------------------------------------------------------------------


def recreate_database(pg_url, name):
    drop_database(pg_url, name, create_again=True)


def drop_database(pg_url, name, create_again=False):
    import psycopg2

    conn = psycopg2.connect(f"{pg_url}/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if create_again:
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def copy_rows(cursor, table, columns, rows):
    """COPY rows (tuples of str/None) into table, in chunks."""
    buffer = io.StringIO()
    count = 0

    def flush():
        buffer.seek(0)
        cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT text)", buffer
        )
        buffer.seek(0)
        buffer.truncate()

    for row in rows:
        buffer.write("\t".join(r"\N" if value is None else str(value) for value in row))
        buffer.write("\n")
        count += 1
        if count % 200_000 == 0:
            flush()
    flush()
    return count


class Dataset:
    def __init__(self, scale, seed=8):
        self.random = random.Random(seed)
        self.facilities = max(11, round(FACILITIES * scale))
        self.residents = max(20, round(RESIDENTS * scale))
        self.bookings = max(100, round(BOOKINGS * scale))
        self.today = None

    def build_base(self):
        """Communities, facilities with opening hours and residents (the ORM and COPY)."""
        from django.contrib.auth.hashers import make_password
        from django.db import connection

        from communities.models import Community
        from facilities.models import Facility, OpeningHours, Tariff
        from haidepok import clock

        self.today = clock.local_now().date()
        communities = Community.objects.bulk_create(
            Community(
                name=f"Warga {kecamatan.title()} {n}",
                slug=f"warga-{kecamatan}-{n}",
                kecamatan=kecamatan,
                contact_name="Pak RT",
                phone="081234567890",
                email=f"rt-{kecamatan}-{n}@example.org",
                status=Community.Status.VERIFIED,
            )
            for kecamatan in KECAMATAN
            for n in range(3)
        )
        facilities = []
        for i in range(self.facilities):
            community = communities[i % len(communities)]
            facilities.append(
                Facility(
                    community=community,
                    name=f"Balai {community.kecamatan.title()} {i + 1}",
                    slug=f"balai-{community.kecamatan}-{i + 1}",
                    kind=KINDS[i % len(KINDS)],
                    description="Fasilitas umum Kota Depok. " * 5,
                    address=f"Jl. Margonda Raya No. {i + 1}, Depok",
                    kecamatan=community.kecamatan,
                    capacity=20 + (i * 7) % 300,
                    amenities=["parkir", "toilet", "listrik"],
                    is_published=True,
                    slot_minutes=60,
                    min_slots=1,
                    max_slots=4,
                    buffer_minutes=BUFFER_MINUTES,
                    lead_hours=24,
                    horizon_days=90,
                    max_active_per_user=3,
                    cancel_hours=24,
                    approval=Facility.Approval.AUTO if i % 4 else Facility.Approval.COMMUNITY,
                )
            )
        self.facility_objects = Facility.objects.bulk_create(facilities, batch_size=1000)
        # Every third facility charges retribusi (the social class, per hour): its requests
        # are priced and approved ones invoiced, as in the city.
        Tariff.objects.bulk_create(
            (
                Tariff(
                    facility=facility,
                    tariff_class=Tariff.Class.SOSIAL,
                    unit=Tariff.Unit.HOUR,
                    price=50_000,
                    valid_from=dt.date(2000, 1, 1),
                )
                for i, facility in enumerate(self.facility_objects)
                if i % 3 == 0
            ),
            batch_size=1000,
        )
        OpeningHours.objects.bulk_create(
            (
                OpeningHours(
                    facility=facility, weekday=weekday, opens=dt.time(6), closes=dt.time(22)
                )
                for facility in self.facility_objects
                for weekday in range(7)
            ),
            batch_size=5000,
        )
        password = make_password("benchmark-password")
        now = dt.datetime.now(dt.UTC).isoformat()
        with connection.cursor() as cursor:
            copy_rows(
                cursor.cursor,
                "accounts_user",
                [
                    "password",
                    "is_superuser",
                    "email",
                    "is_staff",
                    "is_active",
                    "date_joined",
                    "full_name",
                    "phone",
                    "language",
                    "whatsapp_number",
                ],
                (
                    (password, "f", f"warga{n}@example.org", "f", "t", now, f"Warga {n}")
                    + ("081234567890", "id", "")
                    for n in range(self.residents)
                ),
            )
            cursor.execute("SELECT min(id), max(id) FROM accounts_user")
            self.user_ids = cursor.fetchone()

    def plan_bookings(self):
        """Distinct cells of the facilities' grids, in a random order."""
        days = DAYS_BACK + DAYS_AHEAD
        cells = len(self.facility_objects) * days * len(GRID_HOURS)
        self.bookings = min(self.bookings, cells)
        self.cells = self.random.sample(range(cells), self.bookings)
        self.small = max(10, self.bookings // 100)

    def booking_rows(self, first, last):
        from zoneinfo import ZoneInfo

        wib = ZoneInfo("Asia/Jakarta")
        first_day = self.today - dt.timedelta(days=DAYS_BACK)
        facility_ids = [facility.id for facility in self.facility_objects]
        per_facility = (DAYS_BACK + DAYS_AHEAD) * len(GRID_HOURS)
        low, high = self.user_ids
        rnd = self.random
        now = dt.datetime.now(dt.UTC).isoformat()
        past = ["completed"] * 70 + ["cancelled"] * 12 + ["no_show"] * 5 + ["rejected"] * 5
        past += ["expired"] * 3 + ["approved"] * 5
        future = ["approved"] * 60 + ["requested"] * 20 + ["cancelled"] * 12 + ["rejected"] * 8
        for index in range(first, last):
            cell = self.cells[index]
            facility_index, rest = divmod(cell, per_facility)
            day_index, hour_index = divmod(rest, len(GRID_HOURS))
            day = first_day + dt.timedelta(days=day_index)
            start = dt.datetime.combine(day, dt.time(GRID_HOURS[hour_index]), wib)
            end = start + dt.timedelta(hours=1)
            status = rnd.choice(past if day < self.today else future)
            yield (
                f"BX{index:010d}",
                facility_ids[facility_index],
                rnd.randint(low, high),
                start.isoformat(),
                end.isoformat(),
                (end + dt.timedelta(minutes=BUFFER_MINUTES)).isoformat(),
                "Pertemuan warga",
                rnd.randint(5, 20),
                "",
                "081234567890",
                status,
                "",
                now,
                now,
                # Unique as the column requires; not secret here (the bench's own data).
                f"{rnd.getrandbits(128):032x}",
                "",
                "0",
                # A rejection has a category (a constraint refuses one without).
                "other" if status == "rejected" else "",
            )

    def load_bookings(self, first, last):
        from django.db import connection

        with connection.cursor() as cursor:
            count = copy_rows(
                cursor.cursor,
                "bookings_booking",
                [
                    "reference",
                    "facility_id",
                    "user_id",
                    "start",
                    '"end"',
                    "blocked_until",
                    "purpose",
                    "attendees",
                    "organisation",
                    "contact_phone",
                    "status",
                    "decision_reason",
                    "created_at",
                    "updated_at",
                    "permit_code",
                    "tariff_class",
                    "price_total",
                    "rejection_category",
                ],
                self.booking_rows(first, last),
            )
        # Vacuumed and analysed now, so that autovacuum does not start on the new rows while
        # the endpoints are measured (VACUUM runs outside a transaction: autocommit here).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        return count


def make_tokens(count):
    from allauth.account.models import EmailAddress

    from accounts.models import User
    from accounts.services import api_token_create

    tokens = []
    for n in range(count):
        user = User.objects.create_user(f"bench-client-{n}@example.org", "benchmark-password")
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        tokens.append(api_token_create(user=user, name="benchmark")[1])
    return tokens


def holders_query_ms(slug, first_day, days=7):
    """The database's own time (EXPLAIN ANALYZE, best of 5) for the availability endpoint's
    bookings query: a figure that the machine's other load hardly moves."""
    from bookings import rules
    from bookings.models import Booking
    from haidepok import clock

    range_start = clock.local_datetime(first_day, dt.time.min)
    range_end = clock.local_datetime(first_day + dt.timedelta(days=days), dt.time.min)
    query = Booking.objects.holding_slot().filter(
        facility__slug=slug,
        start__gt=range_start - rules.MAX_BLOCKED_SPAN,
        start__lt=range_end + dt.timedelta(minutes=BUFFER_MINUTES),
        blocked_until__gt=range_start,
    )
    times = []
    for _ in range(5):
        plan = query.values_list("start", "blocked_until").explain(analyze=True)
        times.append(float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1)))
    return min(times)


OVERLAPS_SQL = """
SELECT count(*) FROM (
  SELECT start, max(blocked_until) OVER (
    PARTITION BY facility_id ORDER BY start, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
  ) AS previous_until
  FROM bookings_booking WHERE status IN ('requested', 'approved')
) AS holding WHERE previous_until > start
"""


# --- The stack --------------------------------------------------------------------------------


class Stack:
    def __init__(self, env, workers, folder, celery=True):
        self.env, self.workers, self.folder, self.with_celery = env, workers, folder, celery
        self.port = free_port()
        self.processes = []

    def start(self):
        self.gunicorn = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "haidepok.wsgi",
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--backlog",
                "2048",
                "--access-logfile",
                "/dev/null",
            ],
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=open(self.folder / f"gunicorn-{self.port}.log", "w"),
            stderr=subprocess.STDOUT,
        )
        self.processes = [self.gunicorn]
        if self.with_celery:
            self.processes.append(self.start_celery())
        for _ in range(120):
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            if self.gunicorn.poll() is not None:
                break
            time.sleep(0.5)
        self.stop()
        print((self.folder / f"gunicorn-{self.port}.log").read_text()[-3000:])
        sys.exit("gunicorn did not start")

    def start_celery(self):
        # At a lower CPU priority than gunicorn, as on any machine where the worker shares the
        # cores with the web workers: mail waits a moment, a resident's request does not.
        return subprocess.Popen(
            [
                "nice",
                "-n",
                "10",
                str(VENV_BIN / "celery"),
                "-A",
                "haidepok",
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
                "-Q",
                self.env["CELERY_QUEUE"],
            ],
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=open(self.folder / "celery.log", "w"),
            stderr=subprocess.STDOUT,
        )

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def worker_rss_mb(self):
        output = subprocess.run(
            ["ps", "--ppid", str(self.gunicorn.pid), "-o", "rss="],
            capture_output=True,
            text=True,
        ).stdout
        return [int(line) / 1024 for line in output.split()]

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def post(url, body, token):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def run_wrk(wrk, script, url, duration, connections):
    threads = min(2, connections)
    output = subprocess.run(
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=duration + 60,
    ).stdout
    match = re.search(r"^BENCH (.*)$", output, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk gave no figures for {url}:\n{output}")
    figures = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}
    return {
        "rps": figures["requests"] / (figures["duration"] / 1e6),
        "p50": figures["p50"] / 1000,
        "p95": figures["p95"] / 1000,
        "p99": figures["p99"] / 1000,
        "5xx": figures["s5xx"],
        "4xx": figures["s4xx"] + figures["sockerr"],
        "requests": figures["requests"],
    }


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_booking_client(stack, folder, tokens, slugs, today, duration):
    plan = folder / "booking-plan.json"
    plan.write_text(
        json.dumps(
            {
                "tokens": tokens,
                "facilities": slugs,
                "first_day": (today + dt.timedelta(days=CREATE_FIRST_DAY)).isoformat(),
                "days": CREATE_DAYS,
            }
        )
    )
    output = subprocess.run(
        [PYTHON, str(BENCH_DIR / "booking_client.py"), str(stack.port), str(plan), str(duration)],
        capture_output=True,
        text=True,
        timeout=duration + 120,
    )
    if output.returncode:
        raise RuntimeError(f"booking client failed:\n{output.stderr}")
    results = json.loads(output.stdout.strip().splitlines()[-1])
    latencies = [micros / 1000 for micros in results["create"] + results["cancel"]]
    statuses = results["status"]
    return {
        "rps": len(latencies) / results["elapsed"],
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "5xx": sum(n for key, n in statuses.items() if key.split()[-1].startswith("5")),
        "4xx": sum(n for key, n in statuses.items() if key.split()[-1][0] in "4e"),
        "requests": len(latencies),
        "statuses": statuses,
        "create_p50": percentile([m / 1000 for m in results["create"]], 0.5),
    }


# --- Main -------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every count")
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers"
    )
    parser.add_argument("--database", default="haidepok_bench", help="dropped and created")
    parser.add_argument("--drop-after", action="store_true", help="drop the database at the end")
    options = parser.parse_args()

    pg_url = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    wrk = ensure_wrk()
    folder = Path(tempfile.mkdtemp(prefix="haidepok-bench-"))
    database_url = f"{pg_url}/{options.database}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "EMAIL_HOST", "MEDIA_STORAGE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "haidepok.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_QUEUE": f"haidepok-bench-{os.getpid()}",
            "CACHE_KEY_PREFIX": f"haidepok-bench-{os.getpid()}",
            "LOG_LEVEL": "WARNING",
            "STATIC_ROOT": str(folder / "static"),
            "MEDIA_ROOT": str(folder / "media"),
        }
    )
    os.environ.update(env)
    started = time.monotonic()

    log(f"database {options.database}: dropping, creating, migrating")
    recreate_database(pg_url, options.database)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=PROJECT_DIR, env=env, check=True
    )
    sys.path.insert(0, str(PROJECT_DIR))
    import django

    django.setup()
    from django.db import connection

    dataset = Dataset(options.scale)
    dataset.build_base()
    tokens = make_tokens(options.connections)
    dataset.plan_bookings()
    log(
        f"{dataset.facilities} facilities, {dataset.residents} residents; loading the first "
        f"{dataset.small} of {dataset.bookings} bookings"
    )
    dataset.load_bookings(0, dataset.small)

    production = dict(
        env,
        DEBUG="false",
        SECRET_KEY="benchmark-only-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        HAIDEPOK_BENCHMARK_BASELINE="1",
    )
    log("collectstatic")
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=PROJECT_DIR,
        env=production,
        check=True,
    )
    connection.close()
    stack = Stack(production, options.workers, folder).start()
    log(f"gunicorn ({options.workers} sync workers) and a Celery worker on port {stack.port}")
    # The availability grid at two sizes is measured without the page cache, on a second
    # gunicorn: it is the database's part of the grid that must not grow with the table.
    uncached = Stack(dict(production, PAGE_CACHE="false"), options.workers, folder, celery=False)
    script = folder / "bench.lua"
    script.write_text(WRK_SCRIPT)
    today = dataset.today
    # The facility measured at both sizes: the one with the most bookings in the coming week.
    slug = dataset.facility_objects[0].slug
    week = (today + dt.timedelta(days=1)).isoformat()
    availability_path = f"/api/v1/facilities/{slug}/availability/?start={week}&days=7"
    try:
        uncached.start()
        # Every worker warm (templates compiled, connection open) before the first figure.
        run_wrk(wrk, script, uncached.url(availability_path), 1, options.connections)
        small = run_wrk(
            wrk, script, uncached.url(availability_path), options.duration, options.connections
        )
        small["sql"] = holders_query_ms(slug, today + dt.timedelta(days=1))
        log(f"availability (not cached) with {dataset.small} bookings: p50 {small['p50']:.1f} ms")

        log(f"loading the other {dataset.bookings - dataset.small} bookings (COPY)")
        load_started = time.monotonic()
        dataset.load_bookings(dataset.small, dataset.bookings)
        # COPY sends no model signal: say that the pages changed, as any bulk load must.
        from haidepok import page_cache

        page_cache.catalog_changed()
        large_sql = holders_query_ms(slug, today + dt.timedelta(days=1))
        connection.close()
        log(f"loaded in {time.monotonic() - load_started:.0f} s")
        large = run_wrk(
            wrk, script, uncached.url(availability_path), options.duration, options.connections
        )
        large["queries"] = get(uncached.url(availability_path))[1].get("X-Bench-Queries", "?")
        uncached.stop()

        endpoints = [
            ("baseline (1 query, tiny template)", f"/_bench/baseline/?slug={slug}"),
            ("catalog /", "/"),
            ("catalog ?kecamatan=beji&date=", f"/?kecamatan=beji&date={week}"),
            ("facility page + week", f"/fasilitas/{slug}/"),
            ("API availability 7 days", availability_path),
        ]
        rows = []
        for label, path in endpoints:
            get(stack.url(path))  # the first request fills the page cache
            status, headers, _ = get(stack.url(path))
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
            figures = run_wrk(wrk, script, stack.url(path), options.duration, options.connections)
            figures["queries"] = headers.get("X-Bench-Queries", "?")
            rows.append((label, figures))
            log(f"{label}: {figures['rps']:.0f} req/s")
        rows.append(("API availability, page cache off", large))

        # One create and cancel by hand, for their query counts.
        probe_start = dt.datetime.combine(
            today + dt.timedelta(days=CREATE_FIRST_DAY + CREATE_DAYS + 1), dt.time(7)
        )
        status, headers, body = post(
            stack.url("/api/v1/bookings/"),
            {
                "facility": slug,
                "start": probe_start.isoformat(),
                "end": (probe_start + dt.timedelta(hours=1)).isoformat(),
                "purpose": "Probe",
                "tariff_class": "sosial",
                "attendees": 5,
                "phone": "081234567890",
            },
            tokens[0],
        )
        if status != 201:
            raise RuntimeError(f"booking create answered {status}: {body[:500]}")
        create_queries = headers.get("X-Bench-Queries", "?")
        reference = json.loads(body)["reference"]
        status, headers, _ = post(stack.url(f"/api/v1/bookings/{reference}/cancel/"), {}, tokens[0])
        cancel_queries = headers.get("X-Bench-Queries", "?")
        slugs = [facility.slug for facility in dataset.facility_objects]
        booking = run_booking_client(stack, folder, tokens, slugs, today, options.duration)
        booking["queries"] = f"{create_queries}+{cancel_queries}"
        rows.append(("API booking create+cancel", booking))
        log(f"booking API: {booking['rps']:.0f} req/s, statuses {booking['statuses']}")
        rss = stack.worker_rss_mb()
    finally:
        stack.stop()
        uncached.stop()

    with connection.cursor() as cursor:
        cursor.execute(OVERLAPS_SQL)
        overlaps = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM bookings_booking")
        total = cursor.fetchone()[0]
    large_p50 = large["p50"]
    baseline_rps = rows[0][1]["rps"]

    print()
    print(
        f"Hai Depok benchmark: scale {options.scale:g} ({dataset.facilities} facilities, "
        f"{dataset.residents} residents, {total} bookings), {options.duration} s per endpoint, "
        f"{options.connections} connections, {options.workers} gunicorn sync workers"
    )
    print(
        f"machine: {os.cpu_count()} CPUs ({cpu_model()}), {memory_gb():.1f} GB; "
        f"wrk and the booking client run on the same machine"
    )
    header = (
        f"{'endpoint':<36} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'/base':>6} {'queries':>8} {'5xx':>5} {'4xx':>5}"
    )
    print(header)
    print("-" * len(header))
    for label, f in rows:
        print(
            f"{label:<36} {f['rps']:>8.1f} {f['p50']:>8.1f} {f['p95']:>8.1f} {f['p99']:>8.1f} "
            f"{f['rps'] / baseline_rps:>6.2f} {f['queries']:>8} {f['5xx']:>5} {f['4xx']:>5}"
        )
    print("-" * len(header))
    print(
        f"booking API statuses: {booking['statuses']} (create p50 {booking['create_p50']:.1f} ms)"
    )
    print(
        f"availability p50, page cache off: {small['p50']:.1f} ms with {dataset.small} bookings, "
        f"{large_p50:.1f} ms with {dataset.bookings}: ratio {large_p50 / small['p50']:.2f}"
    )
    print(
        f"availability bookings query (EXPLAIN ANALYZE, best of 5): {small['sql']:.3f} ms with "
        f"{dataset.small} bookings, {large_sql:.3f} ms with {dataset.bookings}"
    )
    print(
        "gunicorn worker RSS at the end (MB): "
        + ", ".join(f"{mb:.0f}" for mb in rss)
        + f" (max {max(rss, default=0):.0f})"
    )
    print(f"overlapping slot-holding bookings after the run: {overlaps}")
    print(f"total time {time.monotonic() - started:.0f} s; logs in {folder}")
    if options.drop_after:
        connection.close()
        drop_database(pg_url, options.database)
    total_5xx = sum(f["5xx"] for _, f in rows) + small["5xx"]
    if overlaps or total_5xx:
        sys.exit(f"FAILED: {overlaps} overlaps, {total_5xx} responses 5xx")


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def memory_gb():
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


if __name__ == "__main__":
    main()
