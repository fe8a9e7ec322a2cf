"""Small conveniences for building results."""
from __future__ import annotations

from typing import Any, Dict, List, Sequence


def to_arrow(schema_desc: List[Dict[str, Any]], rows: Sequence[Sequence[Any]]) -> Any:
    """An Arrow C stream capsule for rows described by ``schema_desc``
    (``[{"name": ..., "type": "int|float|bool|str|string|date|datetime"}]``).
    Needs pyarrow (``pip install 'riffq[arrow]'``); without it, pass
    ``(schema_desc, rows)`` to the callback directly."""
    from ._compat.arrow import to_arrow_capsule
    return to_arrow_capsule(schema_desc, rows)
