"""The outbox: every mail of the site (about bookings, communities and invitations) is a row of
bookings.models.Notification, written in the transaction of the change it tells about, and
sent afterwards by a Celery worker. No mail is lost; a mail may, rarely, be sent twice.

1. Writing (`rows`). The use cases of bookings.notifications write the rows of a change in its
   own transaction, so a committed change always has them and a rolled-back one has none.
2. Queueing (`delivery.publish`). Once the transaction commits, one Celery task per row is
   queued. When the broker is down the change still succeeds: the rows stay pending.
3. Sending (`delivery.deliver`). A worker claims a row with one conditional UPDATE (pending ->
   sending), so two workers never send the same row at once. It asks `relevance` whether the
   row still says something true (a reminder of a booking cancelled meanwhile does not) and
   withdraws it if not; otherwise it renders the row in the recipient's language (`rendering`)
   and hands it to its channel. A failure puts the row back to pending with an exponential
   back-off; after the last attempt it is failed, for staff to see and resend in the admin.
4. Sweeping (`sweeping.sweep`). Every minute beat re-queues pending rows older than a minute
   (queued while the broker was down, or lost) and takes back rows stuck in "sending" (a
   worker killed mid-send).

At least once, not exactly once: a worker killed after the SMTP server accepted a mail, but
before it recorded the row as sent, leaves the row in "sending"; the sweep takes it back and
it is sent again. Every attempt of a row carries the same Message-ID, so the copy is
recognisable as the same message.

Every channel has these guarantees (bookings.channels): a WhatsApp row is claimed, checked,
retried, swept and resent exactly as a mail is. Its message carries "notification-<id>" as
the Cloud API's biz_opaque_callback_data (the API has no idempotency key, so a copy sent
after a worker died is recognisable, not prevented). A refusal for good (a number that is not
on WhatsApp) fails the row at once with WhatsApp's reason; an outage is retried.
"""
