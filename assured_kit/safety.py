"""Keeping participant text inert wherever it is shown or saved.

Participants type free text (notes, actions, examples, labels). Shown in HTML it is escaped;
written to CSV or XLSX, a cell that a spreadsheet program would read as a formula (one that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with an
apostrophe, which spreadsheet programs show as text. `restore_cell` undoes exactly that prefix
when the kit reads its own exports back, so a round trip keeps every word.
"""

from __future__ import annotations

import html

__all__ = ["FORMULA_TRIGGERS", "css_string", "escape_html", "neutralise_cell", "restore_cell"]

#: First characters that make a spreadsheet program treat a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    r"""Return ``value`` safe to write into a CSV or XLSX cell.

    Text starting with a formula trigger gets a leading apostrophe; so does text that already
    looks neutralised (apostrophes, then a trigger), so that `restore_cell` gives back exactly
    what was typed. Anything else is returned unchanged (numbers stay numbers).

    Examples
    --------
    >>> neutralise_cell('=HYPERLINK("http://x","click")')
    '\'=HYPERLINK("http://x","click")'
    >>> neutralise_cell("Plain words"), neutralise_cell(4), neutralise_cell("'=typed so")
    ('Plain words', 4, "''=typed so")
    """
    if isinstance(value, str) and (value.startswith(FORMULA_TRIGGERS) or _looks_neutralised(value)):
        return "'" + value
    return value


def _looks_neutralised(text: str) -> bool:
    """Tell whether text is one or more apostrophes followed by a formula trigger."""
    rest = text.lstrip("'")
    return len(rest) < len(text) and rest.startswith(FORMULA_TRIGGERS)


def restore_cell(value: object) -> object:
    """Undo `neutralise_cell` on text read back from the kit's own exports.

    Examples
    --------
    >>> restore_cell("'=1+1"), restore_cell("'quoted'"), restore_cell("''=typed so")
    ('=1+1', "'quoted'", "'=typed so")
    """
    if isinstance(value, str) and _looks_neutralised(value):
        return value[1:]
    return value


def escape_html(value: object) -> str:
    """Return participant text escaped for HTML (quotes included).

    Examples
    --------
    >>> escape_html("<script>alert('x')</script>")
    '&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;'
    """
    return html.escape("" if value is None else str(value), quote=True)


def css_string(text: object) -> str:
    r"""Return ``text`` as a quoted CSS string, inert inside an HTML ``<style>`` element.

    Quotes, backslashes, control characters and ``<``, ``>``, ``&`` become CSS hex escapes, so
    the text can neither end the string nor the style element (e.g. a report title in a
    printed page's margin).

    Examples
    --------
    >>> print(css_string('Derby "2026" </style><script>'))
    "Derby \22 2026\22  \3c /style\3e \3c script\3e "
    """
    out = []
    for ch in str(text):
        if ch in '"\\<>&\'' or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
