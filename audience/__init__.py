"""Pure pandas audience building: no I/O, no Prefect, no database, no HTTP.

The pipeline, one module per step:

1. :mod:`audience.schema` – the interactions frame every source is turned into.
2. :mod:`audience.identity` – ``normalise_emails``: the identity key.
3. :mod:`audience.status` – ``map_booking_status``: EasyAppointments free-text statuses.
4. :mod:`audience.people` – ``resolve_people``: one row per person across all sources.
5. :mod:`audience.segments` – ``segment_people``: frequency / recency segments, tags, reason.
6. :mod:`audience.brevo_payload` – ``build_brevo_payloads``: Brevo attributes + a stable hash.
7. :mod:`audience.sync_plan` – ``plan_brevo_sync``, ``summarise_plan``, ``import_rows``.
"""
