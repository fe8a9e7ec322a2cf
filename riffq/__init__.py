"""riffq: PostgreSQL wire-compatible servers in pure Python.

Subclass ``BaseConnection``, answer ``handle_query`` (and optionally
``handle_auth``), and serve it with ``RiffqServer``; every PostgreSQL client
can then connect. ``Server`` is the callback-style low-level interface.
"""
from __future__ import annotations

from . import helpers, server
from .connection import BaseConnection, RiffqServer
from .server import Server

__all__ = ["BaseConnection", "RiffqServer", "Server", "helpers"]
__version__ = "0.1.0"
