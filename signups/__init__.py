"""The platform sign-up queue and its invitations, pure: no I/O, no Prefect, no database, no HTTP.

A room of its own because it is not audience building (nothing here reaches Brevo's contact
list): it decides who is asked to join the En Garde platform and how they are invited.

- :mod:`signups.candidates` – ``select_for_queue``: a window's appointment bookers, minus those
  already on the platform, queued or invited.
- :mod:`signups.invitations` – tokens and their hashes, expiry, links, ``judge_token`` and the
  built-in invitation message.

``store/signups.py`` keeps the queue and invitation rows, ``tasks/signups.py`` and
``flows/signup_queue.py`` run it.
"""
