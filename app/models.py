"""Every table of the app, imported in one place so migrations see them all."""
from app.insights.models import ArticleViewDay, ArticleVote, SearchLog  # noqa: F401
