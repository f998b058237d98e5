"""Creating, editing and logging messages the *bot* sends (REST and interaction paths)."""

from __future__ import annotations

import asyncio
import copy
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import payloads as p
from .errors import ApiError
from .payloads import JSON
from .recorder import RecordedFile

if TYPE_CHECKING:
    from .interactions import FakeInteraction
    from .server import FakeDiscord

_FILE_FIELD = re.compile(r"files\[(\d+)\]")
_EMBED_LIMITS = {"title": 256, "description": 4096}
NONCE_WINDOW = 300.0  # seconds: Discord honours `enforce_nonce` for "the past few minutes"


class NonceReplay(ApiError):
    """Not an error: answers a create whose enforced nonce was already used (200 + the
    earlier message), so the route creates, records and announces nothing new."""

    def __init__(self, message: JSON) -> None:
        super().__init__(200, 0, "nonce replay")
        self.message = message

    def body(self) -> dict[str, Any]:
        return self.message


def _form_error(field: str, message: str) -> ApiError:
    return ApiError(400, 50035, "Invalid Form Body", {field: message})


def _embed_length(embed: JSON) -> int:
    texts = [
        embed.get("title"),
        embed.get("description"),
        (embed.get("footer") or {}).get("text"),
        (embed.get("author") or {}).get("name"),
    ]
    for fld in embed.get("fields") or []:
        texts += [fld.get("name"), fld.get("value")]
    return sum(len(t) for t in texts if isinstance(t, str))


def _validate_embeds(embeds: list[JSON]) -> None:
    if len(embeds) > 10:
        raise _form_error("embeds", "Must be 10 or fewer in length.")
    for index, embed in enumerate(embeds):
        for key, limit in _EMBED_LIMITS.items():
            if len(embed.get(key) or "") > limit:
                raise _form_error(f"embeds.{index}.{key}", f"Must be {limit} or fewer in length.")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            raise _form_error(f"embeds.{index}.fields", "Must be 25 or fewer in length.")
        for n, fld in enumerate(fields):
            if len(fld.get("name") or "") > 256 or len(fld.get("value") or "") > 1024:
                raise _form_error(f"embeds.{index}.fields.{n}", "Field too long.")
    if sum(_embed_length(e) for e in embeds) > 6000:
        raise _form_error("embeds", "Embed size exceeds maximum size of 6000")


def validate_body(body: JSON, files: list[RecordedFile], *, creating: bool) -> None:
    """Reject what Discord rejects: empty messages, >2000 chars content, oversize embeds."""
    content = body.get("content")
    if isinstance(content, str) and len(content) > 2000:
        raise _form_error("content", "Must be 2000 or fewer in length.")
    _validate_embeds(body.get("embeds") or [])
    has_payload = (
        any(body.get(k) for k in ("content", "embeds", "components", "sticker_ids", "poll"))
        or files
    )
    if creating and not has_payload:
        raise ApiError(400, 50006, "Cannot send an empty message")


def attachments_from(
    fake: FakeDiscord, channel_id: int, body: JSON, files: list[RecordedFile]
) -> list[JSON]:
    """Attachment objects for uploaded files (served back at their ``url``)."""
    meta = {str(a.get("id")): a for a in body.get("attachments") or []}
    result = []
    for index, upload in enumerate(files):
        match = _FILE_FIELD.match(upload.field)
        info = meta.get(match.group(1) if match else str(index), {})
        filename = info.get("filename") or upload.filename or f"file{index}"
        attachment = fake.add_attachment(
            filename, upload.data, channel_id=channel_id, content_type=upload.content_type
        )
        if info.get("description"):
            attachment["description"] = info["description"]
        result.append(attachment)
    return result


def resolve_attachment_urls(embeds: list[JSON], attachments: list[JSON]) -> list[JSON]:
    """Like Discord: an embed image or thumbnail at ``attachment://<filename>`` shows the
    uploaded file of that name (its url becomes the attachment's); one naming no uploaded
    file is left as sent, so a test can see the reference is broken."""
    by_name = {a["filename"]: a for a in attachments}
    resolved = copy.deepcopy(embeds)
    for embed in resolved:
        for key in ("image", "thumbnail"):
            url = str((embed.get(key) or {}).get("url") or "")
            found = by_name.get(url.removeprefix("attachment://"))
            if url.startswith("attachment://") and found is not None:
                embed[key] = {"url": found["url"], "proxy_url": found["proxy_url"]}
    return resolved


def _reference(fake: FakeDiscord, ref: JSON, channel_id: int) -> tuple[JSON, JSON | None]:
    target_id = int(ref["message_id"])
    target = fake.state.messages.get(target_id)
    normalized = {
        "type": 0,
        "message_id": str(target_id),
        "channel_id": str(ref.get("channel_id") or channel_id),
    }
    if ref.get("guild_id"):
        normalized["guild_id"] = str(ref["guild_id"])
    if target is None:
        if ref.get("fail_if_not_exists", True):
            raise _form_error("message_reference", "Unknown message")
        return normalized, None
    return normalized, {k: v for k, v in target.items() if k != "referenced_message"}


def new_message(
    fake: FakeDiscord, channel_id: int, body: JSON, files: list[RecordedFile], **fields: Any
) -> JSON:
    """A complete message authored by the bot, built from a create body.

    Like Discord, a create with ``nonce`` and ``enforce_nonce: true`` that repeats a nonce
    the bot used in this channel within ``NONCE_WINDOW`` returns that earlier message
    (raised as ``NonceReplay``: a 200 with it) instead of posting a second one."""
    _, guild = fake.state.channel(channel_id)
    nonce_key = (channel_id, fake.bot_user_id, str(body.get("nonce")))
    if body.get("nonce") is not None and body.get("enforce_nonce"):
        earlier_id, at = fake.state.nonces.get(nonce_key, (0, float("-inf")))
        earlier = fake.state.messages.get(earlier_id)
        if earlier is not None and time.monotonic() - at <= NONCE_WINDOW:
            raise NonceReplay(earlier)
    attachments = attachments_from(fake, channel_id, body, files)
    message = p.message_payload(
        fake.ids.next(),
        channel_id,
        fake.bot_user,
        body.get("content") or "",
        guild_id=guild.id if guild else None,
        embeds=resolve_attachment_urls(body.get("embeds") or [], attachments),
        components=body.get("components") or [],
        tts=bool(body.get("tts")),
        flags=int(body.get("flags") or 0),
        attachments=attachments,
    )
    if body.get("nonce") is not None:
        message["nonce"] = body["nonce"]
        fake.state.nonces[nonce_key] = (int(message["id"]), time.monotonic())
    if body.get("message_reference"):
        ref, target = _reference(fake, body["message_reference"], channel_id)
        message.update(type=19, message_reference=ref, referenced_message=target)
    message.update(fields)
    return message


def apply_edit(fake: FakeDiscord, message: JSON, body: JSON, files: list[RecordedFile]) -> None:
    """Apply a PATCH body; LOADING is cleared and EPHEMERAL can't change (like Discord)."""
    for key, empty in (("content", ""), ("embeds", []), ("components", [])):
        if key in body:
            message[key] = body[key] if body[key] is not None else empty
    flags = int(message.get("flags") or 0)
    if body.get("flags") is not None:
        flags = int(body["flags"]) & ~(p.FLAG_EPHEMERAL | p.FLAG_LOADING) | (
            flags & p.FLAG_EPHEMERAL
        )
    message["flags"] = flags & ~p.FLAG_LOADING
    if "attachments" in body or files:
        keep = {str(a.get("id")) for a in body.get("attachments") or []}
        kept = [a for a in message["attachments"] if a["id"] in keep]
        message["attachments"] = kept + attachments_from(
            fake, int(message["channel_id"]), body, files
        )
    if "embeds" in body or files:
        message["embeds"] = resolve_attachment_urls(message["embeds"], message["attachments"])
    message["edited_timestamp"] = p.iso()


def record(
    fake: FakeDiscord,
    op: str,
    source: str,
    message: JSON,
    body: JSON | None,
    files: Sequence[RecordedFile] = (),
    interaction: FakeInteraction | None = None,
) -> JSON:
    """Append a message-log entry (see ``MessageLog``) and link it to ``interaction``."""
    flags = int(message.get("flags") or 0)
    entry: JSON = {
        "op": op,
        "source": source,
        "id": int(message["id"]),
        "channel_id": int(message["channel_id"]),
        "content": message.get("content") or "",
        "embeds": copy.deepcopy(message.get("embeds") or []),
        "components": copy.deepcopy(message.get("components") or []),
        "flags": flags,
        "ephemeral": bool(flags & p.FLAG_EPHEMERAL),
        "allowed_mentions": (body or {}).get("allowed_mentions"),
        "attachments": copy.deepcopy(message.get("attachments") or []),
        "files": [f.filename for f in files],
        "message_reference": message.get("message_reference"),
        "interaction_id": interaction.id if interaction else None,
        "payload": body,
        "message": copy.deepcopy(message),
        "time": asyncio.get_running_loop().time(),
    }
    fake.log.record(entry)
    if interaction is not None:
        interaction.add_entry(entry)
    return entry


def announce(fake: FakeDiscord, event: str, message: JSON) -> None:
    """Dispatch the bot's own message events like Discord does (not for ephemerals)."""
    if not fake.echo_bot_messages or int(message.get("flags") or 0) & p.FLAG_EPHEMERAL:
        return
    guild_id = int(message["guild_id"]) if message.get("guild_id") else None
    data = dict(message)
    if guild_id is not None:
        guild = fake.state.guilds[guild_id]
        data["member"] = dict(guild.members.get(fake.bot_user_id, p.member_fields([])))
    fake.gateway.dispatch(event, data, guild_id)


def announce_delete(fake: FakeDiscord, message: JSON) -> None:
    if int(message.get("flags") or 0) & p.FLAG_EPHEMERAL:
        return
    data = {"id": message["id"], "channel_id": message["channel_id"]}
    if message.get("guild_id"):
        data["guild_id"] = message["guild_id"]
    fake.gateway.dispatch(
        "MESSAGE_DELETE", data, int(message["guild_id"]) if message.get("guild_id") else None
    )
