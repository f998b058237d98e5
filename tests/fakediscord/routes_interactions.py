"""REST routes for interaction callbacks and the interaction webhook (followups, @original)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import botmessages as bm
from . import interactions as it
from .errors import (
    ALREADY_ACKNOWLEDGED,
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    ApiError,
)
from .payloads import FLAG_EPHEMERAL, FLAG_LOADING, JSON
from .recorder import RecordedFile
from .rest import ApiRequest, Route

if TYPE_CHECKING:
    from .server import FakeDiscord

PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 1, 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9

_ALLOWED = {
    it.PING: {PONG},
    it.APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL, 10, 12},
    it.MESSAGE_COMPONENT: {
        CHANNEL_MESSAGE,
        DEFERRED_CHANNEL_MESSAGE,
        DEFERRED_UPDATE,
        UPDATE_MESSAGE,
        MODAL,
        10,
        12,
    },
    it.AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    it.MODAL_SUBMIT: {
        CHANNEL_MESSAGE,
        DEFERRED_CHANNEL_MESSAGE,
        DEFERRED_UPDATE,
        UPDATE_MESSAGE,
        10,
        12,
    },
}

Files = list[RecordedFile]


def _metadata(fake: FakeDiscord, inter: it.FakeInteraction, *, followup: bool) -> JSON:
    meta: JSON = {
        "id": str(inter.id),
        "type": inter.type,
        "user": fake.state.users[inter.user_id],
        "authorizing_integration_owners": inter.payload["authorizing_integration_owners"],
    }
    if inter.name:
        meta.update(name=inter.name, command_type=1)
    if inter.message_id:
        meta["interacted_message_id"] = str(inter.message_id)
    if followup and inter.original_message_id:
        meta["original_response_message_id"] = str(inter.original_message_id)
    return meta


def _interaction_message(
    fake: FakeDiscord,
    inter: it.FakeInteraction,
    body: JSON,
    files: Files,
    *,
    followup: bool = False,
) -> JSON:
    app_id = str(fake.application_id)
    legacy = {
        "id": str(inter.id),
        "type": inter.type,
        "name": inter.name or "",
        "user": fake.state.users[inter.user_id],
    }
    kind = 20 if inter.type == it.APPLICATION_COMMAND and not followup else 0
    return bm.new_message(
        fake,
        inter.channel_id,
        body,
        files,
        webhook_id=app_id,
        application_id=app_id,
        type=kind,
        interaction=legacy,
        interaction_metadata=_metadata(fake, inter, followup=followup),
    )


def _publish(
    fake: FakeDiscord,
    inter: it.FakeInteraction,
    message: JSON,
    body: JSON,
    files: Files,
    source: str,
) -> JSON:
    fake.store_bot_message(message)
    bm.record(fake, "create", source, message, body, files, inter)
    bm.announce(fake, "MESSAGE_CREATE", message)
    return message


def _edit(
    fake: FakeDiscord,
    inter: it.FakeInteraction,
    message: JSON,
    body: JSON,
    files: Files,
    source: str,
) -> JSON:
    bm.validate_body(body, files, creating=False)
    bm.apply_edit(fake, message, body, files)
    bm.record(fake, "edit", source, message, body, files, inter)
    bm.announce(fake, "MESSAGE_UPDATE", message)
    return message


# --- callback types ---------------------------------------------------------------------------
def _cb_message(fake: FakeDiscord, inter: it.FakeInteraction, data: JSON, files: Files) -> JSON:
    bm.validate_body(data, files, creating=True)
    message = _interaction_message(fake, inter, data, files)
    inter.original_message_id = int(message["id"])
    return _publish(fake, inter, message, data, files, "interaction_callback")


def _cb_defer(fake: FakeDiscord, inter: it.FakeInteraction, data: JSON, files: Files) -> JSON:
    message = _interaction_message(fake, inter, {}, [])
    message["flags"] = (int(data.get("flags") or 0) & FLAG_EPHEMERAL) | FLAG_LOADING
    inter.original_message_id = int(message["id"])
    return _publish(fake, inter, message, data, files, "interaction_callback")


def _component_message(fake: FakeDiscord, inter: it.FakeInteraction) -> JSON:
    message = fake.find_message(inter.message_id or 0)
    if message is None:
        raise ApiError.of(UNKNOWN_MESSAGE)
    return message


def _cb_defer_update(
    fake: FakeDiscord, inter: it.FakeInteraction, data: JSON, files: Files
) -> JSON | None:
    inter.original_message_id = int(_component_message(fake, inter)["id"])
    return None


def _cb_update(fake: FakeDiscord, inter: it.FakeInteraction, data: JSON, files: Files) -> JSON:
    message = _component_message(fake, inter)
    inter.original_message_id = int(message["id"])
    return _edit(fake, inter, message, data, files, "interaction_callback")


def _cb_autocomplete(
    fake: FakeDiscord, inter: it.FakeInteraction, data: JSON, files: Files
) -> None:
    if len(data.get("choices") or []) > 25:
        raise ApiError(400, 50035, "Invalid Form Body", {"choices": "Must be 25 or fewer."})


def _cb_modal(fake: FakeDiscord, inter: it.FakeInteraction, data: JSON, files: Files) -> None:
    fake.modals[data["custom_id"]] = data
    fake.modal_origins[data["custom_id"]] = inter


def _cb_noop(fake: FakeDiscord, inter: it.FakeInteraction, data: JSON, files: Files) -> None:
    return None


_CALLBACKS: dict[int, Callable[..., JSON | None]] = {
    PONG: _cb_noop,
    CHANNEL_MESSAGE: _cb_message,
    DEFERRED_CHANNEL_MESSAGE: _cb_defer,
    DEFERRED_UPDATE: _cb_defer_update,
    UPDATE_MESSAGE: _cb_update,
    AUTOCOMPLETE_RESULT: _cb_autocomplete,
    MODAL: _cb_modal,
    10: _cb_noop,
    12: _cb_noop,
}


def _callback_response(inter: it.FakeInteraction, kind: int, message: JSON | None) -> JSON:
    flags = int(message["flags"]) if message else 0
    resource: JSON = {"type": kind}
    if message is not None:
        resource["message"] = message
    return {
        "interaction": {
            "id": str(inter.id),
            "type": inter.type,
            "response_message_id": message["id"] if message else None,
            "response_message_loading": bool(flags & FLAG_LOADING),
            "response_message_ephemeral": bool(flags & FLAG_EPHEMERAL),
        },
        "resource": resource,
    }


async def interaction_callback(fake: FakeDiscord, req: ApiRequest) -> Any:
    inter = fake.interactions.for_callback(req.id("interaction_id"), req.params["token"])
    age = asyncio.get_running_loop().time() - inter.created_at
    if fake.interaction_timeout is not None and age > fake.interaction_timeout:
        raise ApiError.of(UNKNOWN_INTERACTION)
    if inter.callback is not None:
        raise ApiError.of(ALREADY_ACKNOWLEDGED)
    kind = int(req.body.get("type") or 0)
    if kind not in _ALLOWED.get(inter.type, set()):
        raise ApiError(
            400,
            50035,
            "Invalid Form Body",
            {"type": f"callback type {kind} invalid for interaction {inter.type}"},
        )
    message = _CALLBACKS[kind](fake, inter, req.body.get("data") or {}, req.files)
    inter.set_callback(req.body)
    if not req.query_flag("with_response"):
        return None
    return _callback_response(inter, kind, message)


# --- interaction webhook ---------------------------------------------------------------------
def _webhook_interaction(fake: FakeDiscord, req: ApiRequest) -> it.FakeInteraction:
    if req.id("application_id") != fake.application_id:
        raise ApiError.of(UNKNOWN_WEBHOOK)
    return fake.interactions.for_webhook(req.params["token"])


def _target(fake: FakeDiscord, inter: it.FakeInteraction, ref: str) -> JSON:
    if ref == "@original":
        message_id = inter.original_message_id
    elif ref.isdigit():
        message_id = int(ref)
        linked = {e["id"] for e in inter.entries} | {inter.original_message_id}
        if message_id not in linked:
            raise ApiError.of(UNKNOWN_MESSAGE)
    else:
        raise ApiError(400, 50035, "Invalid Form Body", {"message_id": "Not a snowflake."})
    message = fake.find_message(message_id or 0)
    if message is None:
        raise ApiError.of(UNKNOWN_MESSAGE)
    return message


async def create_followup(fake: FakeDiscord, req: ApiRequest) -> Any:
    inter = _webhook_interaction(fake, req)
    bm.validate_body(req.body, req.files, creating=True)
    original = fake.find_message(inter.original_message_id or 0)
    if (
        inter.callback_type == DEFERRED_CHANNEL_MESSAGE
        and original is not None
        and (int(original["flags"]) & FLAG_LOADING)
    ):
        message = _edit(fake, inter, original, req.body, req.files, "followup")
    else:
        message = _interaction_message(fake, inter, req.body, req.files, followup=True)
        _publish(fake, inter, message, req.body, req.files, "followup")
    return message if req.query_flag("wait") else None


async def get_webhook_message(fake: FakeDiscord, req: ApiRequest) -> Any:
    inter = _webhook_interaction(fake, req)
    return _target(fake, inter, req.params["message_id"])


async def edit_webhook_message(fake: FakeDiscord, req: ApiRequest) -> Any:
    inter = _webhook_interaction(fake, req)
    message = _target(fake, inter, req.params["message_id"])
    return _edit(fake, inter, message, req.body, req.files, "webhook_edit")


async def delete_webhook_message(fake: FakeDiscord, req: ApiRequest) -> Any:
    inter = _webhook_interaction(fake, req)
    message = _target(fake, inter, req.params["message_id"])
    fake.remove_bot_message(message)
    bm.record(fake, "delete", "webhook_edit", message, None, [], inter)
    bm.announce_delete(fake, message)


_MESSAGE = "/webhooks/{application_id}/{token}/messages/{message_id}"

ROUTES = [
    Route("POST", "/interactions/{interaction_id}/{token}/callback", interaction_callback),
    Route("POST", "/webhooks/{application_id}/{token}", create_followup),
    Route("GET", _MESSAGE, get_webhook_message),
    Route("PATCH", _MESSAGE, edit_webhook_message),
    Route("DELETE", _MESSAGE, delete_webhook_message),
]
