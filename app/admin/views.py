"""/admin: the team (invite, role, deactivate, reset sign-in factors) and the audit trail. Admins only."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.accounts import staff
from app.accounts.team import member_by_id, queue_invitation_email, staff_members, team_counts
from app.admin.forms import ConfirmForm, InviteForm, RoleForm, TeamFilterForm, TrailFilterForm
from app.admin.schemas import ConfirmInput, InviteInput, RoleInput, TeamQuery, TrailQuery
from app.admin.vocabulary import OBJECT_LABELS, ROLE_LABELS, action_label
from app.audit import queries
from app.core.csv_export import csv_response
from app.core.errors import Forbidden
from app.core.forms import FORM_ERROR_STATUS, parse_form_into
from app.core.requests import form_parsed_by_schema
from app.core.schemas import parse_query
from app.extensions import db, login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_admin():
    """Anonymous visitors sign in (HTML) or get 401 (JSON); every other role gets 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role != "admin":
        raise Forbidden()
    return None


@bp.after_request
def no_store(response):
    # Personal data of the team and one-time links: never kept by a browser or proxy cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _team_page(invite_form: InviteForm | None = None, status: int = 200):
    given = parse_query(TeamQuery)
    members = staff_members(role=given.rolle, active=given.active, search=given.q)
    html = render_template("admin/home.html", members=members, counts=team_counts(), given=given,
                           filter_form=TeamFilterForm(formdata=request.args),
                           invite_form=invite_form or InviteForm(formdata=None), role_labels=ROLE_LABELS,
                           hours=staff.INVITATION_HOURS)
    return html, status


@bp.get("")
def home():
    """The team with filters and counts, the invitation form and the way to the audit trail."""
    return _team_page()


@bp.post("/einladen")
@form_parsed_by_schema
def invite():
    """Create the account, mail the one-time link and show it once to the admin as well."""
    form = InviteForm()
    given = parse_form_into(InviteInput, form)
    if given is None:
        return _team_page(form, FORM_ERROR_STATUS)
    try:
        user = staff.create_staff(given.email, given.role, given.name, actor=current_user)
        link = staff.invitation_link(user)
        queue_invitation_email(user, link)
        db.session.commit()
    except staff.StaffError as exc:
        # Also the second click of a double submit: the account exists, nothing is created twice.
        db.session.rollback()
        form.email.errors = [str(exc)]
        return _team_page(form, FORM_ERROR_STATUS)
    return render_template("admin/link.html", member=user, link=link, hours=staff.INVITATION_HOURS, created=True)


def _member_or_404(user_id: int):
    member = member_by_id(user_id)
    if member is None:
        abort(404)
    return member


def _member_page(member, role_form: RoleForm | None = None, status: int = 200):
    role_form = role_form or RoleForm(formdata=None, role=member.role)
    html = render_template("admin/member.html", member=member, role_form=role_form, confirm_form=ConfirmForm(),
                           role_labels=ROLE_LABELS, events=queries.events_about("account", member.email),
                           action_label=action_label, is_self=member.id == current_user.id)
    return html, status


@bp.get("/team/<int:user_id>")
def member(user_id):
    """One staff member: role, status, second factor, last sign-in, and what can be changed."""
    return _member_page(_member_or_404(user_id))


def _change(user_id: int, model, form, change, done: str):
    """Parse the button's form, make the change, commit; a refused change is shown as a message."""
    found = _member_or_404(user_id)
    given = parse_form_into(model, form)
    if given is None:
        for field in form:
            for message in field.errors:
                flash(message, "error")
        return _member_page(found, form if isinstance(form, RoleForm) else None, FORM_ERROR_STATUS)
    try:
        result = change(found, given)
        db.session.commit()
    except staff.StaffError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.member", user_id=user_id))
    if result is not None:
        return result
    flash(done, "success")
    if found.id == current_user.id and not (found.role == "admin" and found.active):
        # The admin gave up their own rights: their session has ended with it.
        return redirect(url_for("help.home"))
    return redirect(url_for("admin.member", user_id=user_id))


@bp.post("/team/<int:user_id>/rolle")
@form_parsed_by_schema
def change_role(user_id):
    """Give the member another role; their sessions end so that the new rights apply at once."""
    return _change(user_id, RoleInput, RoleForm(),
                   lambda m, given: staff.change_role(m, given.role, actor=current_user),
                   _("Die Rolle ist geändert. Die Person meldet sich neu an."))


@bp.post("/team/<int:user_id>/deaktivieren")
def deactivate(user_id):
    """The member cannot sign in any more; every session ends now."""
    return _change(user_id, ConfirmInput, ConfirmForm(),
                   lambda m, given: staff.set_staff_active(m, False, actor=current_user),
                   _("Das Konto ist deaktiviert. Alle Sitzungen sind beendet."))


@bp.post("/team/<int:user_id>/aktivieren")
def activate(user_id):
    """The member can sign in again."""
    return _change(user_id, ConfirmInput, ConfirmForm(),
                   lambda m, given: staff.set_staff_active(m, True, actor=current_user),
                   _("Das Konto ist wieder aktiv."))


@bp.post("/team/<int:user_id>/faktoren-zuruecksetzen")
def reset_factors(user_id):
    """Remove the second factor and the recovery codes (a lost phone); every session ends."""
    return _change(user_id, ConfirmInput, ConfirmForm(),
                   lambda m, given: staff.reset_sign_in_factors(m, actor=current_user),
                   _("Zweiter Faktor und Wiederherstellungscodes sind entfernt. Die Person richtet sie bei der "
                     "nächsten Anmeldung neu ein."))


@bp.post("/team/<int:user_id>/einladung")
def renew_invitation(user_id):
    """A new one-time link by e-mail and on screen; the password and older links stop working."""
    def change(found, given):
        if found.id == current_user.id:
            raise staff.StaffError(_("Ihr eigenes Passwort ändern Sie in Ihrem Konto, nicht hier."))
        if not found.active:
            raise staff.StaffError(_("Aktivieren Sie das Konto zuerst; ein deaktiviertes Konto kann keinen Link "
                                     "verwenden."))
        link = staff.renew_invitation(found, actor=current_user)
        queue_invitation_email(found, link, renewed=True)
        return render_template("admin/link.html", member=found, link=link, hours=staff.INVITATION_HOURS,
                               created=False)

    return _change(user_id, ConfirmInput, ConfirmForm(), change, "")


def _trail_filter(given: TrailQuery) -> queries.TrailFilter:
    return queries.TrailFilter(person=given.person, object_type=given.art, action=given.aktion,
                               object_ref=given.objekt, first_day=given.von, last_day=given.bis)


@bp.get("/protokoll")
def trail():
    """The audit trail, newest first, 50 a page, filtered by person, kind, action, object and days."""
    given = parse_query(TrailQuery)
    page = queries.trail_page(_trail_filter(given), given.seite)
    form = TrailFilterForm(formdata=request.args)
    form.aktion.choices = form.aktion.choices + [SelectChoice(code, action_label(code))
                                                 for code in queries.known_actions()]
    return render_template("admin/trail.html", page=page, form=form, filters=given.filters(),
                           object_labels=OBJECT_LABELS, action_label=action_label)


@bp.get("/protokoll.csv")
def trail_csv():
    """Exactly the filtered rows as CSV for German Excel (UTF-8 with BOM, ";"), streamed."""
    given = parse_query(TrailQuery)
    header = [_("Zeit (Europe/Berlin)"), _("Person"), _("Aktion"), _("Art"), _("Objekt"), _("Details")]
    response = csv_response(queries.csv_lines(_trail_filter(given), header), "protokoll.csv")
    # By account id, not the address: the log is not part of a person's erasure.
    current_app.logger.info("audit trail exported as CSV by account %d", current_user.id)
    return response
