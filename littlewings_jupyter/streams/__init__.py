"""Long-lived Docker streams (logs, stats, events, stdin), each read in a thread of its own."""
