"""Docker itself: the docker-py client, its HTTP streams, log lines and container models."""
