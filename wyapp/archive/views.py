"""档案: the filed documents each role may read, and each PDF exactly as stored."""
from flask import Blueprint, abort, request
from flask_login import current_user

from ..auth import estate_required
from ..documents import pdf_response
from ..inputs import id_arg
from ..storage import NotStored, storage
from ..web import render
from . import services
from .models import Document

bp = Blueprint("archive", __name__, url_prefix="/archive")


def visible_kinds(user):
    """Managers and supervisors see every kind; others the kinds their role covers."""
    everything = user.has_role("manager", "supervisor")
    return {code: kind for code, kind in services.kinds().items()
            if everything or user.has_role(*kind.roles)}


def _visible_documents(user):
    estates = [e.id for e in user.estates()]
    return Document.select().where(Document.estate.in_(estates),
                                   Document.kind.in_(list(visible_kinds(user))))


@bp.route("")
@estate_required
def index():
    """Filed documents, filtered by kind, estate and date (htmx swaps the results)."""
    kinds = visible_kinds(current_user)
    estates = list(current_user.estates())
    query = _visible_documents(current_user).order_by(Document.created_at.desc(),
                                                      Document.id.desc())
    kind, estate_id = request.args.get("kind", ""), id_arg("estate")
    start, end = request.args.get("from", "")[:10], request.args.get("to", "")[:10]
    if kind in kinds:
        query = query.where(Document.kind == kind)
    if estate_id:
        query = query.where(Document.estate == estate_id)
    if start:
        query = query.where(Document.period >= start)
    if end:
        query = query.where(Document.period <= end + "\uffff")
    return render("archive/index.html", "results", documents=query.limit(500), kinds=kinds,
                  period_of=lambda d: services.listed_period(kinds.get(d.kind), d.period),
                  estates=estates, selected={"kind": kind, "estate": estate_id,
                                             "from": start, "to": end})


@bp.route("/<int:document_id>.pdf")
@estate_required
def download(document_id):
    """The filed PDF, exactly as stored."""
    doc = _visible_documents(current_user).where(Document.id == document_id).first() \
        or abort(404)
    try:  # from the app's store, wherever it is; never a bucket URL
        body = storage().read(services.archive_key(doc.path))
    except NotStored:  # the index names a file that is gone: `archive verify` says so
        abort(404)
    return pdf_response(body, f"{doc.archive_no}.pdf")


