"""A plain, aligned terminal table (no dependency), used by every synthesis report."""

__all__ = ["format_table"]


def format_table(headers, rows, *, title=None):
    """``headers``: column names; ``rows``: lists of cells (str() is applied). Numbers are
    right-aligned, text left-aligned. Returns the table as one string ending in a newline."""
    if not headers:
        raise ValueError(f"headers must be a non-empty list, not {headers!r}")
    cells = [[str(c) for c in row] for row in rows]
    for row in cells:
        if len(row) != len(headers):
            raise ValueError(f"row {row!r} has {len(row)} cells; expected {len(headers)}")
    numeric = [all(_is_number(r[i]) for r in cells) and bool(cells) for i in range(len(headers))]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(row):
        return "  ".join(c.rjust(w) if num else c.ljust(w)
                         for c, w, num in zip(row, widths, numeric)).rstrip()

    out = [title] if title else []
    out += [line(headers), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    return "\n".join(out) + "\n"


def _is_number(text):
    return text.replace(".", "", 1).replace(",", "").replace("+", "").lstrip("-").isdigit() or text == "-"
