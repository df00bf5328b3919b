"""The session core: the wire protocol, the session manager and one session per client."""
