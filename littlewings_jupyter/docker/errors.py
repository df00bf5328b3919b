"""Docker's failures as LittleWings' errors: docker-py's and requests' exceptions translated
(with no engine address, path or key in the text a user is told), and the engine's quiet waits."""

from __future__ import annotations

import re
import socket

from ..errors import (
    Conflict,
    ContainerNotFound,
    DockerError,
    EngineUnavailable,
    LittleWingsError,
)


def translate_docker_error(exc: Exception, what: str = "") -> LittleWingsError:
    """A docker-py or requests exception as one of ours."""
    if isinstance(exc, LittleWingsError):
        return exc
    import docker.errors
    import requests.exceptions

    if isinstance(exc, docker.errors.NotFound):
        return ContainerNotFound(what or "?")
    if isinstance(exc, docker.errors.APIError):
        status = exc.status_code or 500
        # docker-py's own text quotes the request's URL (the engine's address, the API path):
        # Docker's explanation, or the status alone, is what a user is told.
        explanation = _API_URL_RE.sub("the Docker API", str(exc.explanation or "")) or (
            f"HTTP {status} {getattr(exc.response, 'reason', '') or ''}".strip()
        )
        if "container state improper" in explanation:  # Podman's 500 for Docker's 409
            return Conflict(
                f"The container is not running (or not in a state for this): {explanation}"
            )
        if status in (304, 409):
            return Conflict(explanation or "The container's state does not allow this.")
        if status >= 500 and "connection" in explanation.lower():
            return EngineUnavailable(f"The Docker engine does not answer: {explanation}")
        return DockerError(f"Docker refused: {explanation}")
    if isinstance(exc, requests.exceptions.SSLError):
        reason = ssl_reason(exc)
        return EngineUnavailable(f"The TLS handshake with the Docker engine failed: {reason}")
    if isinstance(exc, (requests.exceptions.ConnectionError, ConnectionError, socket.error)):
        return EngineUnavailable(f"The Docker engine does not answer ({exc.__class__.__name__}).")
    if isinstance(exc, requests.exceptions.Timeout):
        return EngineUnavailable("The Docker engine did not answer in time.")
    if isinstance(exc, docker.errors.DockerException):
        return EngineUnavailable(f"The Docker engine is not reachable: {exc}")
    return DockerError(f"Docker request failed: {_API_URL_RE.sub('the Docker API', str(exc))}")


_API_URL_RE = re.compile(r"\b(?:https?|http\+docker|http\+unix|npipe|unix|ssh|tcp)://\S+")


class NoLineYet(LittleWingsError):
    """A follow stream whose engine has not answered yet: it waits for the first line (Podman),
    which is no fault of the engine."""

    code = "no_line_yet"


def is_read_timeout(exc: Exception) -> bool:
    import requests.exceptions
    import urllib3.exceptions

    if isinstance(exc, requests.exceptions.ReadTimeout):
        return True
    reason = exc.args[0] if isinstance(exc, requests.exceptions.ConnectionError) else None
    return isinstance(reason, urllib3.exceptions.ReadTimeoutError) or (
        isinstance(reason, urllib3.exceptions.MaxRetryError)
        and isinstance(reason.reason, urllib3.exceptions.ReadTimeoutError)
    )


def short_error(exc: Exception) -> str:
    """An exception's text, cut at 200 characters."""
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "…"


def ssl_reason(exc: Exception) -> str:
    """The certificate problem an SSLError is about, in a few words (no paths, no keys)."""
    text = str(exc)
    for pattern, said in (
        ("CERTIFICATE_VERIFY_FAILED", "the engine's certificate is not signed by the CA given"),
        ("certificate verify failed", "the engine's certificate is not signed by the CA given"),
        ("WRONG_VERSION_NUMBER", "the endpoint does not speak TLS"),
        ("CERTIFICATE_REQUIRED", "the engine wants a client certificate"),
        ("certificate required", "the engine wants a client certificate"),
        ("bad certificate", "the engine refused the client certificate"),
        ("BAD_CERTIFICATE", "the engine refused the client certificate"),
        ("unknown ca", "the engine does not know the client certificate's CA"),
        ("UNKNOWN_CA", "the engine does not know the client certificate's CA"),
        ("hostname", "the engine's certificate is for another host name"),
    ):
        if pattern in text:
            return said
    return "see the server log"


__all__ = ["NoLineYet", "is_read_timeout", "short_error", "ssl_reason", "translate_docker_error"]
