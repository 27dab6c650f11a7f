"""Serving ASGI apps in-process: a neutral home for what both the receiver and the sandbox use."""
