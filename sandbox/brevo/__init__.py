"""The Brevo twin in parts; its entry point and the evidence behind it: :mod:`sandbox.brevo_twin`."""
