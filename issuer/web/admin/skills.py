"""The skills catalogue in the workspace, /admin/competences (issue #5, item 2): domains and
skills with their actions; forms to add and edit; confirmation pages to move, retire and
reinstate; the version history; the import of a CASE 1.1 package.

Every change asks for a change note and becomes a new version of the catalogue, recorded in the
audit trail with its author (`issuer.network.skills.service`). This module reads the request, calls the
service, and redirects after every successful POST (post/redirect/get); a refusal re-renders
the form with the message. Conventions: issuer/web/admin/__init__.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from issuer.errors import InvalidInput, IssuerError
from issuer.network.skills import service as skills
from issuer.network.skills.catalogue import (
    Bilingual,
    Crosswalk,
    LevelDescriptor,
    Skill,
    SkillCatalogue,
    SkillDomain,
    SkillNotFound,
)
from issuer.network.skills.edits import DomainDraft, SkillDraft
from issuer.openbadges.json_depth import MAX_DEPTH, JSONTooDeep, loads_bounded
from issuer.web.admin.auth import client_origin, form_fields
from issuer.web.admin.rendering import render_admin
from issuer.web.deps import Coordinator, service_of
from issuer.web.locale import request_locale
from issuer.workspace.accounts import User

BASE = "/admin/competences"
#: How many level descriptors the skill form offers (the catalogue's scale has three).
LEVEL_FIELDS = 3
MAX_PACKAGE_BYTES = 2 * 1024 * 1024
#: The actions behind a confirmation page (path words, French like every /admin path).
_ACTIONS = ("retirer", "reintegrer", "monter", "descendre")
_TEXT_LIMIT = 4000


# --- the catalogue --------------------------------------------------------------------------

def catalogue_page(request: Request, user: Coordinator) -> Response:
    catalogue = skills.current_catalogue(service_of(request))
    done = request.query_params.get("fait")
    return render_admin(request, "skills.html", {
        "catalogue": catalogue, "done": done or None,
        "done_code": request.query_params.get("code", ""),
    }, user=user)


def versions_page(request: Request, user: Coordinator) -> Response:
    service = service_of(request)
    return render_admin(request, "skill_versions.html", {
        "versions": skills.version_history(service),
        "catalogue": skills.current_catalogue(service),
    }, user=user)


# --- domains --------------------------------------------------------------------------------

def domain_new_page(request: Request, user: Coordinator) -> Response:
    return _domain_form(request, user, code=None, values={}, error=None)


def domain_new_submit(request: Request, user: Coordinator) -> Response:
    form = form_fields(request)
    values = _values(form)
    return _attempt(request, lambda note: skills.add_domain(
        service_of(request), _domain_draft(form, code=values.get("code", "")),
        actor=user.email, note=note, origin=client_origin(request)),
        form, done="domaine-ajoute", code=values.get("code", "").upper(),
        on_error=lambda message: _domain_form(request, user, code=None, values=values,
                                              error=message, status_code=400))


def domain_edit_page(request: Request, user: Coordinator) -> Response:
    domain = _domain(request)
    values = {"name_fr": domain.name.fr, "name_en": domain.name.en,
              "description_fr": domain.description.fr, "description_en": domain.description.en,
              **_crosswalk_values(domain.crosswalks)}
    return _domain_form(request, user, code=domain.code, values=values, error=None)


def domain_edit_submit(request: Request, user: Coordinator) -> Response:
    code = _domain(request).code
    form = form_fields(request)
    values = _values(form)
    return _attempt(request, lambda note: skills.edit_domain(
        service_of(request), code, _domain_draft(form, code=code), actor=user.email,
        note=note, origin=client_origin(request)),
        form, done="domaine-modifie", code=code,
        on_error=lambda message: _domain_form(request, user, code=code, values=values,
                                              error=message, status_code=400))


def domain_action_page(request: Request, user: Coordinator) -> Response:
    domain = _domain(request)
    return _action_page(request, user, kind="domain", code=domain.code,
                        name=domain.name, action=_action(request), error=None)


def domain_action_submit(request: Request, user: Coordinator) -> Response:
    domain = _domain(request)
    action = _action(request)
    service, origin = service_of(request), client_origin(request)
    operations: dict[str, Callable[[str], SkillCatalogue]] = {
        "retirer": lambda note: skills.retire_domain(service, domain.code, actor=user.email,
                                                     note=note, origin=origin),
        "reintegrer": lambda note: skills.reinstate_domain(service, domain.code,
                                                           actor=user.email, note=note,
                                                           origin=origin),
        "monter": lambda note: skills.move_domain(service, domain.code, -1, actor=user.email,
                                                  note=note, origin=origin),
        "descendre": lambda note: skills.move_domain(service, domain.code, 1, actor=user.email,
                                                     note=note, origin=origin),
    }
    return _attempt(request, operations[action], form_fields(request),
                    done=f"domaine-{action}", code=domain.code,
                    on_error=lambda message: _action_page(
                        request, user, kind="domain", code=domain.code, name=domain.name,
                        action=action, error=message, status_code=400))


# --- skills ---------------------------------------------------------------------------------

def skill_new_page(request: Request, user: Coordinator) -> Response:
    values = {"domain": request.query_params.get("domaine", "")}
    return _skill_form(request, user, code=None, values=values, error=None)


def skill_new_submit(request: Request, user: Coordinator) -> Response:
    form = form_fields(request)
    values = _values(form)
    return _attempt(request, lambda note: skills.add_skill(
        service_of(request), _skill_draft(form, code=values.get("code", "")),
        actor=user.email, note=note, origin=client_origin(request)),
        form, done="ajoutee", code=values.get("code", "").upper(),
        on_error=lambda message: _skill_form(request, user, code=None, values=values,
                                             error=message, status_code=400))


def skill_edit_page(request: Request, user: Coordinator) -> Response:
    skill = _skill(request)
    values = {"domain": skill.domain_code, "name_fr": skill.name.fr, "name_en": skill.name.en,
              "description_fr": skill.description.fr, "description_en": skill.description.en,
              **_crosswalk_values(skill.crosswalks)}
    for level in skill.levels:
        prefix = f"level{level.level}_"
        values.update({prefix + "name_fr": level.name.fr, prefix + "name_en": level.name.en,
                       prefix + "description_fr": level.description.fr,
                       prefix + "description_en": level.description.en})
    return _skill_form(request, user, code=skill.code, values=values, error=None)


def skill_edit_submit(request: Request, user: Coordinator) -> Response:
    code = _skill(request).code
    form = form_fields(request)
    values = _values(form)
    return _attempt(request, lambda note: skills.edit_skill(
        service_of(request), code, _skill_draft(form, code=code), actor=user.email,
        note=note, origin=client_origin(request)),
        form, done="modifiee", code=code,
        on_error=lambda message: _skill_form(request, user, code=code, values=values,
                                             error=message, status_code=400))


def skill_action_page(request: Request, user: Coordinator) -> Response:
    skill = _skill(request)
    return _action_page(request, user, kind="skill", code=skill.code, name=skill.name,
                        action=_action(request), error=None)


def skill_action_submit(request: Request, user: Coordinator) -> Response:
    skill = _skill(request)
    action = _action(request)
    service, origin = service_of(request), client_origin(request)
    operations: dict[str, Callable[[str], SkillCatalogue]] = {
        "retirer": lambda note: skills.retire_skill(service, skill.code, actor=user.email,
                                                    note=note, origin=origin),
        "reintegrer": lambda note: skills.reinstate_skill(service, skill.code,
                                                          actor=user.email, note=note,
                                                          origin=origin),
        "monter": lambda note: skills.move_skill(service, skill.code, -1, actor=user.email,
                                                 note=note, origin=origin),
        "descendre": lambda note: skills.move_skill(service, skill.code, 1, actor=user.email,
                                                    note=note, origin=origin),
    }
    return _attempt(request, operations[action], form_fields(request), done=action,
                    code=skill.code,
                    on_error=lambda message: _action_page(
                        request, user, kind="skill", code=skill.code, name=skill.name,
                        action=action, error=message, status_code=400))


# --- CASE import ----------------------------------------------------------------------------

def import_page(request: Request, user: Coordinator) -> Response:
    return render_admin(request, "skill_import.html", {"error": None, "note": ""}, user=user)


def import_submit(request: Request, user: Coordinator) -> Response:
    form = form_fields(request)
    note = _text(form, "note", 1000)
    try:
        package = _uploaded_json(form.get("package"))
        skills.import_case_package(service_of(request), package, actor=user.email, note=note,
                                   origin=client_origin(request))
    except IssuerError as error:
        return render_admin(request, "skill_import.html", {
            "error": error.message(request_locale(request)), "note": note,
        }, user=user, status_code=400)
    return RedirectResponse(f"{BASE}?fait=importe", status_code=303)


def _uploaded_json(upload: Any) -> Any:
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("Choisissez le fichier du paquet CASE (JSON).",
                           "Choose the CASE package file (JSON).", code="skills.no_file")
    data = upload.file.read(MAX_PACKAGE_BYTES + 1)
    if len(data) > MAX_PACKAGE_BYTES:
        raise InvalidInput("Le fichier dépasse 2 Mo.", "The file is larger than 2 MB.",
                           code="skills.file_too_large")
    try:
        return loads_bounded(data.decode("utf-8"))
    except JSONTooDeep:
        raise InvalidInput(f"Ce fichier imbrique ses données sur plus de {MAX_DEPTH} niveaux.",
                           f"This file nests its data deeper than {MAX_DEPTH} levels.",
                           code="skills.json_too_deep") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"Ce fichier n'est pas un JSON lisible ({exc}).",
                           f"This file is not readable JSON ({exc}).",
                           code="skills.bad_json") from exc


# --- pages ----------------------------------------------------------------------------------

def _domain_form(request: Request, user: User, *, code: str | None, values: dict[str, str],
                 error: str | None, status_code: int = 200) -> Response:
    return render_admin(request, "skill_domain_form.html", {
        "code": code, "values": values, "error": error,
    }, user=user, status_code=status_code)


def _skill_form(request: Request, user: User, *, code: str | None, values: dict[str, str],
                error: str | None, status_code: int = 200) -> Response:
    catalogue = skills.current_catalogue(service_of(request))
    return render_admin(request, "skill_form.html", {
        "code": code, "values": values, "error": error,
        "domains": catalogue.active_domains(), "level_numbers": range(1, LEVEL_FIELDS + 1),
        "scale": catalogue.framework.levels,
    }, user=user, status_code=status_code)


def _action_page(request: Request, user: User, *, kind: str, code: str, name: Bilingual,
                 action: str, error: str | None, status_code: int = 200) -> Response:
    return render_admin(request, "skill_action.html", {
        "kind": kind, "code": code, "name": name, "action": action, "error": error,
        "path": f"{BASE}/domaines/{code}/{action}" if kind == "domain"
        else f"{BASE}/{code}/{action}",
    }, user=user, status_code=status_code)


def _attempt(request: Request, change: Callable[[str], SkillCatalogue], form: FormData, *,
             done: str, code: str, on_error: Callable[[str], Response]) -> Response:
    """Run one change with the form's note; redirect on success, re-render on refusal."""
    try:
        catalogue = change(_text(form, "note", 1000))
    except IssuerError as error:
        return on_error(error.message(request_locale(request)))
    return RedirectResponse(f"{BASE}?fait={done}&code={code}&version={catalogue.version}",
                            status_code=303)


# --- request helpers ------------------------------------------------------------------------

def _catalogue(request: Request) -> SkillCatalogue:
    return skills.current_catalogue(service_of(request))


def _skill(request: Request) -> Skill:
    try:
        return _catalogue(request).skill(str(request.path_params["code"]))
    except SkillNotFound:
        raise HTTPException(404, "unknown skill") from None


def _domain(request: Request) -> SkillDomain:
    try:
        return _catalogue(request).domain(str(request.path_params["code"]))
    except SkillNotFound:
        raise HTTPException(404, "unknown domain") from None


def _action(request: Request) -> str:
    action = str(request.path_params["action"])
    if action not in _ACTIONS:
        raise HTTPException(404, "unknown action")
    return action


def _text(form: FormData, name: str, limit: int = _TEXT_LIMIT) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _values(form: FormData) -> dict[str, str]:
    return {key: _text(form, key) for key in form if isinstance(form.get(key), str)}


def _bilingual(form: FormData, name: str) -> Bilingual:
    return Bilingual(_text(form, f"{name}_fr"), _text(form, f"{name}_en"))


def _domain_draft(form: FormData, *, code: str) -> DomainDraft:
    return DomainDraft(code=code, name=_bilingual(form, "name"),
                       description=_bilingual(form, "description"),
                       crosswalks=_crosswalks(form))


def _skill_draft(form: FormData, *, code: str) -> SkillDraft:
    levels = []
    for number in range(1, LEVEL_FIELDS + 1):
        name = _bilingual(form, f"level{number}_name")
        if name.fr:
            levels.append(LevelDescriptor(level=number, name=name,
                                          description=_bilingual(form,
                                                                 f"level{number}_description")))
    return SkillDraft(code=code, domain_code=_text(form, "domain"), name=_bilingual(form, "name"),
                      description=_bilingual(form, "description"), levels=tuple(levels),
                      crosswalks=_crosswalks(form))


def _crosswalks(form: FormData) -> tuple[Crosswalk, ...]:
    """One link a line: the address, then (after a space) the name of the framework entry."""
    found: list[Crosswalk] = []
    for field, relation in (("exact_matches", "exactMatchOf"), ("related_matches", "isRelatedTo")):
        for line in _text(form, field).splitlines():
            uri, _, label = line.strip().partition(" ")
            if uri:
                found.append(Crosswalk(uri=uri, framework=label.strip(),
                                       relation=relation))  # type: ignore[arg-type]
    return tuple(found)


def _crosswalk_values(crosswalks: tuple[Crosswalk, ...]) -> dict[str, str]:
    def lines(relation: str) -> str:
        return "\n".join(f"{c.uri} {c.framework}".strip() for c in crosswalks
                         if c.relation == relation)
    return {"exact_matches": lines("exactMatchOf"), "related_matches": lines("isRelatedTo")}


routes: list[BaseRoute] = [
    Route(BASE, catalogue_page, methods=["GET"], name="admin_skills"),
    Route(f"{BASE}/versions", versions_page, methods=["GET"], name="admin_skills_versions"),
    Route(f"{BASE}/importer", import_page, methods=["GET"], name="admin_skills_import"),
    Route(f"{BASE}/importer", import_submit, methods=["POST"], name="admin_skills_import_submit"),
    Route(f"{BASE}/domaines/nouveau", domain_new_page, methods=["GET"],
          name="admin_skill_domain_new"),
    Route(f"{BASE}/domaines/nouveau", domain_new_submit, methods=["POST"],
          name="admin_skill_domain_new_submit"),
    Route(f"{BASE}/domaines/{{code}}", domain_edit_page, methods=["GET"],
          name="admin_skill_domain"),
    Route(f"{BASE}/domaines/{{code}}", domain_edit_submit, methods=["POST"],
          name="admin_skill_domain_submit"),
    Route(f"{BASE}/domaines/{{code}}/{{action}}", domain_action_page, methods=["GET"],
          name="admin_skill_domain_action"),
    Route(f"{BASE}/domaines/{{code}}/{{action}}", domain_action_submit, methods=["POST"],
          name="admin_skill_domain_action_submit"),
    Route(f"{BASE}/nouvelle", skill_new_page, methods=["GET"], name="admin_skill_new"),
    Route(f"{BASE}/nouvelle", skill_new_submit, methods=["POST"], name="admin_skill_new_submit"),
    Route(f"{BASE}/{{code}}", skill_edit_page, methods=["GET"], name="admin_skill"),
    Route(f"{BASE}/{{code}}", skill_edit_submit, methods=["POST"], name="admin_skill_submit"),
    Route(f"{BASE}/{{code}}/{{action}}", skill_action_page, methods=["GET"],
          name="admin_skill_action"),
    Route(f"{BASE}/{{code}}/{{action}}", skill_action_submit, methods=["POST"],
          name="admin_skill_action_submit"),
]
