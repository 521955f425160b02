"""How long a resident waits for a booking request when the SMTP server is slow.

Times bookings.services.booking_request (what the site's booking form and the API call; it
returns once the transaction has committed and its notification is queued) in three set-ups:

1. the outbox and a Celery worker (Redis broker), SMTP answering at once;
2. the same, with SMTP taking DELAY seconds (2 by default) for each mail;
3. no broker (tasks in-process, the embedded default), SMTP answering at once;
4. the same, with SMTP taking DELAY seconds: what each request would cost if it sent its own
   mail.

Everything is real and local: a temporary SQLite database, a private redis-server on a free
port, a `celery worker --pool=solo` process, an aiosmtpd server in a thread. Each request books
a facility with automatic approval, so it writes one notification (the approval mail with its
.ics invitation). The script prints the figures; it asserts nothing.

    .venv/bin/python bench/notifications_latency.py [--requests 10] [--delay 2]

Needs redis-server and the dev extra (aiosmtpd, factory-boy).
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10, help="requests per set-up")
    parser.add_argument("--delay", type=float, default=2.0, help="seconds SMTP takes per mail")
    parser.add_argument(
        "--in-process-requests", type=int, default=5, help="requests in set-ups 3 and 4"
    )
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="haidepok-bench-"))
    # Configure before Django reads its settings: this process and the worker share them.
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "haidepok.settings",
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "LOG_LEVEL": "WARNING",
        }
    )
    import logging

    import django

    django.setup()
    logging.getLogger("kombu").setLevel(logging.ERROR)

    from tests.e2e_support import PrivateRedis, SmtpSink, Worker, celery_broker, unique_queue

    redis_server = PrivateRedis(folder).start()
    smtp = SmtpSink().start()
    os.environ.update({"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port)})
    worker = None
    try:
        residents, facility = prepare(
            options.requests * 2 + options.in_process_requests * 2 + 4, smtp
        )
        queue = unique_queue()
        results = []
        with celery_broker(redis_server.url, queue):
            worker = Worker(
                broker_url=redis_server.url, queue=queue, smtp=smtp, log=folder / "worker.log"
            ).start()
            for delay in (0.0, options.delay):
                smtp.delay = delay
                label = f"Celery worker + Redis, SMTP {describe(delay)}"
                results.append(
                    run(label, facility, residents, options.requests, smtp, wait_for_mail=True)
                )
        # No broker: the task runs in this process, inside the request, at commit.
        from haidepok.celery import app

        app.conf.task_always_eager = True
        for delay in (0.0, options.delay):
            smtp.delay = delay
            label = f"no broker (in-process), SMTP {describe(delay)}"
            results.append(
                run(
                    label,
                    facility,
                    residents,
                    options.in_process_requests,
                    smtp,
                    wait_for_mail=False,
                )
            )
        report(results, options)
    finally:
        if worker is not None:
            worker.stop()
        smtp.stop()
        redis_server.stop()


def describe(delay: float) -> str:
    return f"{delay:g} s per mail" if delay else "at once"


def prepare(count: int, smtp):
    """Migrate the empty database; make a facility with automatic approval and residents."""
    from django.conf import settings
    from django.core.management import call_command

    from facilities.models import Facility
    from haidepok import clock
    from tests.factories import UserFactory, open_facility

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    call_command("migrate", verbosity=0)
    facility = open_facility(
        approval=Facility.Approval.AUTO,
        max_slots=1,
        lead_hours=1,
        hours=((dt.time(0), dt.time(23)),),
    )
    residents = iter(UserFactory() for _ in range(count))
    # Each request books its own hour, from tomorrow on.
    first = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=1), dt.time(0))
    slots = iter(first + dt.timedelta(hours=h) for h in range(10_000) if (h % 24) < 23)
    return (residents, slots), facility


def run(label, facility, people, count, smtp, *, wait_for_mail):
    from bookings import services
    from haidepok import clock

    residents, slots = people

    def request() -> float:
        start = next(slots)
        began = time.perf_counter()
        services.booking_request(
            facility=facility,
            user=next(residents),
            start=start,
            end=start + dt.timedelta(hours=1),
            purpose="Rapat RT",
            attendees=10,
            contact_phone="+62 812 0000 0000",
            now=clock.now(),
        )
        return time.perf_counter() - began

    # Warm up (connections, templates, the SMTP client's host name), and let that mail go out.
    before = len(smtp.received())
    request()
    try:
        smtp.wait_for(before + 1, timeout=smtp.delay + 30)
    except AssertionError:
        print("The outbox:", outbox_states(), file=sys.stderr)
        raise
    before = len(smtp.received())
    started = time.perf_counter()
    latencies = [request() for _ in range(count)]
    all_mail = None
    if wait_for_mail:
        smtp.wait_for(before + count, timeout=count * (smtp.delay + 1) + 30)
        all_mail = time.perf_counter() - started
    delivered = len(smtp.received()) - before
    return label, latencies, all_mail, delivered


def outbox_states() -> dict:
    from django.db.models import Count

    from bookings.models import Notification

    return dict(Notification.objects.values_list("state").annotate(Count("id")))


def report(results, options):
    print()
    print(
        "Booking request latency: bookings.services.booking_request, one approval mail (.ics "
        "attached) per request"
    )
    print()
    header = (
        f"{'set-up':<46} {'requests':>8} {'median':>9} {'p95':>9} {'max':>9} "
        f"{'mails':>6} {'all mail in':>12}"
    )
    print(header)
    print("-" * len(header))
    for label, latencies, all_mail, delivered in results:
        ordered = sorted(latencies)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(
            f"{label:<46} {len(latencies):>8} {ms(statistics.median(latencies)):>9} "
            f"{ms(p95):>9} {ms(ordered[-1]):>9} {delivered:>6} "
            f"{(f'{all_mail:.1f} s' if all_mail is not None else '-'):>12}"
        )
    print(f"\nThe outbox afterwards, rows by state: {outbox_states()}")
    fast, slow, _, in_process = (statistics.median(result[1]) for result in results)
    print()
    print(
        f"With the outbox and a worker, SMTP taking {options.delay:g} s per mail moves the "
        f"median request from {ms(fast)} to {ms(slow)}; sending in the request would take "
        f"{ms(in_process)}, {in_process / slow:.0f} times as long."
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


if __name__ == "__main__":
    main()
