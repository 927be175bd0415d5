"""Rules that open with a run of words, run over a long line in linear time.

A rule such as "Our revenue increased by 10.8% to RMB..." opens with a run of letters and
spaces of any length (the name of the figure). ``pattern.finditer`` tries a match at every
place of such a run where one could begin, and each try scans the rest of the run: on a line
that lost its line breaks in the PDF conversion (a whole section, tens of thousands of
characters of words) that is quadratic, minutes for one line.

For these rules a failed try rules out the rest of its run: whatever matches from a later
place in the run also matches from the earlier one, whose opening part can take the
characters in between. :meth:`Rule.finditer` therefore tries once per run, where a match can
first begin, and after a failure goes on behind the run. It yields exactly the matches of
``pattern.finditer``, each try scanning its run once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """``pattern``, where a match can begin (``start``), and the run a failed try rules out.

    ``stretch`` must be such that a match of ``pattern`` at a place inside the run that
    ``stretch`` matches from an earlier start implies a match at that earlier start.
    """

    pattern: re.Pattern[str]
    start: re.Pattern[str]
    stretch: re.Pattern[str]

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The matches of ``pattern.finditer(text)``, in linear time."""
        position = 0
        while (found := self.start.search(text, position)) is not None:
            at = found.start()
            match = self.pattern.match(text, at)
            if match is not None:
                yield match
                position = max(match.end(), at + 1)
            else:
                position = max(self.stretch.match(text, at).end(), at + 1)
