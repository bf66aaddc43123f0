"""Validation helpers of the configuration objects: the error they raise and the checks
their messages share (a message quotes the bad value, cut short)."""

__all__ = ["ConfigError", "JSON_INT_DIGITS", "check", "is_int", "short", "json_int",
           "did_you_mean"]


class ConfigError(ValueError):
    """A configuration value is out of range or inconsistent."""


def check(condition, message):
    """Raise :class:`ConfigError` with ``message`` unless ``condition``."""
    if not condition:
        raise ConfigError(message)


#: Digits of the longest integer a configuration file may hold (whatever the interpreter's
#: own limit, which co-simulation lifts).
JSON_INT_DIGITS = 100


def json_int(text):
    """``int(text)`` for ``json.loads(parse_int=...)``, refusing more than
    :data:`JSON_INT_DIGITS` digits."""
    if len(text.lstrip("-")) > JSON_INT_DIGITS:
        raise ValueError(f"Exceeds the limit ({JSON_INT_DIGITS} digits) for an integer: "
                         f"{len(text.lstrip('-'))} digits")
    return int(text)


def is_int(value):
    """An ``int`` that is not a ``bool``."""
    return isinstance(value, int) and not isinstance(value, bool)


def short(value):
    """``repr(value)`` cut to 60 characters (a message never repeats a huge input)."""
    text = repr(value) if not is_int(value) or value.bit_length() < 200 else "a huge integer"
    return text if len(text) <= 60 else text[:57] + "..."


def did_you_mean(words, candidates):
    """``" (did you mean 'x'?)"`` for the first of ``words`` close to a candidate, or ``""``."""
    import difflib

    for word in words:
        close = difflib.get_close_matches(str(word).lower(), sorted(candidates), n=1, cutoff=0.6)
        if close:
            return f" (did you mean {close[0]!r} for {word!r}?)"
    return ""
