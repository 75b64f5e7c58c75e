"""Tiny YAML 1.2 writer for the library catalogs (no PyYAML needed).

Every string is written double-quoted (JSON escaping, which is valid YAML 1.2),
so no value can be misread as a number, a boolean, a date or a YAML indicator.
Integers stay plain. Mapping keys are plain [a-z0-9_-] words.
"""

import json
import re

_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")


def _printable(c: str) -> bool:
    o = ord(c)
    return (
        o in (0x09, 0x0A, 0x0D)
        or 0x20 <= o <= 0x7E
        or o == 0x85
        or 0xA0 <= o <= 0xD7FF
        or (0xE000 <= o <= 0xFFFD and o != 0xFEFF)
        or 0x10000 <= o <= 0x10FFFF
    )


def quote(s: str) -> str:
    out = json.dumps(s, ensure_ascii=False)
    if all(_printable(c) for c in out):
        return out
    return "".join(c if _printable(c) else "\\u%04x" % ord(c) for c in out)


def _scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return quote(v)
    raise TypeError("unsupported scalar %r" % (v,))


def _key(k: str) -> str:
    if not _KEY.match(k):
        raise ValueError("bad key %r" % k)
    return k


def _is_scalar(v) -> bool:
    return isinstance(v, (str, int, bool))


def _flow(v) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join("%s: %s" % (_key(k), _flow(x)) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_flow(x) for x in v) + "]"
    return _scalar(v)


def _flowable(v, limit=110) -> bool:
    if isinstance(v, dict):
        ok = all(_is_scalar(x) for x in v.values())
    elif isinstance(v, list):
        ok = all(_is_scalar(x) for x in v)
    else:
        return True
    return ok and len(_flow(v)) <= limit


def _clean(v):
    """Drop None values and empty containers from mappings."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            x = _clean(x)
            if x is None or (isinstance(x, (dict, list)) and not x):
                continue
            out[k] = x
        return out
    if isinstance(v, list):
        return [_clean(x) for x in v]
    return v


def _emit(v, indent: int, lines: list):
    pad = " " * indent
    if isinstance(v, dict):
        for k, x in v.items():
            if _is_scalar(x) or _flowable(x):
                lines.append("%s%s: %s" % (pad, _key(k), _flow(x)))
            else:
                lines.append("%s%s:" % (pad, _key(k)))
                _emit(x, indent + 2, lines)
    elif isinstance(v, list):
        for x in v:
            if isinstance(x, dict) and not _flowable(x, 90):
                sub = []
                _emit(x, indent + 2, sub)
                first = sub[0][indent + 2:]
                lines.append("%s- %s" % (pad, first))
                lines.extend(sub[1:])
            else:
                lines.append("%s- %s" % (pad, _flow(x)))
    else:
        raise TypeError("top level must be a mapping or a list")


def dump(doc: dict, header: str = "") -> str:
    lines = []
    for h in header.splitlines():
        lines.append(("# " + h).rstrip())
    _emit(_clean(doc), 0, lines)
    return "\n".join(lines) + "\n"
