"""Webhooks: subscriptions, and the signed delivery of events to them.

The flow: the outbox consumer `webhooks` (`consumers.py`) turns each stored event into one
`WebhookDelivery` per active subscription to its type, and queues
`analytics.deliver_webhook` (`tasks.py`) after commit. The job calls
`attempts.webhook_delivery_attempt`, which POSTs the event (`delivery.py`) and records a
`WebhookAttempt` per try; the job retries with exponential backoff until the delivery is
`delivered` or `failed`. Targets are checked against private addresses (`targets.py`) both
when a subscription is saved and at each delivery, and the connection goes to the address
that was checked.
"""
