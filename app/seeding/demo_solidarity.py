"""Demo solidarity in practice: what organizations offer and need, a co-sponsored project, and
two joint statements (one open for signing, one past its deadline and frozen), so that a
demonstration shows these pages with something on them.

The statements are written in our words after the themes of the network's public history
(shared/seeds): the Tigris and its marshes, and journalists' freedom to report. Idempotent: each
kind of record is added only while the demo has none of it.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Campaign,
    CosponsorStatus,
    JointStatement,
    Offer,
    OfferCategory,
    OfferDirection,
    OfferVisibility,
    Organization,
    Project,
    ProjectCosponsor,
    StatementSignature,
    StatementText,
)
from app.models.base import utcnow

D, C, V = OfferDirection, OfferCategory, OfferVisibility

# organization slug, direction, category, visibility, campaign slug (None: the whole profile), text
OFFERS = [
    ("un-ponte-per", D.OFFER, C.TECHNICAL, V.PUBLIC, None,
     "Water-quality test kits, and training in using them."),
    ("un-ponte-per", D.OFFER, C.FUNDING, V.MEMBERS, "save-the-tigris",
     "Small grants for river-bank clean-ups."),
    ("barcelona-water-justice", D.OFFER, C.LEGAL, V.PUBLIC, None,
     "Lawyers who know international water law."),
    ("berlin-union-solidarity", D.OFFER, C.TRAINING, V.PUBLIC, None,
     "Trainers in organizing and collective bargaining."),
    ("jamiyat-shabab-dijla", D.NEED, C.TECHNICAL, V.PUBLIC, "save-the-tigris",
     "Equipment and training to measure the river's water quality."),
    ("jamiyat-shabab-dijla", D.NEED, C.LEGAL, V.PUBLIC, None,
     "Advice on the water rights of river communities."),
    ("mosul-free-voices", D.NEED, C.LEGAL, V.MEMBERS, None,
     "Lawyers for reporters who face charges for their work."),
    ("southern-oil-workers-committee", D.NEED, C.TRAINING, V.PUBLIC, None,
     "Training in health and safety at work."),
]  # fmt: skip

# project slug, co-sponsoring organization slug, status
COSPONSORS = [
    ("tigris-river-walk", "un-ponte-per", CosponsorStatus.ACCEPTED),
    ("marshes-water-monitoring", "barcelona-water-justice", CosponsorStatus.INVITED),
]

# campaign slug, days from now to the deadline (negative: past and frozen), whether counted-only
# signatures are allowed, texts by language, signatures (organization slug, named)
STATEMENTS = [
    {
        "campaign": "save-the-tigris",
        "deadline_days": 45,
        "allow_counted": True,
        "texts": {
            "en": (
                "The Tigris must keep flowing",
                "We, organizations of Iraq and their friends abroad, ask every government on the "
                "Tigris to share its water fairly, to publish the plans of every dam before it is "
                "built, and to hear the people of the marshes and the river towns first.\n\n"
                "A river is not a border. Its water belongs to the people who live from it.",
            ),
            "ar": (
                "يجب أن يبقى دجلة جاريًا",
                "نحن، منظمات عراقية وأصدقاؤها في الخارج، نطالب كل حكومة على نهر دجلة بتقاسم مياهه "
                "بعدل، وبنشر خطط كل سدّ قبل بنائه، وبالاستماع أولًا إلى أهل الأهوار ومدن النهر.\n\n"
                "النهر ليس حدودًا. ماؤه لمن يعيشون منه.",
            ),
        },
        "signatures": [
            ("icssi", True),
            ("un-ponte-per", True),
            ("jamiyat-shabab-dijla", True),
            ("southern-oil-workers-committee", False),
        ],
    },
    {
        "campaign": "freedom-of-expression",
        "deadline_days": -120,
        "allow_counted": True,
        "texts": {
            "en": (
                "Reporting is not a crime",
                "We stand with the journalists of Iraq who were threatened, arrested or beaten for "
                "their work. We ask that the charges against them be dropped and that those who "
                "attacked them be brought to justice.",
            ),
            "ar": (
                "الصحافة ليست جريمة",
                "نقف مع صحفيي العراق الذين هُدّدوا أو اعتُقلوا أو ضُربوا بسبب عملهم. نطالب بإسقاط "
                "التهم الموجّهة إليهم وبمحاسبة من اعتدى عليهم.",
            ),
        },
        "signatures": [
            ("icssi", True),
            ("mosul-free-voices", True),
            ("erbil-cultural-house", True),
            ("un-ponte-per", False),
        ],
    },
]


def load() -> dict[str, int]:
    """Create the missing demo records; returns how many of each. The caller commits."""
    organizations = dict(db.session.execute(sa.select(Organization.slug, Organization.id)).tuples().all())
    campaigns = dict(db.session.execute(sa.select(Campaign.slug, Campaign.id)).tuples().all())
    projects = dict(db.session.execute(sa.select(Project.slug, Project.id)).tuples().all())
    created = {"offers": 0, "cosponsors": 0, "statements": 0}

    if not db.session.scalar(sa.select(sa.exists().where(Offer.id.is_not(None)))):
        for org, direction, category, visibility, campaign, text in OFFERS:
            if org not in organizations or (campaign and campaign not in campaigns):
                continue
            db.session.add(
                Offer(
                    organization_id=organizations[org],
                    campaign_id=campaigns[campaign] if campaign else None,
                    direction=direction,
                    category=category,
                    visibility=visibility,
                    text=text,
                )
            )
            created["offers"] += 1

    if not db.session.scalar(sa.select(sa.exists().where(ProjectCosponsor.project_id.is_not(None)))):
        for project, org, status in COSPONSORS:
            if project not in projects or org not in organizations:
                continue
            db.session.add(
                ProjectCosponsor(
                    project_id=projects[project],
                    organization_id=organizations[org],
                    status=status,
                    decided_at=utcnow() if status is CosponsorStatus.ACCEPTED else None,
                )
            )
            created["cosponsors"] += 1

    if not db.session.scalar(sa.select(sa.exists().where(JointStatement.id.is_not(None)))):
        for spec in STATEMENTS:
            if spec["campaign"] not in campaigns:
                continue
            deadline = utcnow() + timedelta(days=spec["deadline_days"])
            statement = JointStatement(
                campaign_id=campaigns[spec["campaign"]],
                deadline=deadline,
                allow_counted=spec["allow_counted"],
                created_at=deadline - timedelta(days=60),
            )
            db.session.add(statement)
            db.session.flush()
            for locale, (title, body) in spec["texts"].items():
                db.session.add(
                    StatementText(statement_id=statement.id, version=1, locale=locale, title=title, body=body)
                )
            for position, (org, named) in enumerate(spec["signatures"], start=1):
                if org in organizations:
                    db.session.add(
                        StatementSignature(
                            statement_id=statement.id,
                            organization_id=organizations[org],
                            named=named,
                            version=1,
                            created_at=statement.created_at + timedelta(days=position),
                        )
                    )
            created["statements"] += 1
    db.session.flush()
    return created
