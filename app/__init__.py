"""The help center's application factory."""
from __future__ import annotations

import logging

from flask import Flask

from app.config import config_from_env, instance_dir_from_env
from app.core.hosts import configure_proxy_and_hosts
from app.core.requests import HelpCenterRequest
from app.core.template_cache import SHARED_BYTECODE_CACHE
from app.extensions import babel, csrf, db, limiter, migrate


def create_app(config: dict | None = None) -> Flask:
    """Create the app; config overrides what the environment says (tests use this)."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_dir_from_env())
    app.jinja_options = {**app.jinja_options, "bytecode_cache": SHARED_BYTECODE_CACHE}
    app.request_class = HelpCenterRequest
    settings = config_from_env(app.instance_path)
    settings.update(config or {})
    app.config.from_mapping(settings)
    configure_proxy_and_hosts(app)

    register_extensions(app)
    register_domain_services(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_cli(app)
    register_template_helpers(app)
    register_logging(app)
    return app


def register_logging(app: Flask) -> None:
    from app.privacy.logs import install_log_masking

    logging.getLogger("app").setLevel(logging.INFO)
    # Every log line of the app, the CLI and the outbox worker: card numbers masked (PCI DSS 3.4).
    install_log_masking(app.logger, logging.getLogger("werkzeug"), logging.getLogger("gunicorn.error"),
                        logging.getLogger("gunicorn.access"))


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (every table known to Flask-Migrate)
    from app.accounts.loading import configure_login
    from app.database import configure_engine_events, engine_options
    from app.i18n import select_locale

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["SQLALCHEMY_DATABASE_URI"],
                                                             app.config.get("SQLALCHEMY_ENGINE_OPTIONS"))
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    limiter.init_app(app)
    configure_login(app)
    with app.app_context():
        configure_engine_events(db.engine)


def register_domain_services(app: Flask) -> None:
    from app.articles.library import ArticleLibrary
    from app.carriers.registry import check_tracking_adapters
    from app.cases.routing import load_routing
    from app.config import ConfigError
    from app.privacy.retention import apply_phone_override
    from app.returns.policy import load_policy
    from app.search.service import init_search

    from app.articles.store import content_version, load_database_tree

    library = ArticleLibrary(
        app.config["HELPCENTER_CONTENT_DIR"],
        app.config["HELPCENTER_DEFAULT_LANG"],
        reload_seconds=app.config["HELPCENTER_CONTENT_RELOAD_SECONDS"],
        database=content_version, load_database=load_database_tree,
    )
    app.extensions["helpcenter.library"] = library
    init_search(app, library)
    # Validated at start: a broken routing file stops the app with a message naming the rule.
    routing = load_routing(app.config["HELPCENTER_ROUTING_FILE"] or None)
    app.extensions["helpcenter.routing"] = apply_phone_override(routing, app.config)
    app.extensions["helpcenter.returns_policy"] = load_policy(app.config["HELPCENTER_RETURNS_POLICY_FILE"] or None)
    check_tracking_adapters(app.extensions["helpcenter.returns_policy"], app.config)
    check_label_adapters(app)
    if app.config["HELPCENTER_RETURNS_WEBHOOK_URL"] and not app.config["HELPCENTER_RETURNS_WEBHOOK_SECRET"]:
        raise ConfigError("HELPCENTER_RETURNS_WEBHOOK_SECRET must be set when HELPCENTER_RETURNS_WEBHOOK_URL is")


def check_label_adapters(app: Flask) -> None:
    """A carrier with `label = "dhl_returns"` but without its credentials stops the start (ConfigError names them)."""
    from app.carriers.registry import build_label_adapter

    for carrier in app.extensions["helpcenter.returns_policy"].carriers.values():
        build_label_adapter(carrier.label_adapter, app.config)


def register_blueprints(app: Flask) -> None:
    from app.accounts.api import bp as accounts_api_bp
    from app.accounts.views import bp as accounts_bp
    from app.cases.api import bp as cases_api_bp
    from app.contact.views import bp as contact_bp
    from app.api.views import bp as api_bp
    from app.help.views import bp as help_bp
    from app.returns.api import bp as returns_api_bp
    from app.returns.views import bp as returns_bp
    from app.shop.api import bp as shop_api_bp
    from app.tracking.api import bp as tracking_api_bp
    from app.tracking.views import bp as tracking_bp
    from app.withdrawal.views import bp as withdrawal_bp

    for blueprint in (help_bp, api_bp, accounts_bp, accounts_api_bp, tracking_bp, tracking_api_bp, shop_api_bp,
                      contact_bp, cases_api_bp, returns_bp, returns_api_bp, withdrawal_bp):
        app.register_blueprint(blueprint)
    register_agent_blueprints(app)
    register_people_blueprints(app)


def register_people_blueprints(app: Flask) -> None:
    """Staff sign-in steps, administration, the editors' workspace, the insights and the shop's single sign-on."""
    from app.accounts.staff_views import bp as staff_signin_bp
    from app.admin.views import bp as admin_bp
    from app.curation.views import bp as curation_bp
    from app.editorial.api import bp as articles_api_bp
    from app.editorial.views import bp as editorial_bp
    from app.insights.api import bp as insights_api_bp
    from app.insights.views import bp as insights_bp
    from app.sso.jwt_views import bp as sso_jwt_bp
    from app.sso.oidc_views import bp as sso_oidc_bp

    for blueprint in (staff_signin_bp, admin_bp, editorial_bp, curation_bp, articles_api_bp, insights_bp,
                      insights_api_bp, sso_jwt_bp, sso_oidc_bp):
        app.register_blueprint(blueprint)


def register_agent_blueprints(app: Flask) -> None:
    from app.agent.api import bp as agent_api_bp
    from app.agent.return_views import bp as agent_returns_bp
    from app.agent.views import bp as agent_bp
    from app.chat.views import bp as chat_bp

    for blueprint in (agent_bp, agent_returns_bp, agent_api_bp, chat_bp):
        app.register_blueprint(blueprint)


def register_request_hooks(app: Flask) -> None:
    from app.accounts.signin import require_second_factor_setup
    from app.core.requests import refuse_unsafe_input
    from app.i18n import remember_language_choice
    from app.security import add_security_headers

    app.before_request(refuse_unsafe_input)
    app.before_request(remember_language_choice)
    app.before_request(require_second_factor_setup)
    app.after_request(add_security_headers)


def register_errorhandlers(app: Flask) -> None:
    from app.errors import register

    register(app)


def register_cli(app: Flask) -> None:
    from app.accounts.cli import accounts_cli, users_cli
    from app.cli import content_cli, index_cli, uploads_cli
    from app.inbound.cli import mail_cli
    from app.returns.cli import returns_cli
    from app.returns.labels import retry_due
    from app.outbox.cli import outbox_cli
    from app.privacy.cli import privacy_cli
    from app.shop.cli import demo_cli, shop_cli
    from app.tracking.cli import tracking_cli

    app.cli.add_command(shop_cli)
    app.cli.add_command(demo_cli)

    app.cli.add_command(content_cli)
    app.cli.add_command(index_cli)
    app.cli.add_command(uploads_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(accounts_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(tracking_cli)
    app.cli.add_command(returns_cli)
    # Jobs the outbox worker runs between its rounds (app/outbox/cli.py): each takes one pass and reports.
    app.extensions["helpcenter.worker_jobs"] = {"return labels": retry_due}


def register_template_helpers(app: Flask) -> None:
    from app.api.openapi import schema_type
    from app.core.hosts import external_url
    from app.core.static_files import version_static_urls
    from app.i18n import format_number, template_globals

    app.context_processor(template_globals)
    # A global, not only a context variable: macros imported without context (insights charts) use it too.
    app.add_template_global(format_number)
    app.add_template_global(external_url)
    app.add_template_filter(schema_type)
    version_static_urls(app)
