"""Pure parsing of log text, with no Docker and nothing else of LittleWings in it: structured
records (JSON, logfmt, levels, times) of the lines a program writes."""
