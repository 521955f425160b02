"""Races on PostgreSQL: run attempts in threads released at the same moment."""

import threading

from django.db import connection


def race(attempt, threads: int, *, timeout: float = 90):
    """Run attempt(i) for i in range(threads), each in a thread of its own with its own
    database connection (closed when it is done), all released together by a barrier;
    return what each returned or raised, in the order of i."""
    barrier = threading.Barrier(threads)
    outcomes: list = [None] * threads

    def run(i):
        try:
            barrier.wait(timeout=20)
            outcomes[i] = attempt(i)
        except Exception as error:  # noqa: BLE001 - every outcome is checked by the test
            outcomes[i] = error
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=timeout)
    assert not any(worker.is_alive() for worker in workers), "an attempt never returned"
    return outcomes
