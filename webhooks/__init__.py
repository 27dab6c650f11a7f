"""The Posh.VIP webhook receiver: verify -> store raw -> 2xx (``create_app(settings)``).

Serve with ``engarde receiver [--host 127.0.0.1] [--port 8080] [--workers N] [--insecure-dev]``.
Settings (:class:`webhooks.settings.ReceiverSettings`): ``POSHVIP_WEBHOOK_SECRET`` (required),
``POSHVIP_SIGNATURE_HEADER`` (default ``X-Posh-Signature``), ``POSHVIP_TIMESTAMP_HEADER`` /
``POSHVIP_TIMESTAMP_TOLERANCE`` / ``POSHVIP_SIGN_TIMESTAMP``, ``POSHVIP_PATH_TOKEN``,
``RECEIVER_MAX_BODY_BYTES`` (1 MiB), ``RECEIVER_BODY_TIMEOUT``, ``RECEIVER_WRITE_TIMEOUT``, ``RECEIVER_EMIT_EVENTS`` /
``RECEIVER_EMIT_INTERVAL`` (Prefect events, needs ``PREFECT_API_URL``), ``DATABASE_URL``.
Processing happens later, in the ``poshvip-events`` flow.
"""
