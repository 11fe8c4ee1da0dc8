"""Demo gatherings: the meetings the network's public history describes (shared/seeds), with
their places, dates, organizers and themes; the texts are ours. One clearly marked sample
gathering in the future lets a demonstration register.

Where the history gives only a month (Erbil, October 2011; Baghdad, September 2013), the days
chosen are placeholders and the text says only the month. Idempotent: gatherings are found by
slug and only missing ones are created.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytz
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Campaign,
    Gathering,
    GatheringCampaign,
    GatheringOrganization,
    GatheringRole,
    GatheringSession,
    GatheringSessionTranslation,
    GatheringStatus,
    GatheringTranslation,
    Organization,
    RegistrationKind,
    RegistrationType,
)
from app.models.base import utcnow

ALL_CAMPAIGNS = (
    "save-the-tigris",
    "freedom-of-expression",
    "workers-rights",
    "womens-rights",
    "sports-against-violence",
    "stop-private-military-and-security-companies",
)


def _at(zone: str, year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return pytz.timezone(zone).localize(datetime(year, month, day, hour, minute)).astimezone(pytz.UTC)


# The programme's session titles in Arabic (by their English title): our own short wording.
SESSION_TITLES_AR = {
    "Social evening with the Iraqi community in Norway": "أمسية اجتماعية مع الجالية العراقية في النرويج",
    "The situation in Iraq: an open discussion": "الوضع في العراق: نقاش مفتوح",
    "Dialogue and reconciliation: what civil society can do": (
        "الحوار والمصالحة: ما الذي يستطيع المجتمع المدني فعله"
    ),
    "The campaigns led by Iraqi organizations": "الحملات التي تقودها المنظمات العراقية",
    "The ICSSI and the Iraqi Social Forum: structure and work plan": (
        "مبادرة التضامن مع المجتمع المدني العراقي والمنتدى الاجتماعي العراقي: الهيكل وخطة العمل"
    ),
}

GATHERINGS = [
    {
        "slug": "icssi-founding-conference-italy-2009",
        "title": "The conference in Italy where the ICSSI began (2009)",
        "description": (
            "In 2009 a conference in Italy brought together 38 Iraqi representatives — human "
            "rights and cultural associations, women's groups, youth and student groups, NGOs, "
            "labour unions and media — with 20 representatives of international NGOs and social "
            "movements. The Iraqi Civil Society Solidarity Initiative grew out of it."
        ),
        "zone": "Europe/Rome",
        "starts": (2009, 6, 1, 9),
        "ends": (2009, 6, 2, 18),
        "city": "",
        "country": "IT",
        "organizers": [],
        "supporters": [],
        "campaigns": [],
        "outcome": (
            "The participants agreed to build concrete links between Iraqi and international civil "
            "society through joint projects for human rights and social justice: the start of the "
            "ICSSI. (The history records the year and the country; the days shown are placeholders.)"
        ),
    },
    {
        "slug": "icssi-third-conference-erbil-2011",
        "title": "Third ICSSI conference, Erbil (October 2011)",
        "description": (
            "The third conference of the Iraqi Civil Society Solidarity Initiative, held in Erbil in "
            "October 2011, put peace and human rights at the centre. About 250 activists took part: "
            "150 from Iraq and 100 from abroad (Turkey, Jordan, Italy, Spain, the USA, Canada, "
            "Germany, the UK, Australia, Norway, Sweden, the Netherlands and France).\n\n"
            "It looked at the situation in Iraq, at what civil society and social movements can do "
            "for social justice and democracy, at the challenges Iraqi groups face and at new "
            "projects to answer them together with international partners."
        ),
        "zone": "Asia/Baghdad",
        "starts": (2011, 10, 1, 9),
        "ends": (2011, 10, 3, 17),
        "city": "Erbil",
        "country": "IQ",
        "organizers": ["icssi"],
        "supporters": [],
        "campaigns": [],
        "outcome": (
            "The conference gave international participants a direct window on Iraqi civil society "
            "and raised the idea of an **Iraqi Social Forum**: a platform for solidarity campaigns "
            "and cooperation projects with international partners. The forum met in Baghdad two "
            "years later."
        ),
        "translations": {
            "ar": {
                "title": "المؤتمر الثالث لمبادرة التضامن مع المجتمع المدني العراقي، أربيل (تشرين الأول 2011)"
            },
            "fr": {"title": "Troisième conférence de l'ICSSI, Erbil (octobre 2011)"},
        },
    },
    {
        "slug": "iraqi-social-forum-baghdad-2013",
        "title": "Iraqi Social Forum, Baghdad (September 2013)",
        "description": (
            "In September 2013 Iraqi civil society movements came together in the Iraqi Social "
            "Forum to put forward just alternatives to war and violence, visions of a lasting peace "
            "and of the country's reconstruction. More than 3,000 Iraqis — most of them young "
            "people, human rights and women activists and trade unionists — and an international "
            "solidarity delegation took part in three days of activities in Baghdad."
        ),
        "zone": "Asia/Baghdad",
        "starts": (2013, 9, 26, 9),
        "ends": (2013, 9, 28, 18),
        "city": "Baghdad",
        "country": "IQ",
        "organizers": ["iraqi-social-forum"],
        "supporters": [],
        "campaigns": list(ALL_CAMPAIGNS),
        "outcome": (
            "The forum featured the campaigns of Iraqi civil society for human rights and social "
            "justice: Save the Tigris, Freedom of Expression, Workers' Rights, Women's Rights, "
            "Sports Against Violence and Stop Private Military and Security Companies. (The history "
            "records the month; the days shown are placeholders.)"
        ),
        "translations": {
            "ar": {"title": "المنتدى الاجتماعي العراقي، بغداد (أيلول 2013)"},
            "ckb": {"title": "فۆرومی کۆمەڵایەتیی عێراق، بەغدا (ئەیلوولی ٢٠١٣)"},
            "fr": {"title": "Forum social irakien, Bagdad (septembre 2013)"},
        },
    },
    {
        "slug": "icssi-conference-oslo-2014",
        "title": "ICSSI Conference 2014, Oslo",
        "description": (
            "Invited by the Norway Social Forum to its biennial gathering, and with the Karibu "
            "Foundation as partner, the ICSSI held its 2014 conference in Oslo. With Iraq in crisis, "
            "the themes were dialogue and reconciliation, peaceful coexistence, and international "
            "solidarity with Iraqi civil society. A delegation of 15 Iraqi activists, organized by "
            "the Iraqi Social Forum, took part.\n\n"
            "Participants also looked at the campaigns Iraqi organizations lead with the ICSSI's "
            "support, at the initiative's structure, links, communication, funding and "
            "sustainability, and at the Iraqi Social Forum's work plan."
        ),
        "logistics": (
            "A social evening on 27 October, late in the afternoon, connects the Iraqi delegation "
            "with the Iraqi community in Norway and with Norwegian and international organizations. "
            "Conference sessions follow on 28 and 29 October, just before the Globalization "
            "Conference."
        ),
        "visa_notice": (
            "The ICSSI cannot help participants with the visa process with the Norwegian "
            "authorities. You may need a Schengen visa to enter Norway."
        ),
        "zone": "Europe/Oslo",
        "starts": (2014, 10, 27, 16),
        "ends": (2014, 10, 29, 18),
        "city": "Oslo",
        "country": "NO",
        "organizers": ["icssi", "iraqi-social-forum"],
        "supporters": [
            "norway-social-forum",
            "karibu-foundation",
            "fondation-assistance-internationale",
            "un-ponte-per",
        ],
        "campaigns": list(ALL_CAMPAIGNS),
        "sessions": [
            (
                "Social evening with the Iraqi community in Norway",
                (2014, 10, 27, 16),
                (2014, 10, 27, 20),
                "",
                "ar",
                "en",
            ),
            (
                "The situation in Iraq: an open discussion",
                (2014, 10, 28, 9),
                (2014, 10, 28, 12),
                "",
                "ar",
                "en",
            ),
            (
                "Dialogue and reconciliation: what civil society can do",
                (2014, 10, 28, 13),
                (2014, 10, 28, 17),
                "",
                "ar",
                "en",
            ),
            (
                "The campaigns led by Iraqi organizations",
                (2014, 10, 29, 9),
                (2014, 10, 29, 12),
                "",
                "en",
                "ar",
            ),
            (
                "The ICSSI and the Iraqi Social Forum: structure and work plan",
                (2014, 10, 29, 13),
                (2014, 10, 29, 18),
                "",
                "en",
                "ar",
            ),
        ],
        "outcome": (
            "Participants discussed how to follow up on the Globalization Conference and keep "
            "working with the Norway Social Forum, and how international members can support Iraqi "
            "civil society in rebuilding a political system open to every citizen."
        ),
        "translations": {
            "ar": {"title": "مؤتمر مبادرة التضامن مع المجتمع المدني العراقي 2014، أوسلو"},
            "fr": {"title": "Conférence 2014 de l'ICSSI, Oslo"},
        },
    },
    {
        "slug": "hope-for-peace-globalization-conference-oslo-2014",
        "title": "Hope for Peace and Development in Iraq: Meet the Iraqi Social Forum",
        "description": (
            "A session on Iraq organized by the Iraqi delegation at the Globalization Conference "
            "(Globaliseringskonferansen), the Norwegian part of the World Social Forum process, held "
            "at the Oslo Congress Centre (Folkets Hus) from 30 October to 2 November 2014. Iraqi "
            "activists share how, more than eleven years after the invasion, Iraqis still struggle "
            "to overcome the effects of war and the sectarian conflicts born under the occupation."
        ),
        "zone": "Europe/Oslo",
        "starts": (2014, 10, 31, 10),
        "ends": (2014, 10, 31, 12),
        "city": "Oslo",
        "country": "NO",
        "venue": "Oslo Congress Centre (Folkets Hus)",
        "organizers": ["iraqi-social-forum"],
        "supporters": ["norway-social-forum"],
        "campaigns": list(ALL_CAMPAIGNS),
        "outcome": "",
    },
    {
        "slug": "sample-save-the-tigris-local-forum",
        "title": "Sample gathering — Save the Tigris local forum, Basra",
        "description": (
            "A sample gathering for demonstrations: a local forum of the Save the Tigris campaign. "
            "Register your organization to try the waiting list."
        ),
        "zone": "Asia/Baghdad",
        "future_days": 45,
        "city": "Basra",
        "country": "IQ",
        "venue": "",
        "organizers": ["iraqi-social-forum"],
        "supporters": ["basra-women-solidarity-network"],
        "campaigns": ["save-the-tigris"],
        "outcome": "",
        "types": [
            (RegistrationKind.DELEGATE, 20, False),
            (RegistrationKind.OBSERVER, 10, False),
            (RegistrationKind.SPEAKER, 4, True),
        ],
    },
]


def load() -> int:
    """Create the missing demo gatherings (published); returns how many. The caller commits."""
    existing = set(db.session.scalars(sa.select(Gathering.slug)))
    organizations = {o.slug: o.id for o in db.session.execute(sa.select(Organization.slug, Organization.id))}
    campaigns = {c.slug: c.id for c in db.session.execute(sa.select(Campaign.slug, Campaign.id))}
    created = 0
    for spec in GATHERINGS:
        if spec["slug"] in existing:
            continue
        zone = spec["zone"]
        if "future_days" in spec:
            local = datetime.now(pytz.timezone(zone)).replace(hour=9, minute=0, second=0, microsecond=0)
            starts = (local + timedelta(days=spec["future_days"])).astimezone(pytz.UTC)
            ends = starts + timedelta(hours=8)
        else:
            starts, ends = _at(zone, *spec["starts"]), _at(zone, *spec["ends"])
        gathering = Gathering(
            slug=spec["slug"],
            title=spec["title"],
            description=spec["description"],
            logistics=spec.get("logistics", ""),
            visa_notice=spec.get("visa_notice", ""),
            outcome=spec.get("outcome", ""),
            starts_at=starts,
            ends_at=ends,
            time_zone=zone,
            city=spec["city"],
            country=spec["country"],
            venue=spec.get("venue", ""),
            status=GatheringStatus.PUBLISHED,
            published_at=utcnow(),
        )
        db.session.add(gathering)
        db.session.flush()
        for role, slugs in (
            (GatheringRole.ORGANIZER, spec["organizers"]),
            (GatheringRole.SUPPORTER, spec["supporters"]),
        ):
            for slug in slugs:
                if slug in organizations:
                    db.session.add(
                        GatheringOrganization(
                            gathering_id=gathering.id, organization_id=organizations[slug], role=role
                        )
                    )
        for slug in spec["campaigns"]:
            if slug in campaigns:
                db.session.add(GatheringCampaign(gathering_id=gathering.id, campaign_id=campaigns[slug]))
        for title, start, end, room, language, interpretation in spec.get("sessions", []):
            translations = []
            if title in SESSION_TITLES_AR:
                translations.append(GatheringSessionTranslation(locale="ar", title=SESSION_TITLES_AR[title]))
            db.session.add(
                GatheringSession(
                    gathering_id=gathering.id,
                    title=title,
                    starts_at=_at(zone, *start),
                    ends_at=_at(zone, *end),
                    room=room,
                    language=language,
                    interpretation=interpretation,
                    translations=translations,
                )
            )
        for kind, capacity, approval in spec.get("types", []):
            db.session.add(
                RegistrationType(
                    gathering_id=gathering.id, kind=kind, capacity=capacity, requires_approval=approval
                )
            )
        for locale, texts in spec.get("translations", {}).items():
            db.session.add(GatheringTranslation(gathering_id=gathering.id, locale=locale, **texts))
        created += 1
    db.session.flush()
    return created
