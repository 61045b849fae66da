"""Every table of the app, imported in one place so migrations see them all."""
from app.insights.models import ArticleViewDay, ArticleVote, SearchLog  # noqa: F401
from app.accounts.models import RecoveryCode, SsoTokenUse, User  # noqa: F401
from app.audit.models import AuditEvent  # noqa: F401
from app.shop.models import Address, Customer, Order, OrderItem, Shipment, ShipmentEvent  # noqa: F401
from app.cases.models import AgentPresence, Case, CaseAttachment, CaseSequence, ContactDeflection  # noqa: F401
from app.outbox.models import OutboxMessage  # noqa: F401
from app.returns.models import (ProductVariant, ReturnEvent, ReturnItem, ReturnPhoto, ReturnRequest,  # noqa: F401
                                ReturnSequence)
from app.withdrawal.models import Withdrawal, WithdrawalSequence  # noqa: F401
from app.articles.models import (ArticleImage, ArticleRecord, ArticleRevision, ContentCategory,  # noqa: F401
                                 ContentFile, ContentState)
from app.search.models import SearchPromotion, SynonymProposalDecision  # noqa: F401
from app.tracking.models import TrackingPoll  # noqa: F401
