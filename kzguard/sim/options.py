"""Command-line options as getopt(3C) reads them, for the simulated commands.

Not the standard library's getopt module: it imports gettext, and re and locale
behind it, for messages the simulated commands never print (each prints its own
usage), and every simulated command paid for them at start-up (docs/performance.md,
"A simulated command's start-up").  The rules are POSIX getopt's, which Solaris'
commands follow: letters may be grouped (``-cp``), an option's argument is the rest
of its word or the next word (``-zkz1``, ``-z kz1``), and options end at the first
operand, at ``--`` (dropped) or at a lone ``-`` (an operand).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence


class OptionError(Exception):
    """An option the command does not take, or one without its argument: the
    option's ``letter`` (getopt(3C)'s optopt) and the options read before it
    (``parsed``), for a command that acts on each option as getopt returns it."""

    def __init__(self, message: str, letter: str, parsed: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.letter = letter
        self.parsed = parsed


def getopt(args: Sequence[str], letters: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Return ``args``' options as ``("-x", argument or "")`` pairs, in order, and the
    operands after them, as :func:`getopt.getopt` does; ``letters`` is getopt(3C)'s
    optstring (a colon after each letter that takes an argument)."""
    options: list[tuple[str, str]] = []
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            index += 1
            break
        if word == "-" or not word.startswith("-"):
            break
        index += 1
        position = 1
        while position < len(word):
            letter = word[position]
            found = letters.find(letter)
            if letter == ":" or found < 0:
                raise OptionError(f"illegal option -- {letter}", letter, options)
            position += 1
            if letters[found + 1 : found + 2] != ":":
                options.append((f"-{letter}", ""))
                continue
            if position < len(word):
                value = word[position:]
            elif index < len(args):
                value = args[index]
                index += 1
            else:
                raise OptionError(f"option requires an argument -- {letter}", letter, options)
            options.append((f"-{letter}", value))
            break
    return options, list(args[index:])
