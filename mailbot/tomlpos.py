"""Find the line of a key in TOML source, so errors can name file and line.

tomllib does not report positions of valid documents; this scanner follows
table headers and ``key =`` lines, which is enough for config and rule files
written by hand (it does not need to understand every TOML construct).
"""

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-.]+)\s*=""")


def _split_dotted(text):
    parts = []
    for piece in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', text):
        parts.append(piece.strip().strip("\"'"))
    return parts


def locate(source: str, path) -> int | None:
    """Return the 1-based line where ``path`` (a tuple of keys/indexes) is set.

    Falls back to the nearest enclosing table found; None when nothing is.
    """
    want = [str(p) for p in path]
    best_line, best_len = None, -1
    table: list[str] = []
    array_counts: dict[tuple, int] = {}
    for lineno, line in enumerate(source.splitlines(), start=1):
        m = _HEADER.match(line)
        if m:
            table = _split_dotted(m.group(2))
            if m.group(1) == "[[":
                key = tuple(table)
                index = array_counts.get(key, -1) + 1
                array_counts[key] = index
                table = table + [str(index)]
            full = table
        else:
            km = _KEY.match(line)
            if not km:
                continue
            full = table + _split_dotted(km.group(1))
        n = _common_prefix(full, want)
        if n == len(full) and n > best_len:
            best_line, best_len = lineno, n
            if n == len(want):
                return lineno
    return best_line


def _common_prefix(a, b):
    n = 0
    for x, y in zip(a, b, strict=False):  # the shorter path decides
        if x != y:
            break
        n += 1
    return n
