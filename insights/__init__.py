"""Booking insights: pure facts, prompt, number validator, deterministic narrative, report rendering
and the Posh.VIP revenue analytics (:mod:`insights.revenue`)."""
