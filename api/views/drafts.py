"""Form drafts over the API: what the pages autosave, for programs and apps (``engine.casework.drafts``). Each
person reads and writes only their own, and only for a form they may send now; sending the form itself still
validates everything."""

from __future__ import annotations

from engine.casework import drafts
from engine.errors import NotFound
from engine.texts import N_, Text

from ..auth import current_actor, login_required
from ..json_body import Blueprint
from ..schemas.drafts import DraftArgs, DraftRequest, DraftSaved, DraftSchema
from ..unit_of_work import engine_context, session

blp = Blueprint("drafts", __name__, url_prefix="/api/v1/drafts",
                description="Your unsent forms, kept on the server so no device loses them.")


@blp.route("")
@login_required()
@blp.arguments(DraftArgs, location="query")
@blp.response(200, DraftSchema)
def get_draft(args):
    """Your draft of a form; 404 when there is none (or it expired)."""
    actor = current_actor()
    scope = drafts.authorize(session(), actor, args["scope"])
    found = drafts.load(session(), engine_context(), actor, scope)
    if found is None:
        raise NotFound(Text(N_("You keep no draft of %(scope)s."), {"scope": scope}))
    return {"scope": scope, "fields_": [list(pair) for pair in found.pairs], "saved_at": found.saved_at,
            "expires_at": found.expires_at}


@blp.route("", methods=["PUT"])
@login_required()
@blp.arguments(DraftRequest)
@blp.response(200, DraftSaved)
def save_draft(body):
    """Keep the form's inputs as your draft of it (replacing the previous one); 422 names the bound exceeded."""
    actor = current_actor()
    scope = drafts.authorize(session(), actor, body["scope"])
    draft = drafts.save(session(), engine_context(), actor, scope, body["fields_"])
    return {"scope": scope, "saved_at": draft.updated_at, "expires_at": draft.expires_at}


@blp.route("", methods=["DELETE"])
@login_required()
@blp.arguments(DraftArgs, location="query")
@blp.response(204)
def discard_draft(args):
    """Forget your draft of a form (nothing happens when there is none)."""
    actor = current_actor()
    drafts.discard(session(), actor, (args["scope"] or "")[:drafts.MAX_SCOPE])
