"""Booking insights: pure facts, prompt, number validator, deterministic narrative and report rendering."""
