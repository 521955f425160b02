"""Load for the booking API from a separate process: threads that book and then cancel.

Each thread holds one resident's API token and a keep-alive connection, and repeats: POST
/api/v1/bookings/ for a slot no other request takes at the same time, then POST its cancel.
Prints one JSON line with every request's latency (microseconds) and status counts.

    python bench/booking_client.py PORT PLAN.json DURATION

PLAN.json: {"tokens": [...], "facilities": [slug, ...], "first_day": "YYYY-MM-DD", "days": N}
"""

import datetime as dt
import http.client
import json
import sys
import threading
import time

HOURS = (7, 9, 11, 13, 15, 17, 19)  # one-hour bookings two hours apart: never within a buffer


def main():
    port, plan_path, duration = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    with open(plan_path) as file:
        plan = json.load(file)
    tokens, facilities = plan["tokens"], plan["facilities"]
    first_day, days = dt.date.fromisoformat(plan["first_day"]), plan["days"]
    threads_count = len(tokens)
    results = {"create": [], "cancel": [], "status": {}}
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def slot(k):
        facility = facilities[k % len(facilities)]
        rest = k // len(facilities)
        hour = HOURS[rest % len(HOURS)]
        day = first_day + dt.timedelta(days=(rest // len(HOURS)) % days)
        start = dt.datetime.combine(day, dt.time(hour))
        return facility, start.isoformat(), (start + dt.timedelta(hours=1)).isoformat()

    def request(conn, path, body, token):
        started = time.perf_counter()
        conn.request(
            "POST",
            path,
            body=json.dumps(body),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        data = response.read()
        return response.status, data, int((time.perf_counter() - started) * 1e6)

    def worker(index):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        token = tokens[index]
        creates, cancels, statuses = [], [], {}
        j = 0

        def send(what, path, body, latencies):
            """POST and count the answer as `what <status>`; None when the connection failed
            (counted as an error, and a new connection opened for the next request)."""
            nonlocal conn
            try:
                status, data, micros = request(conn, path, body, token)
            except (OSError, http.client.HTTPException):
                statuses["error"] = statuses.get("error", 0) + 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                return None
            latencies.append(micros)
            statuses[f"{what} {status}"] = statuses.get(f"{what} {status}", 0) + 1
            return status, data

        while time.monotonic() < deadline:
            facility, start, end = slot(j * threads_count + index)
            j += 1
            body = {
                "facility": facility,
                "start": start,
                "end": end,
                "purpose": "Latihan benchmark",
                # Priced facilities ask the class; free ones ignore it.
                "tariff_class": "sosial",
                "attendees": 10,
                "phone": "081234567890",
            }
            created = send("create", "/api/v1/bookings/", body, creates)
            if created is None or created[0] != 201:
                continue
            reference = json.loads(created[1])["reference"]
            send("cancel", f"/api/v1/bookings/{reference}/cancel/", {}, cancels)
        with lock:
            results["create"] += creates
            results["cancel"] += cancels
            for key, count in statuses.items():
                results["status"][key] = results["status"].get(key, 0) + count

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results["elapsed"] = time.monotonic() - started
    print(json.dumps(results))


if __name__ == "__main__":
    main()
