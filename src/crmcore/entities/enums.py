"""The closed vocabularies of the entities.

Every enumeration is a ``str`` enum: its members compare equal to, and
serialise as, their lower-case values (``CustomerKind.INDIVIDUAL == "individual"``).
An unknown value is refused with a message that lists the allowed ones.
"""

from __future__ import annotations

from crmcore._model import Vocabulary

__all__ = [
    "Channel",
    "ChurnReason",
    "ChurnSide",
    "CompetitorAttitude",
    "ComplaintCategory",
    "ComplaintStatus",
    "ContactFunction",
    "CustomerKind",
    "Direction",
    "InformationSource",
    "PurchaseStage",
    "RecoveryAction",
    "RelationshipLevel",
    "Severity",
    "TransactionKind",
]


class CustomerKind(Vocabulary):
    """Whether a customer is a person or an organisation."""

    INDIVIDUAL = "individual"
    ORGANIZATION = "organization"


class RelationshipLevel(Vocabulary):
    """How close the relationship is (passer-by 过客 → confidant 知己).

    Of 100 contacts roughly 50 become acquaintances, 10 friends and 3 to 5
    confidants. Members are ordered: ``rank`` is 0 for a passer-by and 3 for
    a confidant.

    Examples:
        >>> RelationshipLevel.FRIEND.rank > RelationshipLevel.ACQUAINTANCE.rank
        True
    """

    PASSERBY = "passerby"
    ACQUAINTANCE = "acquaintance"
    FRIEND = "friend"
    CONFIDANT = "confidant"

    @property
    def rank(self) -> int:
        """Position on the ladder, 0 (passer-by) to 3 (confidant)."""
        return list(RelationshipLevel).index(self)


class TransactionKind(Vocabulary):
    """A purchase, or a refund of (part of) an earlier purchase."""

    PURCHASE = "purchase"
    REFUND = "refund"


class PurchaseStage(Vocabulary):
    """When, relative to buying, a care contact happens."""

    PRE_PURCHASE = "pre_purchase"
    PURCHASE = "purchase"
    POST_PURCHASE = "post_purchase"


class Channel(Vocabulary):
    """The medium of a care contact."""

    VISIT = "visit"
    EVENT = "event"
    LETTER = "letter"
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    WEB = "web"
    CALL_CENTER = "call_center"
    ADVERTISING = "advertising"
    PUBLIC_RELATIONS = "public_relations"
    PACKAGING = "packaging"
    SOCIAL = "social"


class InformationSource(Vocabulary):
    """Where the firm got a customer's information: the direct and indirect channels.

    Direct channels are the firm's own contacts with the customer; indirect
    ones are third parties (``direct`` tells which) [003 ch.5].

    Examples:
        >>> InformationSource.COMPLAINT.direct, InformationSource.DATA_VENDOR.direct
        (True, False)
    """

    SURVEY = "survey"
    """Direct: a survey (调查)."""
    MARKETING = "marketing"
    """Direct: a marketing activity (营销活动)."""
    SERVICE = "service"
    """Direct: the course of service (服务过程)."""
    POINT_OF_SALE = "point_of_sale"
    """Direct: the point of sale (销售终端)."""
    TRADE_FAIR = "trade_fair"
    """Direct: a fair, exhibition or trade meeting (博览会、展销会、洽谈会)."""
    WEB_OR_CALL_CENTER = "web_or_call_center"
    """Direct: the website or the call centre (网站和呼叫中心)."""
    COMPLAINT = "complaint"
    """Direct: a complaint (客户投诉)."""
    MEDIA = "media"
    """Indirect: the media (各种媒介)."""
    AUTHORITIES = "authorities"
    """Indirect: business registration authorities, missions abroad (工商行政管理部门及驻外机构)."""
    FINANCIAL_INSTITUTION = "financial_institution"
    """Indirect: banks and other financial institutions (金融机构)."""
    RESEARCH_FIRM = "research_firm"
    """Indirect: consultancies and market research firms (咨询公司及市场研究公司)."""
    DATA_VENDOR = "data_vendor"
    """Indirect: a database rented or bought from another firm (租用或购买)."""
    OTHER_INDIRECT = "other_indirect"
    """Indirect: another third party (其他渠道)."""

    @property
    def direct(self) -> bool:
        """True for the firm's own channels, False for third parties."""
        return self in _DIRECT_SOURCES


_DIRECT_SOURCES = frozenset(
    {
        InformationSource.SURVEY,
        InformationSource.MARKETING,
        InformationSource.SERVICE,
        InformationSource.POINT_OF_SALE,
        InformationSource.TRADE_FAIR,
        InformationSource.WEB_OR_CALL_CENTER,
        InformationSource.COMPLAINT,
    }
)


class ContactFunction(Vocabulary):
    """What a contact is for: the five functions of customer contact."""

    CARE = "care"
    INFORMATION = "information"
    TRANSACTION = "transaction"
    SERVICE = "service"
    INTELLIGENCE = "intelligence"


class Direction(Vocabulary):
    """Who started the contact: the customer (inbound) or the firm (outbound)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CompetitorAttitude(Vocabulary):
    """The customer's attitude to competing brands, from loyal to leaving."""

    REJECTS = "rejects"
    INDIFFERENT = "indifferent"
    INTERESTED = "interested"
    SWITCHING = "switching"


class ComplaintCategory(Vocabulary):
    """What a complaint is about."""

    PRODUCT_QUALITY = "product_quality"
    SERVICE = "service"
    PRICE = "price"
    DELIVERY = "delivery"
    STAFF = "staff"
    BILLING = "billing"
    OTHER = "other"


class Severity(Vocabulary):
    """How serious a complaint is, judged at its initial assessment."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ComplaintStatus(Vocabulary):
    """Where a complaint stands in its handling workflow."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    ASSESSED = "assessed"
    RESOLVING = "resolving"
    RESOLVED = "resolved"
    FOLLOWED_UP = "followed_up"
    CLOSED = "closed"
    REJECTED = "rejected"
    REOPENED = "reopened"


class RecoveryAction(Vocabulary):
    """The seven service-recovery measures taken to put a complaint right."""

    APOLOGY = "apology"
    """A sincere apology."""
    ASK_REMEDY = "ask_remedy"
    """Ask what remedy the customer wants and meet reasonable demands."""
    EXTRA_BENEFIT = "extra_benefit"
    """Give a benefit or an extra service."""
    ESCALATE_TO_MANAGER = "escalate_to_manager"
    """Let a manager handle it."""
    CORRECT_AT_ONCE = "correct_at_once"
    """Correct the fault at once."""
    EXTRA_CARE = "extra_care"
    """Care more than competitors would."""
    STAFF_ACCOUNTABILITY = "staff_accountability"
    """Deal with the responsible staff and tell the customer."""


class ChurnSide(Vocabulary):
    """Whose side a churn reason lies on."""

    FIRM = "firm"
    CUSTOMER = "customer"
    UNKNOWN = "unknown"


class ChurnReason(Vocabulary):
    """Why a customer stopped buying: reasons on the firm's side, on the customer's, or unknown.

    ``side`` tells which: the firm can act on its own reasons (win-back is worth
    trying), while customer-side reasons (relocation, changed needs) mostly
    cannot be treated.

    Examples:
        >>> ChurnReason.CARELESS_SERVICE.side
        <ChurnSide.FIRM: 'firm'>
        >>> ChurnReason.RELOCATION.side
        <ChurnSide.CUSTOMER: 'customer'>
    """

    DISSATISFACTION = "dissatisfaction"
    """Firm: the offer fell short of expectations."""
    LITTLE_LOYALTY_BENEFIT = "little_loyalty_benefit"
    """Firm: staying brought the customer little benefit."""
    LOW_SWITCHING_COST = "low_switching_cost"
    """Firm: nothing made switching costly."""
    WEAK_TRUST = "weak_trust"
    """Firm: trust or emotional ties were weak."""
    CARELESS_SERVICE = "careless_service"
    """Firm: service was careless or indifferent."""
    COMPLAINT_MISHANDLED = "complaint_mishandled"
    """Firm: a complaint was handled badly or late."""
    STAFF_DEPARTURE = "staff_departure"
    """Firm: a member of staff left and took the customer along."""
    WEAK_INFLUENCE = "weak_influence"
    """Firm: the firm's influence on the customer was weak (对客户的影响相对乏力)."""
    SOCIAL_CONDUCT = "social_conduct"
    """Firm: the firm's conduct in society put the customer off."""
    NEEDS_CHANGED = "needs_changed"
    """Customer: needs or habits changed."""
    VARIETY_SEEKING = "variety_seeking"
    """Customer: wished for variety."""
    RELOCATION = "relocation"
    """Customer: moved away."""
    GROWTH = "growth"
    """Customer: outgrew the offer."""
    DECLINE = "decline"
    """Customer: the customer's business or means declined (衰退)."""
    BANKRUPTCY = "bankruptcy"
    """Customer: went bankrupt (破产) — gone for good, not worth a win-back visit."""
    UNKNOWN = "unknown"
    """Not (yet) known: a hiatus or a low probability alive shows churn, not its cause."""

    @property
    def side(self) -> ChurnSide:
        """The side the reason lies on."""
        if self is ChurnReason.UNKNOWN:
            return ChurnSide.UNKNOWN
        return ChurnSide.CUSTOMER if self in _CUSTOMER_SIDE else ChurnSide.FIRM


_CUSTOMER_SIDE = frozenset(
    {
        ChurnReason.NEEDS_CHANGED,
        ChurnReason.VARIETY_SEEKING,
        ChurnReason.RELOCATION,
        ChurnReason.GROWTH,
        ChurnReason.DECLINE,
        ChurnReason.BANKRUPTCY,
    }
)
