"""Calling user code the way existing riffq programs expect.

User handlers were written against the original package, whose call
signatures varied between versions: the getting-started guide's
``handle_connect(ip, port, callback)`` has no ``server_name`` parameter.
We pass an optional keyword only where the function's signature takes it.
"""
from __future__ import annotations

import inspect
import threading
from typing import Any, Callable, Dict, Optional, Tuple

_cache: Dict[Any, Tuple[bool, frozenset]] = {}
_cache_lock = threading.Lock()


def _accepted(fn: Callable) -> Tuple[bool, frozenset]:
    key = getattr(fn, "__func__", fn)
    try:
        return _cache[key]
    except (KeyError, TypeError):
        pass
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        info = (True, frozenset())
    else:
        var_kw = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
        names = frozenset(n for n, p in sig.parameters.items()
                          if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        info = (var_kw, names)
    try:
        with _cache_lock:
            _cache[key] = info
    except TypeError:
        pass
    return info


def call_tolerantly(fn: Callable, *args: Any, optional: Optional[Dict[str, Any]] = None,
                    **required: Any) -> Any:
    """Call ``fn(*args, **required, **optional)``, dropping the optional
    keywords its signature cannot accept."""
    if optional:
        var_kw, names = _accepted(fn)
        if var_kw:
            required.update(optional)
        else:
            for k, v in optional.items():
                if k in names:
                    required[k] = v
    return fn(*args, **required)
