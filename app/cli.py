"""Command-line tools for operators and editors: `flask --app wsgi content|index|uploads …`."""
from __future__ import annotations

import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup

from app.articles.loader import load_content, name_problems
from app.search.index import LANGUAGES, IndexBusy, IndexStore

content_cli = AppGroup("content", help="Check, import and export the help articles.")
index_cli = AppGroup("index", help="Build and update the search index.")
uploads_cli = AppGroup("uploads", help="Customers' uploads (contact attachments, return photos).")


def _load_tree():
    """What the site serves: the articles in the database once imported, the content directory before."""
    from app.articles.store import articles_in_database, load_database_tree

    if articles_in_database():
        return load_database_tree(current_app.config["HELPCENTER_DEFAULT_LANG"])
    return load_content(current_app.config["HELPCENTER_CONTENT_DIR"], current_app.config["HELPCENTER_DEFAULT_LANG"])


@content_cli.command("import")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--if-empty", is_flag=True, help="Only when no article is in the database yet (a new installation).")
def content_import(directory, if_empty):
    """Take a markdown tree (default: HELPCENTER_CONTENT_DIR) into the database: new articles, and a new version of
    each changed one. Broken files are listed and skipped; exit code 1 if there was one."""
    from app.articles.store import articles_in_database, import_tree
    from app.extensions import db

    if if_empty and articles_in_database():
        click.echo("Articles are in the database already; nothing imported.")
        return
    root = directory or current_app.config["HELPCENTER_CONTENT_DIR"]
    report = import_tree(root, current_app.config["HELPCENTER_DEFAULT_LANG"])
    if report.categories == 0 and report.problems:
        db.session.rollback()
        for problem in report.problems:
            click.echo(f"ERROR {problem}", err=True)
        raise click.ClickException(f"Nothing imported from {root}.")
    db.session.commit()
    click.echo(f"Imported from {root}: {report}.")
    for problem in report.problems:
        click.echo(f"ERROR {problem}", err=True)
    if report.problems:
        sys.exit(1)


@content_cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
def content_export(directory):
    """Write every category and article from the database as markdown files (the format `content import` reads)."""
    from app.articles.store import articles_in_database, export_tree

    if not articles_in_database():
        raise click.ClickException("No articles in the database yet: the content directory is what is served "
                                   f"({current_app.config['HELPCENTER_CONTENT_DIR']}).")
    count = export_tree(directory)
    click.echo(f"Exported {count} articles to {directory}.")


@content_cli.command("check")
def content_check():
    """Report every broken article file with its reason; exit code 1 if there is one."""
    tree = _load_tree()
    drafts = sum(1 for a in tree.articles.values() if not a.published)
    click.echo(f"{len(tree.categories)} categories, {len(tree.published)} published articles, {drafts} drafts, "
               f"{len(tree.synonyms)} synonym groups, {len(tree.names)} names in {tree.root}")
    problems = list(tree.problems) + _link_problems(tree) + name_problems(tree.names)
    for problem in problems:
        click.echo(f"ERROR {problem}", err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) found; the site serves every other article.", err=True)
        sys.exit(1)
    click.echo("OK")


def _link_problems(tree) -> list:
    """Links to articles or categories that do not exist (the rule the editor's save applies too)."""
    from app.articles.links import broken_links
    from app.articles.loader import Problem

    found = []
    for article in tree.articles.values():
        links = broken_links(article.body_html, tree.articles, tree.categories)
        if links:
            found.append(Problem(article.path, f"link(s) to nothing: {', '.join(links)}"))
    return found


def _store() -> IndexStore:
    return IndexStore(current_app.config["HELPCENTER_INDEX_DIR"])


def _print_counts(store: IndexStore) -> None:
    counts = ", ".join(f"{lang}: {store.document_count(lang)}" for lang in LANGUAGES)
    click.echo(f"Index {store.current_generation()} holds {store.document_count()} articles ({counts}).")


@index_cli.command("rebuild")
def index_rebuild():
    """Build the whole search index anew; readers switch over when it is complete."""
    tree = _load_tree()
    started = time.perf_counter()
    try:
        _store().rebuild(tree.published)
    except IndexBusy as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Indexed {len(tree.published)} published articles in {time.perf_counter() - started:.2f} s.")
    _print_counts(_store())


@index_cli.command("update")
def index_update():
    """Re-index only changed, added or deleted articles; build the index if it is missing or stale."""
    tree = _load_tree()
    try:
        report = _store().sync(tree.published)
    except IndexBusy as exc:
        raise click.ClickException(str(exc)) from exc
    if report.rebuilt:
        click.echo(f"Index was missing or stale: rebuilt with {report.added} articles.")
    elif report.changed:
        click.echo(f"Index updated: {report.added} added, {report.updated} changed, {report.deleted} removed.")
    else:
        click.echo("Index is up to date.")
    _print_counts(_store())


@uploads_cli.command("import-files")
def uploads_import_files():
    """Move this node's upload files from before revision 0020 into the database and delete them; run once on
    every node after upgrading (safe to repeat). Until then those uploads are served only by the node holding them."""
    from app.core.uploads import import_legacy_files
    from app.records import stored_upload_tables

    for folder, model in stored_upload_tables():
        report = import_legacy_files(folder, model)
        click.echo(f"{folder}: {report.summary()}")
