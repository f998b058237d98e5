"""Discord-style REST errors raised by the fake's handlers and rendered as JSON error bodies."""

from __future__ import annotations

from typing import Any

# (status, code, message) for the errors the fake produces.
UNKNOWN_APPLICATION = (404, 10002, "Unknown Application")
UNKNOWN_CHANNEL = (404, 10003, "Unknown Channel")
UNKNOWN_GUILD = (404, 10004, "Unknown Guild")
UNKNOWN_MEMBER = (404, 10007, "Unknown Member")
UNKNOWN_MESSAGE = (404, 10008, "Unknown Message")
UNKNOWN_ROLE = (404, 10011, "Unknown Role")
UNKNOWN_USER = (404, 10013, "Unknown User")
UNKNOWN_WEBHOOK = (404, 10015, "Unknown Webhook")
UNKNOWN_BAN = (404, 10026, "Unknown Ban")
UNKNOWN_COMMAND = (404, 10063, "Unknown application command")
UNKNOWN_INTERACTION = (404, 10062, "Unknown interaction")
MISSING_ACCESS = (403, 50001, "Missing Access")
CANNOT_EDIT_OTHERS = (403, 50005, "Cannot edit a message authored by another user")
CANNOT_DM_USER = (403, 50007, "Cannot send messages to this user")
MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")
ALREADY_ACKNOWLEDGED = (400, 40060, "Interaction has already been acknowledged.")
INVALID_FORM_BODY = (400, 50035, "Invalid Form Body")
UNAUTHORIZED = (401, 0, "401: Unauthorized")
NOT_FOUND = (404, 0, "404: Not Found")

_DEFAULT_BODIES: dict[int, tuple[int, str]] = {
    400: (0, "400: Bad Request"),
    401: (0, "401: Unauthorized"),
    403: (50013, "Missing Permissions"),
    404: (0, "404: Not Found"),
    405: (0, "405: Method Not Allowed"),
    500: (0, "500: Internal Server Error"),
    502: (0, "502: Bad Gateway"),
    503: (0, "503: Service Unavailable"),
    504: (0, "504: Gateway Timeout"),
}


class ApiError(Exception):
    """Raised inside a REST handler; rendered as ``{"message": ..., "code": ...}``."""

    def __init__(self, status: int, code: int, message: str, errors: Any = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    @classmethod
    def of(cls, spec: tuple[int, int, str], errors: Any = None) -> ApiError:
        return cls(spec[0], spec[1], spec[2], errors)

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            data["errors"] = _error_tree(self.errors)
        return data


def _error_tree(errors: Any) -> Any:
    """``{"field": "msg" | ["msg", ...]}`` -> Discord's ``{"field": {"_errors": [...]}}``."""
    if not isinstance(errors, dict):
        return errors
    tree = {}
    for key, value in errors.items():
        messages = value if isinstance(value, list) else [value]
        tree[str(key)] = {"_errors": [{"code": "INVALID", "message": str(m)} for m in messages]}
    return tree


def default_error_body(status: int, code: int | None = None, message: str | None = None) -> dict:
    """The JSON body Discord would send for ``status`` (overridable code/message)."""
    default_code, default_message = _DEFAULT_BODIES.get(status, (0, f"{status}: Error"))
    return {
        "message": message if message is not None else default_message,
        "code": code if code is not None else default_code,
    }
