"""The project's one text-table formatter: aligned columns for terminal reports (the
``panther`` commands, the studies, the benchmarks, the energy breakdown)."""

__all__ = ["format_table"]


def format_table(headers, rows, *, title=None, indent=""):
    """An aligned text table.

    Parameters
    ----------
    headers : sequence
        Column names (at least one).
    rows : iterable of sequences
        One cell per header; ``str()`` is applied. A column whose cells are all numbers (or
        ``-``) is right-aligned, any other column left-aligned.
    title : str, optional
        A first line above the header.
    indent : str
        Put in front of every line but the title.

    Returns
    -------
    str
        The table, ending in a newline.
    """
    if not headers:
        raise ValueError(f"headers must be a non-empty list, not {headers!r}")
    cells = [[str(c) for c in row] for row in rows]
    for row in cells:
        if len(row) != len(headers):
            raise ValueError(f"row {row!r} has {len(row)} cells; expected {len(headers)}")
    numeric = [bool(cells) and all(_is_number(r[i]) for r in cells) for i in range(len(headers))]
    widths = [max([len(str(h))] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(row):
        return indent + "  ".join(c.rjust(w) if num else c.ljust(w)
                                  for c, w, num in zip(row, widths, numeric)).rstrip()

    out = [title] if title else []
    out += [line([str(h) for h in headers]), indent + "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    return "\n".join(out) + "\n"


def _is_number(text):
    """A number as reports print them: ``1234``, ``-1.5``, ``1,234``, ``2.5e-3``, ``12%``,
    ``3/4`` (counts), or ``-`` for none."""
    if text == "-":
        return True
    text = text.replace(",", "").rstrip("%")
    parts = text.split("/")
    try:
        for part in parts:
            float(part)
    except ValueError:
        return False
    return all(part.strip() == part and part for part in parts)
