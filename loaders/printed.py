"""How a report prints what a fact says: names, codes, figures and dates, as grounding compares
them with a line. Everything works on folded text (:func:`fold`): no tags, no case, plain quotes
and dashes, single spaces, so that "ISO/IEC 27001", "ISO 27001" and "ISO27001" are one code and
"(<u>56,912,551</u>)" is a figure in brackets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from .reports import clean_text

_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "−": "-"})
_NUMBER = re.compile(r"(?<![\w.,])(\()?([-+]?)(?:(?:rmb|us\$|hk\$|\$)\s?)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(\))?")
_SCALES = tuple(Decimal(10) ** exponent for exponent in (0, 3, 6, 9, 12))
_NEGATIVE_WORDS = re.compile(r"\b(?:loss|losses|decrease|decreased|decline|declined|negative|down|outflow|"
                             r"narrowed|narrowing)\b")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")


def fold(text: str) -> str:
    """A line or a name as grounding compares them: no tags or entities, no case, plain quotes
    and dashes, single spaces."""
    text = clean_text(text).translate(_FOLD).casefold()
    return text.replace("( ", "(").replace(" )", ")")  # "(<u>56,912,551</u>)" is a bracketed figure


def _code_key(text: str) -> str:
    """A folded text with standard codes in one form: "ISO/IEC 27001", "ISO 27001", "ISO27001"."""
    return _STANDARD_CODE.sub("iso ", text)


_STANDARD_CODE = re.compile(r"\biso\s?(?:/\s?(?:iec|sae)\s?)?(?=\d)")


def names_on(line: str, names: Iterable[str], folded: bool = False) -> bool:
    """Whether any of ``names`` (already folded when ``folded``) stands on the folded ``line`` as
    whole words, or with a plural "s" ("CE marks" for "CE mark")."""
    coded = None
    for name in names:
        key = name if folded else fold(name)
        if not key:
            continue
        if _STANDARD_CODE.search(key):  # a code matches however the report spaces it
            coded = coded if coded is not None else _code_key(line)
            if _whole_words(coded, _code_key(key)):
                return True
        if _whole_words(line, key):
            return True
    return False


_FOOTNOTE_MARKS = frozenset("¹²³⁴⁵⁶⁷⁸⁹⁰")


def word_char(char: str) -> bool:
    """Whether ``char`` continues a word: a letter, digit or "_", not a footnote mark glued to a
    name ("Frost & Sullivan¹")."""
    return (char.isalnum() and char not in _FOOTNOTE_MARKS) or char == "_"


# a run of the characters ``word_char`` takes, to find many at once (``\w`` is ``str.isalnum()`` or "_")
WORD_RUN = re.compile("[^\\W" + "".join(sorted(_FOOTNOTE_MARKS)) + "]+")


def _whole_words(line: str, key: str) -> bool:
    """Whether ``key`` stands on ``line`` as whole words, allowing a plural "s"."""
    if key:
        start = line.find(key)
        while start >= 0:
            end = start + len(key)
            if end < len(line) and line[end] == "s" and key[-1].isalpha():
                end += 1
            if (start == 0 or not line[start - 1].isalnum()) and (end == len(line) or not word_char(line[end])
                                                                  or not key[-1].isalnum()):
                return True
            start = line.find(key, start + 1)
    return False


def _printed_numbers(line: str) -> list[tuple[Decimal, bool | None]]:
    """Each number printed on the folded line, with whether it is printed negative: in brackets
    or with a minus (``True``), after a word of loss or decline such as "decreased by 39.5%"
    (``None``: either sign), or plain (``False``)."""
    found = []
    for match in _NUMBER.finditer(line):
        bracket, sign, whole, fraction, closing = match.groups()
        try:
            value = Decimal(whole.replace(",", "") + (fraction or ""))
        except InvalidOperation:
            continue
        if (bracket and closing) or sign == "-":
            found.append((value, True))
        else:  # "a loss of RMB4.3 billion" may be a loss stored as a negative, or as a positive amount
            worded = _NEGATIVE_WORDS.search(line, max(0, match.start() - 30), match.start())
            found.append((value, None if worded else False))
    return found


def value_on(line: str, value: Decimal, signed: bool = True, exact: bool = False) -> bool:
    """Whether the folded ``line`` prints ``value``, with its sign when ``signed``.

    A value may be printed at a scale of thousands ("RMB1.5 billion" for 1,500,000,000; a table
    in RMB'000 whose head gives the unit), rounded to the digits printed unless ``exact`` (a figure's
    value as printed: "RMB1,835.2 million" states its normalised value, not 1,835,246 thousand). A negative value is
    printed in brackets, with a minus, or after a word of loss or decline; a positive one without
    brackets or a minus.
    """
    magnitude = abs(value)
    for printed, negative in _printed_numbers(line):
        exponent = printed.as_tuple().exponent
        half_step = 0 if exact else Decimal(1).scaleb(exponent if isinstance(exponent, int) else 0) / 2
        if not any(abs(printed * scale - magnitude) <= half_step * scale for scale in _SCALES):
            continue
        if not signed or value == 0 or negative is None or (value < 0) == negative:
            return True
    return False


def date_on(line: str, value: str) -> bool:
    """Whether the folded line prints a date of this precision: the year, the month (by name,
    abbreviation or number) and the day, as far as the value goes."""
    parts = value.split("-")
    if not re.search(rf"(?<!\d){parts[0]}(?!\d)", line):
        return False
    if len(parts) >= 2:
        month = int(parts[1])
        name = MONTHS[month - 1]
        if not (re.search(rf"\b{name[:3]}", line) or re.search(rf"(?<!\d){parts[0]}[-/.]0?{month}(?!\d)", line)
                or re.search(rf"(?<!\d)0?{month}[-/.]{parts[0]}", line)):
            return False
    if len(parts) == 3:
        day = int(parts[2])
        if not re.search(rf"(?<!\d)0?{day}(?!\d)", line.replace(parts[0], " ")):
            return False
    return True


_STOP = frozenset({
    "the", "and", "for", "with", "its", "their", "our", "from", "into", "that", "this", "such", "other",
    "than", "also", "which", "have", "has", "are", "was", "were", "been", "all", "any", "not", "one",
})


def text_parts(value: str) -> list[str]:
    """The parts of a descriptive literal (a scope, a role), split at semicolons."""
    return [part for part in (p.strip() for p in value.split(";")) if part]


def text_parts_on(line: str, value: str) -> set[int]:
    """Which parts of a descriptive literal the folded line states: the part as printed, or
    three in four of its words (a scope may put a line's words in another order)."""
    found, words = set(), set(re.findall(r"[\w'.+-]+", line))
    for index, part in enumerate(text_parts(value)):
        key = fold(part)
        if names_on(line, (key,), folded=True):
            found.add(index)
            continue
        content = [w for w in re.findall(r"[\w'.+-]+", key) if len(w) > 2 and w not in _STOP]
        if content and sum(w in words or w.rstrip("s") in words for w in content) * 4 >= len(content) * 3:
            found.add(index)
    return found
