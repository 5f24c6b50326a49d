"""Parsers of Solaris command output, one module per tool: text in, model values out.

Pure: no I/O, no subprocess.  Every parser either returns a value or raises
:class:`~kzguard.errors.ParseError` naming the offending line (stripped; ``""`` when
the problem is missing output) and the reason; the adapter that ran the command
(:mod:`kzguard.solaris.host`) turns it into an ``OutputParseError`` naming the argv.
No other exception escapes, whatever the text: numbers are matched with bounded
regular expressions before ``int()`` sees them, so not even Python's 4300-digit limit
on ``int()`` can be reached.

The formats are the ones in docs/formats.md; every fact cites its section of
../shared/reference/solaris.md.  Where that page says UNCONFIRMED, the parser accepts
every likely form.  Importers name the tool's module:

- :mod:`~kzguard.solaris.parse.zoneadm`: ``zoneadm list -p/-cp``, ``-cv`` and ``-s``;
- :mod:`~kzguard.solaris.parse.zonecfg`: ``zonecfg export`` and ``info``, ``%{zonename}``;
- :mod:`~kzguard.solaris.parse.svcprop`: svcprop values, the run level it holds, ``svcs``;
- :mod:`~kzguard.solaris.parse.who`: ``who -r`` and what the run levels mean;
- :mod:`~kzguard.solaris.parse.kstat`: the boot time;
- :mod:`~kzguard.solaris.parse.df`: ``df -k``;
- :mod:`~kzguard.solaris.parse.beadm`: ``beadm list -H``;
- :mod:`~kzguard.solaris.parse.common`: how every parser splits output into lines.
"""

from __future__ import annotations
