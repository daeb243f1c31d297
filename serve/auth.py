"""Optional API key, as OpenAI-compatible servers offer it: `Authorization: Bearer <key>` on every model endpoint.

The key comes from an environment variable (`serve.api_key_env`) or a file (`serve.api_key_file`, e.g. a mounted
Kubernetes Secret), never from a config value, so it cannot land in the run dir's .hydra/ files; it is kept as
bytes, compared in constant time, and has no repr. /health, /ready, /metrics, /monitoring/drift and the docs stay
open: orchestrators and scrapers probe them without credentials, and they run no model.
"""

from __future__ import annotations

import hmac
import os
from pathlib import Path
from typing import Any

from fastapi.responses import JSONResponse

from serve.openai_schemas import error_body

PROTECTED_PREFIXES = ("/v1/", "/generate")  # every route that runs or names the model


class ApiKey:
    def __init__(self, secret: str, source: str) -> None:
        self._secret = secret.encode("utf-8")
        self.source = source  # where it came from (the variable's name or the file's path), safe to log

    def __repr__(self) -> str:
        return f"ApiKey(from {self.source})"

    def matches(self, authorization: str | None) -> bool:
        scheme, _, token = (authorization or "").partition(" ")
        # compare_digest takes as long for a wrong key as for a right one: timing tells nothing about the key
        return hmac.compare_digest(token.strip().encode("utf-8"), self._secret) and scheme.lower() == "bearer"


def load_api_key(env_name: str | None, file: str | None) -> ApiKey | None:
    """The configured key, or None when neither source is configured; a configured but empty source is an error."""
    if env_name:
        value = os.environ.get(env_name, "").strip()
        if not value:
            raise ValueError(
                f"serve.api_key_env={env_name}: the environment variable is not set or empty; set it or drop the key"
            )
        return ApiKey(value, f"${env_name}")
    if file:
        path = Path(file).expanduser()
        try:
            value = path.read_text(encoding="utf-8").strip()  # a trailing newline is not part of the key
        except OSError as err:
            raise ValueError(f"serve.api_key_file={file}: cannot read it ({err.strerror})") from None
        if not value:
            raise ValueError(f"serve.api_key_file={file}: the file is empty")
        return ApiKey(value, str(path))
    return None


class ApiKeyMiddleware:
    """Pure ASGI: refuses protected paths without the key before the body is read or validated."""

    def __init__(self, app: Any, key: ApiKey) -> None:
        self.app = app
        self.key = key

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if self.key.matches(authorization):
            await self.app(scope, receive, send)
            return
        message = "missing API key: send `Authorization: Bearer <key>`" if not authorization else "invalid API key"
        response = JSONResponse(
            error_body(message, "invalid_request_error", None, "invalid_api_key"),
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
        await response(scope, receive, send)
