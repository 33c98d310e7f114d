"""The attachment store: uploaded documents (PDF, JPEG, PNG) kept under their SHA-256.

Bytes live in ``<instance>/attachments/<2 hex>/<sha256>`` or, with several app hosts on PostgreSQL, in the database
(``engine/documents/file_store.py``) — identical uploads share one copy — and each upload gets its own ``attachment``
row (name, size, type, checksum, uploader). The type is decided by the file's first bytes,
never by the name or the client's header, and only the allowlist is accepted.

Form data holds references (``{"id", "name", "size", "content_type"}``), not bytes. When an application is started
or a task completed, every reference in a file field is checked — it exists, the submitter uploaded it or it already
belongs to this application, its type and size fit the field (``x-accept``, ``x-max-size``) — and linked to the
application. From then on whoever may see the application may download it; before that only the uploader may.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.documents import file_store
from engine.errors import Conflict, InvalidData, LincahError, NotFound, TooLarge
from engine.forms.schemas import ATTACHMENT_FORMAT
from engine.memo import per_schema
from engine.people.access import Actor, may_view_file
from engine.storage.models import Attachment, Instance

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

MAX_BYTES = 10 * 1024 * 1024
CHUNK = 64 * 1024
# Magic bytes of the accepted types.
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


class UnsupportedType(LincahError):
    """An upload whose content is not one of the accepted document types."""

    code = "unsupported_media_type"


def sniff(head: bytes) -> str | None:
    for content_type, signatures in SIGNATURES.items():
        if any(head.startswith(sig) for sig in signatures):
            return content_type
    return None


def clean_name(name: str | None) -> str:
    """A display name safe for headers and disks: no path, no control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?').strip(" .")
    return (name or "dokumen")[:200]


def path_of(ctx: EngineContext, attachment: Attachment) -> Path:
    """Where ``attachment``'s bytes are in the instance folder, when documents are kept there."""
    return file_store.folder(ctx) / attachment.sha256[:2] / attachment.sha256


def store(session: Session, ctx: EngineContext, *, name: str | None, stream: BinaryIO, actor: Actor,
          max_bytes: int = MAX_BYTES) -> Attachment:
    """Save an upload; raise ``TooLarge`` or ``UnsupportedType`` (nothing is kept then)."""
    digest, size, head = hashlib.sha256(), 0, b""
    fd, tmp = file_store.spool(session, ctx)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"The file is larger than {max_bytes // (1024 * 1024)} MB. Scan it at a lower "
                                   "resolution or split it, then upload again.", {"max_bytes": max_bytes})
                if len(head) < 16:
                    head += chunk[:16]
                digest.update(chunk)
                out.write(chunk)
        content_type = sniff(head)
        if content_type is None:
            raise UnsupportedType("Only PDF, JPEG and PNG files can be uploaded. Save the document as PDF and upload "
                                  "it again.", {"accepted": sorted(SIGNATURES)})
        if size == 0:
            raise UnsupportedType("The file is empty.", {"accepted": sorted(SIGNATURES)})
        sha = digest.hexdigest()
        file_store.keep(session, ctx, sha, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    attachment = Attachment(id=uuid.uuid4().hex, name=clean_name(name), size=size, content_type=content_type,
                            sha256=sha, uploaded_by=actor.username, uploaded_at=ctx.now())
    session.add(attachment)
    session.flush()
    return attachment


def reference(attachment: Attachment) -> dict:
    """What form data keeps about a file."""
    return {"id": attachment.id, "name": attachment.name, "size": attachment.size,
            "content_type": attachment.content_type}


def for_download(session: Session, ctx: EngineContext, attachment_id: str, actor: Actor
                 ) -> tuple[Attachment, BinaryIO]:
    """The attachment and its bytes (a readable file, for the caller to close), if the actor may see it;
    ``NotFound`` otherwise (same answer as absent)."""
    attachment = session.get(Attachment, attachment_id) if isinstance(attachment_id, str) else None
    allowed = attachment is not None and attachment.uploaded_by == actor.username
    if attachment is not None and not allowed and attachment.instance_id is not None:
        allowed = _may_see_files_of(session, actor, attachment.instance_id)
    if not allowed:
        raise NotFound(f"Attachment {attachment_id} was not found.")
    content = file_store.open_bytes(session, ctx, attachment.sha256)
    if content is None:
        raise NotFound(f"The file of attachment {attachment_id} is missing from the store; ask an administrator.")
    return attachment, content


def _may_see_files_of(session: Session, actor: Actor, instance_id: int) -> bool:
    """Whoever may see the application, and staff of an office that holds one of its steps.

    The second part matters when a file travels: a Sinjai vessel's documents must be readable by the provincial
    reviewer who works its review step in ``sulsel``.
    """
    instance = session.get(Instance, instance_id)
    return instance is not None and may_view_file(session, actor, instance)


def _fields(schema, value, path: tuple, root: dict, depth: int = 0):
    """(path, schema, value) for every file field present in ``value``."""
    if not isinstance(schema, dict) or depth > 20:
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        yield from _fields(target, value, path, root, depth + 1)
    if schema.get("format") == ATTACHMENT_FORMAT and isinstance(value, dict):
        yield path, schema, value
    properties = schema.get("properties")
    if isinstance(properties, dict) and isinstance(value, dict):
        for name, sub in properties.items():
            if name in value:
                yield from _fields(sub, value[name], (*path, name), root, depth + 1)
    items = schema.get("items")
    if isinstance(items, dict) and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _fields(items, item, (*path, index), root, depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            yield from _fields(sub, value, path, root, depth + 1)


@per_schema
def _has_file_fields(schema: dict) -> bool:
    """Whether ``"format": "attachment"`` appears anywhere in ``schema``: most officers' forms have no file field,
    and walking the form against the data to find none cost 30-45 us of every completion."""
    pending = [schema]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            if current.get("format") == ATTACHMENT_FORMAT:
                return True
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    return False


def check_references(session: Session, schema: dict | None, data: dict, actor: Actor,
                     instance_id: int | None = None) -> tuple[dict, list[Attachment]]:
    """Check every file reference in ``data``; return the data with the stored name/size/type, and the files.

    Raises ``InvalidData`` with one message per bad field.
    """
    if not isinstance(schema, dict) or not isinstance(data, dict) or not _has_file_fields(schema):
        return data, []
    errors: dict[str, str] = {}
    found: dict[tuple, Attachment] = {}
    for path, field_schema, value in _fields(schema, data, (), schema):
        key = ".".join(str(p) for p in path) or "(form)"
        if path in found or key in errors:
            continue
        attachment = session.get(Attachment, value.get("id")) if isinstance(value.get("id"), str) else None
        if attachment is None:
            errors[key] = "Upload the file first (POST /api/v1/attachments) and send the reference it returns."
        elif attachment.instance_id not in (None, instance_id):
            errors[key] = "This file belongs to another application. Upload it again."
        elif attachment.instance_id is None and attachment.uploaded_by != actor.username:
            errors[key] = "You can only attach files you uploaded yourself."
        elif field_schema.get("x-accept") and attachment.content_type not in field_schema["x-accept"]:
            errors[key] = f"This field accepts {', '.join(field_schema['x-accept'])}, not {attachment.content_type}."
        elif isinstance(field_schema.get("x-max-size"), int) and attachment.size > field_schema["x-max-size"]:
            errors[key] = f"The file is larger than {field_schema['x-max-size'] // 1024} KB allowed here."
        else:
            found[path] = attachment
    if errors:
        raise InvalidData(f"{len(errors)} file field(s) need attention: {', '.join(sorted(errors))}.", errors)
    return _with_references(data, found), list(found.values())


def _with_references(data, found: dict[tuple, Attachment], path: tuple = ()):
    if path in found:
        return {**data, **reference(found[path])}
    if isinstance(data, dict):
        return {k: _with_references(v, found, (*path, k)) for k, v in data.items()}
    if isinstance(data, list):
        return [_with_references(v, found, (*path, i)) for i, v in enumerate(data)]
    return data


def link(session: Session, attachments: list[Attachment], instance_id: int) -> None:
    """Attach the files to the application; a file claimed by another application at the same moment conflicts."""
    for attachment in attachments:
        if attachment.instance_id == instance_id:
            continue
        linked = session.execute(update(Attachment).where(Attachment.id == attachment.id,
                                                          Attachment.instance_id.is_(None))
                                 .values(instance_id=instance_id).execution_options(synchronize_session=False))
        if linked.rowcount != 1:
            raise Conflict(f"The file {attachment.name!r} was just attached to another application. Upload it again.")
        attachment.instance_id = instance_id
