"""Small modules with one job (issue 13): no module of the installed package is much longer
than 400 lines."""

from import_graph import modules

#: The limit, in lines.
MAX_LINES = 425

#: Modules allowed over the limit for now, with the reason; each must still be over it (a
#: module that shrank leaves the list).
KNOWN = {}


def _lengths():
    return {name: len(path.read_text().splitlines()) for name, path in modules().items()}


def test_no_module_is_longer_than_the_limit():
    long = {name: n for name, n in _lengths().items() if n > MAX_LINES and name not in KNOWN}
    assert not long, f"modules over {MAX_LINES} lines (split them by job): {long}"


def test_every_known_exception_is_still_one():
    lengths = _lengths()
    shrunk = [name for name in KNOWN if lengths.get(name, 0) <= MAX_LINES]
    assert not shrunk, f"no longer over {MAX_LINES} lines, remove from KNOWN: {shrunk}"
