"""German names of roles, kinds of objects and actions on the /admin pages (the codes stay in the data)."""
from flask_babel import lazy_gettext as _l

ROLE_LABELS = {"agent": _l("Agent (Kundenservice)"), "lead": _l("Teamleitung"), "editor": _l("Redaktion"),
               "admin": _l("Admin")}

OBJECT_LABELS = {
    "case": _l("Anfrage"), "return": _l("Rücksendung"), "article": _l("Artikel"), "account": _l("Konto"),
    "withdrawal": _l("Widerruf"), "order": _l("Bestellung"), "customer": _l("Kundendaten"),
    "search": _l("Suche"),
}

ACTION_LABELS = {
    "account.create": _l("Konto angelegt"),
    "account.invite": _l("Neuer Einladungslink"),
    "account.role": _l("Rolle geändert"),
    "account.activate": _l("Konto aktiviert"),
    "account.deactivate": _l("Konto deaktiviert"),
    "account.reset_factors": _l("Anmeldefaktoren zurückgesetzt"),
    "account.sign_out": _l("Überall abgemeldet"),
    "account.password_set": _l("Passwort gewählt"),
    "account.second_factor_on": _l("Zweiter Faktor eingerichtet"),
    "account.second_factor_off": _l("Zweiter Faktor ausgeschaltet"),
    "account.recovery_codes_new": _l("Neue Wiederherstellungscodes"),
    "case.claim": _l("Anfrage übernommen"),
    "case.reply": _l("Antwort per E-Mail"),
    "case.chat_reply": _l("Chat-Antwort"),
    "case.note": _l("Interne Notiz"),
    "case.callback": _l("Rückruf erledigt"),
    "case.resolve": _l("Anfrage erledigt"),
    "case.reopen": _l("Anfrage wieder geöffnet"),
    "case.verify": _l("Kunde verifiziert"),
    "return.status": _l("Rücksendestatus geändert"),
    "article.save": _l("Artikel gespeichert"),
    "article.publish": _l("Artikel veröffentlicht"),
    "article.review": _l("Artikel zur Freigabe vorgelegt"),
    "article.approve": _l("Artikel freigegeben"),
    "article.unpublish": _l("Artikel zurückgezogen"),
    "article.archive": _l("Artikel archiviert"),
    "article.restore": _l("Artikelversion wiederhergestellt"),
    "search.pin": _l("Empfehlung angeheftet"),
    "search.unpin": _l("Empfehlung entfernt"),
    "search.pin_move": _l("Empfehlung verschoben"),
    "search.file_save": _l("Suchliste geändert"),
    "search.proposal_accept": _l("Vorschlag übernommen"),
    "search.proposal_dismiss": _l("Vorschlag verworfen"),
    "customer.export": _l("Datenauskunft exportiert"),
    "customer.erase": _l("Kundendaten gelöscht"),
}


def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code
