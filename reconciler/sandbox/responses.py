"""ConnectWise-shaped errors and small response helpers for the sandbox."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An answer other than success: HTTP status, JSON body (or raw text) and headers."""

    def __init__(
        self,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        super().__init__(f"{status}")
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.content_type = content_type


def error_body(code: str, message: str, errors: list[dict] | None = None) -> dict:
    """ConnectWise's error shape: code, message and (when any) field errors ([guide]:
    `{"code": "InvalidObject", "message": "company object is invalid", "errors": [{"code",
    "message", "resource", "field"}]}`). Codes other than those the guide shows
    (InvalidObject, NotFound, Unauthorized, ObjectExists, ConnectWiseApi) are unverified;
    the client keys nothing on them: it shows the message and types errors by status."""
    body: dict[str, Any] = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return body


def field_error(code: str, message: str, resource: str, field: str) -> dict:
    return {"code": code, "message": message, "resource": resource, "field": field}


def invalid(resource: str, errors: list[dict]) -> ApiError:
    """400 InvalidObject with every field error found (never only the first)."""
    return ApiError(400, error_body("InvalidObject", f"{resource} object is invalid", errors))


def bad_request(message: str, errors: list[dict] | None = None) -> ApiError:
    return ApiError(400, error_body("InvalidObject", message, errors))


def not_found(message: str) -> ApiError:
    return ApiError(404, error_body("NotFound", message))


def unauthorized(message: str) -> ApiError:
    return ApiError(401, error_body("Unauthorized", message))


def forbidden(message: str) -> ApiError:
    # 403 for a security role's refusal ([guide]); its code and message are unverified
    return ApiError(403, error_body("Unauthorized", message))
