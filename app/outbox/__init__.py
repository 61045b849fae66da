"""The outbox: every e-mail and webhook the help center sends, queued in the transaction that causes it.

`service.queue_email` / `service.queue_webhook` add a row beside the change that causes it (the caller
commits both or neither); `delivery.deliver_due`, run by `flask --app wsgi outbox work`, sends the due
rows, each once, and retries failures with exponential backoff.
"""
