"""The Jupyter server extension: configuration, the WebSocket and the REST handlers."""
