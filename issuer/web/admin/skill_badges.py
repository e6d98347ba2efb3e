"""Skill badges in the workspace, /admin/competences/badges (issue #5, item 4): create a badge
from a skill or a domain of the catalogue, edit its criteria, and issue it to a mediator with
evidence (a short narrative, a link, a file). Also the public address of the evidence files,
/preuves/<id>.<ext>, which issued credentials cite.

The rules live in `issuer.network.skill_badges` and `issuer.network.evidence`; this module reads the forms,
calls them and redirects after every successful POST (post/redirect/get). An issued badge opens
on its admin page (/admin/badges/<id>), like one issued from the single issuance form, and its
delivery e-mail leaves after the answer. Conventions: issuer/web/admin/__init__.py.

These routes must come before those of the catalogue area (`skills`), whose
/admin/competences/{code} would otherwise take "badges" for a skill code.
"""

from __future__ import annotations

from typing import Any

from starlette.background import BackgroundTask
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from issuer.errors import IssuerError
from issuer.issuance.service import IssuerService
from issuer.mail import deliver_pending
from issuer.network import evidence as evidence_files
from issuer.network import skill_badges
from issuer.network.skills.service import current_catalogue
from issuer.web.admin.auth import client_origin, form_fields
from issuer.web.admin.events import form_text
from issuer.web.admin.rendering import render_admin
from issuer.web.deps import Coordinator, service_of
from issuer.web.locale import request_locale

BASE = "/admin/competences/badges"
_ISSUE_FIELDS = ("name", "email", "narrative", "link", "link_title", "file_title")
_TEXT_LIMIT = 4000
# The published files never change (a new upload gets a new id); a short lifetime still lets
# an erased person's file disappear soon from shared caches.
# The same headers as a static host sends (issuer.network.evidence, `issuer publish`).
EVIDENCE_CACHE = evidence_files.EVIDENCE_CACHE
EVIDENCE_POLICY = evidence_files.EVIDENCE_POLICY


# --- the list, and creating a badge from the catalogue ----------------------------------------

def badges_page(request: Request, user: Coordinator) -> Response:
    return _list_page(request, user, values={}, error=None)


def create_submit(request: Request, user: Coordinator) -> Response:
    service = service_of(request)
    form = form_fields(request)
    target = form_text(form, "target")
    kind, _, code = target.partition(":")
    try:
        badge = skill_badges.create_skill_badge(service, kind, code, actor=user.email,
                                                origin=client_origin(request))
    except IssuerError as error:
        return _list_page(request, user, values={"target": target},
                          error=error.message(request_locale(request)), status_code=400)
    return RedirectResponse(f"{BASE}/{badge.slug}?cree=1", status_code=303)


def _list_page(request: Request, user: Any, *, values: dict[str, str], error: str | None,
               status_code: int = 200) -> Response:
    service = service_of(request)
    badges = skill_badges.list_skill_badges(service)
    taken = {(badge.kind, badge.target_code) for badge in badges}
    return render_admin(request, "skill_badges.html", {
        "badges": badges, "catalogue": current_catalogue(service), "taken": taken,
        "issued": skill_badges.issued_counts(service), "values": values, "error": error,
    }, user=user, status_code=status_code)


# --- one badge: criteria and issuing -------------------------------------------------------------

def badge_page(request: Request, user: Coordinator) -> Response:
    return _badge_page(request, user, criteria=None, values={}, error=None)


def criteria_submit(request: Request, user: Coordinator) -> Response:
    service = service_of(request)
    badge = _badge(service, request)
    form = form_fields(request)
    criteria = {language: form_text(form, f"criteria_{language}", limit=_TEXT_LIMIT + 1)
                for language in ("fr", "en")}
    try:
        skill_badges.update_criteria(service, badge.slug, criteria_fr=criteria["fr"],
                                     criteria_en=criteria["en"], actor=user.email,
                                     origin=client_origin(request))
    except IssuerError as error:
        return _badge_page(request, user, criteria=criteria, values={},
                           error=error.message(request_locale(request)), status_code=400)
    return RedirectResponse(f"{BASE}/{badge.slug}?criteres=1", status_code=303)


def issue_submit(request: Request, user: Coordinator) -> Response:
    service = service_of(request)
    badge = _badge(service, request)
    form = form_fields(request)
    values = {name: form_text(form, name, limit=_TEXT_LIMIT + 1) for name in _ISSUE_FIELDS}
    values["show_name"] = "1" if form.get("show_name") == "1" else ""
    try:
        given = skill_badges.SkillEvidence(
            narrative=values["narrative"], link=values["link"], link_title=values["link_title"],
            upload=_upload(form), file_title=values["file_title"])
        issued = skill_badges.issue_skill_badge(
            service, badge.slug, email=values["email"], name=values["name"] or None,
            given=given, show_name=bool(values["show_name"]), actor=user.email,
            origin=client_origin(request))
    except IssuerError as error:
        return _badge_page(request, user, criteria=None, values=values,
                           error=error.message(request_locale(request)), status_code=400)
    suffix = "" if issued.created else "?deja=1"
    response = RedirectResponse(f"/admin/badges/{issued.credential_id}{suffix}", status_code=303)
    if issued.created:
        response.background = BackgroundTask(_deliver_emails, service, user.email)
    return response


def _upload(form: FormData) -> evidence_files.EvidenceUpload | None:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    # One byte more than allowed, so that a larger file is refused by name, not cut.
    data = upload.file.read(evidence_files.MAX_FILE_BYTES + 1)
    return evidence_files.EvidenceUpload(file_name=upload.filename, data=data)


def _deliver_emails(service: IssuerService, actor: str) -> None:
    deliver_pending(service, actor=actor)


def _badge(service: IssuerService, request: Request) -> skill_badges.SkillBadge:
    try:
        return skill_badges.get_skill_badge(service, request.path_params["slug"])
    except skill_badges.SkillBadgeNotFound:
        raise HTTPException(404) from None


def _badge_page(request: Request, user: Any, *, criteria: dict[str, str] | None,
                values: dict[str, str], error: str | None, status_code: int = 200) -> Response:
    service = service_of(request)
    badge = _badge(service, request)
    definition = service.catalogue.badge(badge.slug)
    catalogue = current_catalogue(service)
    aligned = {alignment.target_code for alignment in definition.alignments}
    return render_admin(request, "skill_badge.html", {
        "badge": badge, "definition": definition, "catalogue": catalogue,
        "skills": [(code, catalogue.skill(code) if catalogue.has_skill(code) else None,
                    code in aligned) for code in badge.skill_codes],
        "criteria": criteria or {"fr": badge.criteria.fr, "en": badge.criteria.en},
        "values": values, "error": error,
        "created": request.query_params.get("cree") == "1",
        "criteria_saved": request.query_params.get("criteres") == "1",
        "accept": evidence_files.ACCEPTED_FILES,
        "max_megabytes": evidence_files.MAX_FILE_BYTES // 1_000_000,
    }, user=user, status_code=status_code)


# --- public: the evidence files credentials cite ------------------------------------------------

def evidence_file(request: Request) -> Response:
    found = evidence_files.published_evidence_file(service_of(request),
                                                   request.path_params["filename"])
    if found is None:
        raise HTTPException(404, "unknown evidence file")
    path, media_type = found
    # A PDF is downloaded (browsers' PDF viewers do not run under a sandbox policy); an image
    # is shown. Never indexed: a file may show a person at work.
    disposition = "inline" if media_type.startswith("image/") else "attachment"
    return FileResponse(path, media_type=media_type, content_disposition_type=disposition,
                        filename=path.name, headers={
                            "cache-control": EVIDENCE_CACHE,
                            "content-security-policy": EVIDENCE_POLICY,
                            "x-robots-tag": "noindex",
                            "access-control-allow-origin": "*"})


routes: list[BaseRoute] = [
    Route(BASE, badges_page, methods=["GET"], name="admin_skill_badges"),
    Route(BASE, create_submit, methods=["POST"], name="admin_skill_badges_create"),
    Route(f"{BASE}/{{slug}}", badge_page, methods=["GET"], name="admin_skill_badge"),
    Route(f"{BASE}/{{slug}}/criteres", criteria_submit, methods=["POST"],
          name="admin_skill_badge_criteria"),
    Route(f"{BASE}/{{slug}}/delivrer", issue_submit, methods=["POST"],
          name="admin_skill_badge_issue"),
]

public_routes: list[BaseRoute] = [
    Route(f"{evidence_files.EVIDENCE_PATH}/{{filename}}", evidence_file, methods=["GET"],
          name="evidence_file"),
]
