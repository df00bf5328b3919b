"""Pure parsing of log text, with no Docker client and nothing else of LittleWings in it: log
lines and cursors as Docker's log stream writes them (``lines.py``), Docker's time (``times.py``),
the timestamp order of several containers' lines (``merge.py``), and structured records (JSON,
logfmt, levels, times) of the lines a program writes (``structured.py``)."""
