"""Constants of PostgreSQL's binary formats, shared by the encoder of
result values (``binformat``) and the decoder of parameters (``params``)."""
from __future__ import annotations

import datetime as _dt
import struct

#: date/timestamp binary values count from 2000-01-01.
PG_EPOCH_ORDINAL = _dt.date(2000, 1, 1).toordinal()
USECS_PER_DAY = 86400 * 1000000
#: timetz zones are limited to +/- 15:59:59 (TZDISP_LIMIT, exclusive).
TZDISP_LIMIT = 16 * 3600

I16 = struct.Struct(">h")
I32 = struct.Struct(">i")
U32 = struct.Struct(">I")
I64 = struct.Struct(">q")
F32 = struct.Struct(">f")
F64 = struct.Struct(">d")
