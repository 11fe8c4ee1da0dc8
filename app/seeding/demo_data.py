"""Demo data: the six ISF campaigns, the organizations the network's history names, and
clearly marked sample members, pledges, projects and accounts, so every page has
something real to show.

Facts (names, places, years) come from the network's public history; the texts are ours.
Loading is idempotent: rows are found by slug or email and only missing ones are
created, so running it twice changes nothing and never overwrites a moderator's edits.
Demo accounts share one password, printed by the command: for demonstrations only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Campaign,
    CampaignCoordinator,
    CampaignStatus,
    CampaignTranslation,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Pledge,
    PledgeVisibility,
    Project,
    ProjectCampaign,
    ProjectStatus,
    Role,
    Update,
    UpdateText,
    User,
    Visibility,
)
from app.models.base import utcnow
from app.seeding import demo_gatherings, demo_solidarity
from app.services import counters, projects
from app.services.passwords import hash_password

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 — printed on purpose: demo accounts only
SAMPLE = "Sample organization — "

K = OrganizationKind
S = OrganizationStatus
P = PledgeVisibility
V = Visibility

CAMPAIGNS = [
    (
        "save-the-tigris",
        "Save the Tigris",
        "tigris",
        "Keep the Tigris and the marshes alive: water for people, not only for dams.",
        "The Tigris has carried life through Mesopotamia for thousands of years. Dams upstream, "
        "pollution and a changing climate now threaten the river, the Mesopotamian marshes and the "
        "people who live from them.\n\n"
        "The campaign brings together Iraqi and international civil society to:\n\n"
        "- defend a fair share of the river's water for everyone who lives along it;\n"
        "- protect the marshes and the heritage of the river towns;\n"
        "- make river communities heard when dams and water plans are decided.",
    ),
    (
        "freedom-of-expression",
        "Freedom of Expression",
        "saffron",
        "Journalists, bloggers and activists must be able to speak without fear.",
        "Iraqi journalists and activists have paid a heavy price for speaking out. The campaign "
        "documents threats and attacks, supports those who are targeted, and asks for laws that "
        "protect the right to speak, publish and demonstrate peacefully.",
    ),
    (
        "workers-rights",
        "Workers' Rights",
        "clay",
        "Free trade unions and decent work for every worker in Iraq.",
        "Trade unionists were among the first to join the Iraqi Social Forum. The campaign stands "
        "for the freedom to organize, a labour law that respects international standards, safe "
        "workplaces and fair pay, in the public and the private sector alike.",
    ),
    (
        "womens-rights",
        "Women's Rights",
        "rose",
        "Equal rights, protection from violence and a real voice for women.",
        "Women activists carry much of Iraqi civil society. The campaign works against violence "
        "towards women, for equality before the law, and for women's participation in every "
        "decision about peace and reconstruction.",
    ),
    (
        "sports-against-violence",
        "Sports Against Violence",
        "reed",
        "Bringing young people together across every divide through sport.",
        "Football matches, races and tournaments where young people from different communities "
        "play on the same team. The campaign uses sport to overcome the sectarian divisions that "
        "war and violence have left behind.",
    ),
    (
        "stop-private-military-and-security-companies",
        "Stop Private Military and Security Companies",
        "slate",
        "No impunity for private military and security companies.",
        "Private military and security contractors have operated in Iraq with little "
        "accountability. The campaign asks for binding rules, for justice for the victims of their "
        "abuses, and for security to be a public responsibility, under the law.",
    ),
]

# The campaigns in the network's other languages (title, summary, description); pages fall back
# to English for any language or field missing here.
CAMPAIGN_TRANSLATIONS = {
    "save-the-tigris": {
        "ar": (
            "أنقذوا دجلة",
            "لنُبقِ دجلة والأهوار على قيد الحياة: الماء للناس، لا للسدود وحدها.",
            "حمل نهر دجلة الحياة إلى بلاد الرافدين منذ آلاف السنين. واليوم تهدّد السدود في أعالي "
            "النهر والتلوّث وتغيّر المناخ النهرَ والأهوارَ والناسَ الذين يعيشون منها.\n\n"
            "تجمع الحملة المجتمع المدني العراقي والدولي للدفاع عن حصة عادلة من مياه النهر، "
            "وحماية الأهوار وتراث مدن النهر، وإسماع صوت المجتمعات النهرية حين تُقرَّر السدود وخطط المياه.",
        ),
        "ckb": (
            "دیجلە ڕزگار بکەن",
            "با دیجلە و هۆرەکان زیندوو بمێننەوە: ئاو بۆ خەڵک، نەک تەنها بۆ بەنداوەکان.",
            "دیجلە بە هەزاران ساڵە ژیان بە میزۆپۆتامیادا دەبات. ئەمڕۆ بەنداوەکانی سەرووی ڕووبار، "
            "پیسبوون و گۆڕانی کەشوهەوا هەڕەشە لە ڕووبار و هۆرەکان و ئەو خەڵکە دەکەن کە لەسەری دەژین.\n\n"
            "کەمپەینەکە کۆمەڵگەی مەدەنیی عێراقی و نێودەوڵەتی کۆدەکاتەوە بۆ بەرگری لە بەشێکی دادپەروەرانە "
            "لە ئاوی ڕووبار، پاراستنی هۆرەکان و گەیاندنی دەنگی خەڵکی کەناری ڕووبار.",
        ),
        "fr": (
            "Sauvons le Tigre",
            "Garder en vie le Tigre et les marais : l'eau pour les gens, pas seulement pour les barrages.",
            "Depuis des millénaires, le Tigre porte la vie en Mésopotamie. Les barrages en amont, la "
            "pollution et le changement climatique menacent aujourd'hui le fleuve, les marais et ceux "
            "qui en vivent.\n\n"
            "La campagne rassemble la société civile irakienne et internationale pour défendre un partage "
            "équitable de l'eau, protéger les marais et faire entendre les riverains.",
        ),
    },
    "freedom-of-expression": {
        "ar": (
            "حرية التعبير",
            "يجب أن يتمكّن الصحفيون والمدوّنون والناشطون من الكلام دون خوف.",
            "تدافع الحملة عن حق كل عراقي وعراقية في التعبير والتظاهر السلمي والنشر، وتوثّق "
            "الاعتداءات على الصحفيين والناشطين وتطالب بمحاسبة مرتكبيها.",
        ),
        "ckb": (
            "ئازادیی ڕادەربڕین",
            "ڕۆژنامەنووسان، بلۆگەران و چالاکوانان دەبێت بێ ترس قسە بکەن.",
            "کەمپەینەکە بەرگری لە مافی هەموو هاووڵاتییەک دەکات بۆ ڕادەربڕین، خۆپیشاندانی ئاشتیانە و "
            "بڵاوکردنەوە، و دەستدرێژییەکان بۆ سەر ڕۆژنامەنووسان و چالاکوانان تۆمار دەکات.",
        ),
        "fr": (
            "Liberté d'expression",
            "Journalistes, blogueurs et militants doivent pouvoir parler sans crainte.",
            "La campagne défend le droit de chaque Irakienne et de chaque Irakien à s'exprimer, à "
            "manifester pacifiquement et à publier ; elle documente les attaques contre les journalistes "
            "et les militants et demande que leurs auteurs rendent des comptes.",
        ),
    },
    "workers-rights": {
        "ar": (
            "حقوق العمّال",
            "نقابات حرّة وعمل لائق لكل عامل في العراق.",
            "تدعم الحملة حق العمّال في التنظيم النقابي الحر، وقانون عمل عادلاً، وأجوراً وظروف عمل لائقة "
            "في النفط والموانئ والقطاع العام وسائر القطاعات.",
        ),
        "ckb": (
            "مافەکانی کرێکاران",
            "سەندیکای ئازاد و کاری شایستە بۆ هەموو کرێکارێک لە عێراق.",
            "کەمپەینەکە پشتگیری لە مافی کرێکاران دەکات بۆ ڕێکخستنی سەندیکایی ئازاد، یاسایەکی کاری "
            "دادپەروەر و کرێ و بارودۆخی کاری شایستە.",
        ),
        "fr": (
            "Droits des travailleurs",
            "Des syndicats libres et un travail décent pour chaque travailleur en Irak.",
            "La campagne soutient le droit des travailleurs à s'organiser librement, un code du travail "
            "juste, des salaires et des conditions de travail décents dans le pétrole, les ports, le "
            "secteur public et ailleurs.",
        ),
    },
    "womens-rights": {
        "ar": (
            "حقوق المرأة",
            "حقوق متساوية، وحماية من العنف، وصوت حقيقي للنساء.",
            "تعمل الحملة من أجل المساواة أمام القانون، والحماية من العنف الأسري، ومشاركة النساء "
            "الكاملة في الحياة العامة وصنع القرار.",
        ),
        "ckb": (
            "مافەکانی ئافرەتان",
            "مافی یەکسان، پاراستن لە توندوتیژی و دەنگێکی ڕاستەقینە بۆ ئافرەتان.",
            "کەمپەینەکە کار بۆ یەکسانی لەبەردەم یاسادا، پاراستن لە توندوتیژیی خێزانی و بەشداریی تەواوی "
            "ئافرەتان لە ژیانی گشتی و بڕیاردان دەکات.",
        ),
        "fr": (
            "Droits des femmes",
            "Des droits égaux, une protection contre la violence et une vraie voix pour les femmes.",
            "La campagne œuvre pour l'égalité devant la loi, la protection contre les violences "
            "domestiques et la pleine participation des femmes à la vie publique et aux décisions.",
        ),
    },
    "sports-against-violence": {
        "ar": (
            "الرياضة ضد العنف",
            "الرياضة تجمع الشباب متجاوزةً كل الانقسامات.",
            "تنظّم الحملة مباريات ودورات ومخيّمات رياضية تجمع شباباً من مختلف المدن والطوائف والقوميات، "
            "لأن من يلعب معاً يتعلّم أن يعيش معاً.",
        ),
        "ckb": (
            "وەرزش دژی توندوتیژی",
            "وەرزش گەنجان لە سەرووی هەموو دابەشبوونێکەوە کۆدەکاتەوە.",
            "کەمپەینەکە یاری و خولی وەرزشی ڕێکدەخات کە گەنجانی شار و پێکهاتە جیاوازەکان کۆدەکاتەوە، "
            "چونکە ئەوانەی پێکەوە یاری دەکەن فێر دەبن پێکەوە بژین.",
        ),
        "fr": (
            "Le sport contre la violence",
            "Le sport rassemble les jeunes par-delà toutes les divisions.",
            "La campagne organise des matchs, des tournois et des camps sportifs qui réunissent des "
            "jeunes de villes et de communautés différentes : jouer ensemble, c'est apprendre à vivre "
            "ensemble.",
        ),
    },
    "stop-private-military-and-security-companies": {
        "ar": (
            "أوقفوا الشركات العسكرية والأمنية الخاصة",
            "لا إفلات من العقاب للشركات العسكرية والأمنية الخاصة.",
            "تطالب الحملة بمحاسبة الشركات العسكرية والأمنية الخاصة على الانتهاكات التي ارتكبتها في "
            "العراق، وبقواعد دولية ملزمة تنظّم عملها.",
        ),
        "ckb": (
            "کۆمپانیا سەربازی و ئەمنییە تایبەتەکان ڕابگرن",
            "هیچ بێسزاییەک بۆ کۆمپانیا سەربازی و ئەمنییە تایبەتەکان نییە.",
            "کەمپەینەکە داوای لێپرسینەوە لە کۆمپانیا سەربازی و ئەمنییە تایبەتەکان دەکات بۆ ئەو "
            "پێشێلکارییانەی لە عێراق کردوویانە، و داوای یاسای نێودەوڵەتیی پابەندکەر دەکات.",
        ),
        "fr": (
            "Non aux sociétés militaires et de sécurité privées",
            "Pas d'impunité pour les sociétés militaires et de sécurité privées.",
            "La campagne demande que les sociétés militaires et de sécurité privées répondent des abus "
            "commis en Irak, et que des règles internationales contraignantes encadrent leur activité.",
        ),
    },
}

# slug, name, kind, country, city, founded, status, description (and optional extras)
ORGANIZATIONS: list[dict] = [
    dict(
        slug="icssi",
        name="Iraqi Civil Society Solidarity Initiative (ICSSI)",
        kind=K.SOCIAL_MOVEMENT,
        country="IQ",
        city="",
        founded_year=2009,
        description="An initiative that brings Iraqi and international civil society together "
        "through concrete actions, for another Iraq with peace and human rights for all. It grew "
        "out of a 2009 meeting in Italy of Iraqi associations, unions, women's and youth groups "
        "and international NGOs and social movements.",
    ),
    dict(
        slug="iraqi-social-forum",
        name="Iraqi Social Forum",
        kind=K.SOCIAL_MOVEMENT,
        country="IQ",
        city="Baghdad",
        founded_year=2013,
        description="Iraqi civil society movements joined forces in the Iraqi Social Forum in "
        "September 2013, with three days of activities in Baghdad, to propose just alternatives "
        "to war and violence. Its campaigns are the campaigns on this site.",
    ),
    dict(
        slug="un-ponte-per",
        name="Un ponte per",
        kind=K.INTERNATIONAL_NGO,
        country="IT",
        city="Rome",
        description="An Italian NGO working for solidarity with the peoples of Iraq and the "
        "region, and one of the founders of the ICSSI.",
    ),
    dict(
        slug="norway-social-forum",
        name="Norway Social Forum",
        kind=K.SOCIAL_MOVEMENT,
        country="NO",
        city="Oslo",
        description="The Norwegian part of the World Social Forum process, host of the "
        "Globalization Conference in Oslo.",
    ),
    dict(
        slug="karibu-foundation",
        name="Karibu Foundation",
        kind=K.FOUNDATION,
        country="NO",
        city="Oslo",
        description="A Norwegian foundation that supported the ICSSI conference held in Oslo in 2014.",
    ),
    dict(
        slug="fondation-assistance-internationale",
        name="Fondation Assistance Internationale",
        kind=K.FOUNDATION,
        country="CH",
        city="",
        description="A Swiss foundation that supported the ICSSI conference of 2014.",
    ),
    # Sample members, clearly marked, so that every page has something to show.
    dict(
        slug="basra-women-solidarity-network",
        name="Basra Women's Solidarity Network",
        kind=K.WOMENS_GROUP,
        country="IQ",
        city="Basra",
        founded_year=2006,
        sample="Women from Basra's neighbourhoods supporting each other: legal advice, literacy "
        "classes and campaigns against violence.",
        contact_email="basra-women@example.org",
        contact_email_visibility=V.PUBLIC,
        contact_phone="+964 770 000 0001",
        contact_phone_visibility=V.MEMBERS,
        contact_person="Demo Contact (members only)",
        contact_person_visibility=V.MEMBERS,
        address="Demo address, kept hidden",
        address_visibility=V.HIDDEN,
        facebook="https://facebook.com/example.basra.women",
        facebook_visibility=V.PUBLIC,
        telegram="@example_basra_women",
        telegram_visibility=V.MEMBERS,
    ),
    dict(
        slug="jamiyat-shabab-dijla",
        name="جمعية شباب دجلة",
        kind=K.YOUTH_GROUP,
        country="IQ",
        city="Baghdad",
        founded_year=2011,
        sample="Tigris Youth Association: young volunteers cleaning the river banks and "
        "organizing festivals along the Tigris.",
        contact_email="tigris-youth@example.org",
        contact_email_visibility=V.PUBLIC,
    ),
    dict(
        slug="multaqa-nisa-al-najaf",
        name="ملتقى نساء النجف",
        kind=K.WOMENS_GROUP,
        country="IQ",
        city="Najaf",
        sample="Najaf Women's Forum: discussion circles and legal aid for women.",
    ),
    dict(
        slug="mosul-free-voices",
        name="Mosul Free Voices",
        kind=K.MEDIA_OUTLET,
        country="IQ",
        city="Nineveh",
        founded_year=2017,
        sample="An independent local radio and web newsroom rebuilt after the war.",
    ),
    dict(
        slug="rabitat-al-sahafiyin-al-mustaqillin",
        name="رابطة الصحفيين المستقلين",
        kind=K.HUMAN_RIGHTS_ASSOCIATION,
        country="IQ",
        city="Sulaymaniyah",
        sample="League of Independent Journalists: monitoring attacks on the press.",
    ),
    dict(
        slug="southern-oil-workers-committee",
        name="Southern Oil Workers' Committee",
        kind=K.LABOUR_UNION,
        country="IQ",
        city="Basra",
        sample="Oil and port workers organizing for safe work and the right to form unions.",
    ),
    dict(
        slug="erbil-cultural-house",
        name="Erbil Cultural House",
        kind=K.CULTURAL_ASSOCIATION,
        country="IQ",
        city="Erbil",
        sample="Theatre, music and film evenings that bring Erbil's communities together.",
    ),
    dict(
        slug="karbala-football-for-peace",
        name="Karbala Football for Peace",
        kind=K.YOUTH_GROUP,
        country="IQ",
        city="Karbala",
        sample="Mixed youth teams and an annual tournament.",
    ),
    dict(
        slug="lyon-solidarity-iraq",
        name="Lyon Solidarity with Iraq",
        kind=K.SOCIAL_MOVEMENT,
        country="FR",
        city="Lyon",
        sample="Volunteers in Lyon organizing exchanges with Iraqi activists.",
    ),
    dict(
        slug="barcelona-water-justice",
        name="Barcelona Water Justice Network",
        kind=K.NGO,
        country="ES",
        city="Barcelona",
        sample="Campaigners for water as a common good, from the Mediterranean to Mesopotamia.",
    ),
    dict(
        slug="berlin-union-solidarity",
        name="Berlin Union Solidarity Group",
        kind=K.LABOUR_UNION,
        country="DE",
        city="Berlin",
        sample="Trade unionists twinning with Iraqi unions.",
    ),
    dict(
        slug="stockholm-women-for-peace",
        name="Stockholm Women for Peace",
        kind=K.WOMENS_GROUP,
        country="SE",
        city="Stockholm",
        sample="A women's peace group supporting Iraqi women activists.",
    ),
    dict(
        slug="toronto-peace-coalition",
        name="Toronto Peace Coalition",
        kind=K.INTERNATIONAL_NGO,
        country="CA",
        city="Toronto",
        sample="A coalition campaigning for accountability of private military contractors.",
    ),
    # A queue for moderators: these never appear on public pages.
    dict(
        slug="kirkuk-civic-dialogue",
        name="Kirkuk Civic Dialogue Group",
        kind=K.NGO,
        country="IQ",
        city="Kirkuk",
        status=S.PENDING,
        sample="Waiting for review: dialogue circles between Kirkuk's communities.",
    ),
    dict(
        slug="diyala-farmers-association",
        name="جمعية مزارعي ديالى",
        kind=K.NGO,
        country="IQ",
        city="Diyala",
        status=S.PENDING,
        sample="Waiting for review: Diyala Farmers' Association, on water shortages.",
    ),
    dict(
        slug="quick-profits-consulting",
        name="Quick Profits Consulting",
        kind=K.NGO,
        country="AE",
        city="Dubai",
        status=S.REJECTED,
        status_reason="A commercial consultancy, not a civil society organization.",
        sample="Rejected: a company, not a civil society organization.",
    ),
    dict(
        slug="anbar-youth-link",
        name="Anbar Youth Link",
        kind=K.YOUTH_GROUP,
        country="IQ",
        city="Anbar",
        status=S.SUSPENDED,
        status_reason="Suspended while complaints about its pledges are reviewed.",
        sample="Suspended: its pledges and projects are hidden.",
    ),
]

# organization slug, campaign slug, visibility, kinds, message
PLEDGES = [
    (
        "icssi",
        "save-the-tigris",
        P.PUBLIC,
        "advocacy expertise",
        "The river belongs to all who live from it.",
    ),
    ("icssi", "freedom-of-expression", P.PUBLIC, "advocacy", ""),
    ("icssi", "workers-rights", P.PUBLIC, "advocacy", ""),
    ("icssi", "womens-rights", P.PUBLIC, "advocacy", ""),
    ("icssi", "sports-against-violence", P.PUBLIC, "endorsement", ""),
    ("icssi", "stop-private-military-and-security-companies", P.PUBLIC, "advocacy", ""),
    ("iraqi-social-forum", "save-the-tigris", P.PUBLIC, "endorsement hosting_events", ""),
    ("iraqi-social-forum", "workers-rights", P.PUBLIC, "hosting_events", ""),
    ("iraqi-social-forum", "womens-rights", P.PUBLIC, "hosting_events", ""),
    ("un-ponte-per", "save-the-tigris", P.PUBLIC, "advocacy funding expertise", "With the river towns."),
    ("un-ponte-per", "freedom-of-expression", P.PUBLIC, "advocacy", ""),
    ("un-ponte-per", "stop-private-military-and-security-companies", P.PUBLIC, "advocacy", ""),
    ("norway-social-forum", "workers-rights", P.PUBLIC, "hosting_events", "See you in Oslo."),
    ("norway-social-forum", "sports-against-violence", P.PUBLIC, "endorsement", ""),
    ("karibu-foundation", "womens-rights", P.COUNTED, "funding", ""),
    ("fondation-assistance-internationale", "save-the-tigris", P.COUNTED, "funding", ""),
    ("basra-women-solidarity-network", "womens-rights", P.PUBLIC, "volunteers advocacy", "No more silence."),
    ("basra-women-solidarity-network", "save-the-tigris", P.MEMBERS, "volunteers", ""),
    ("jamiyat-shabab-dijla", "save-the-tigris", P.PUBLIC, "volunteers", "نحن مع دجلة."),
    ("jamiyat-shabab-dijla", "sports-against-violence", P.PUBLIC, "volunteers hosting_events", ""),
    ("multaqa-nisa-al-najaf", "womens-rights", P.MEMBERS, "advocacy", ""),
    ("mosul-free-voices", "freedom-of-expression", P.PUBLIC, "expertise", "Reporting is not a crime."),
    ("rabitat-al-sahafiyin-al-mustaqillin", "freedom-of-expression", P.MEMBERS, "expertise advocacy", ""),
    ("southern-oil-workers-committee", "workers-rights", P.PUBLIC, "volunteers advocacy", ""),
    ("southern-oil-workers-committee", "save-the-tigris", P.COUNTED, "endorsement", ""),
    ("erbil-cultural-house", "freedom-of-expression", P.PUBLIC, "hosting_events", ""),
    (
        "karbala-football-for-peace",
        "sports-against-violence",
        P.PUBLIC,
        "volunteers",
        "Same team, same city.",
    ),
    ("lyon-solidarity-iraq", "womens-rights", P.PUBLIC, "advocacy", ""),
    ("lyon-solidarity-iraq", "stop-private-military-and-security-companies", P.MEMBERS, "advocacy", ""),
    ("barcelona-water-justice", "save-the-tigris", P.PUBLIC, "expertise", ""),
    ("berlin-union-solidarity", "workers-rights", P.PUBLIC, "funding advocacy", "Solidarity forever."),
    ("stockholm-women-for-peace", "womens-rights", P.PUBLIC, "funding", ""),
    ("toronto-peace-coalition", "stop-private-military-and-security-companies", P.PUBLIC, "advocacy", ""),
    ("anbar-youth-link", "sports-against-violence", P.PUBLIC, "volunteers", ""),
    ("kirkuk-civic-dialogue", "womens-rights", P.PUBLIC, "endorsement", ""),
]

# slug, organization slug, title, campaign slugs, status, place, summary
PROJECTS = [
    (
        "tigris-river-walk",
        "jamiyat-shabab-dijla",
        "Tigris River Walk",
        ["save-the-tigris"],
        ProjectStatus.RUNNING,
        "Baghdad",
        "Volunteers walk the river banks each spring, collecting rubbish and talking with fishermen.",
    ),
    (
        "marshes-water-monitoring",
        "un-ponte-per",
        "Marshes water monitoring",
        ["save-the-tigris"],
        ProjectStatus.RUNNING,
        "Dhi Qar",
        "Training local volunteers to measure water quality in the marshes and publish the results.",
    ),
    (
        "safe-newsrooms",
        "mosul-free-voices",
        "Safe newsrooms",
        ["freedom-of-expression"],
        ProjectStatus.PLANNED,
        "Mosul",
        "Digital and physical safety training for young reporters.",
    ),
    (
        "legal-aid-desk",
        "basra-women-solidarity-network",
        "Legal aid desk",
        ["womens-rights"],
        ProjectStatus.RUNNING,
        "Basra",
        "Free legal advice for women, two days a week.",
    ),
    (
        "peace-cup",
        "karbala-football-for-peace",
        "Peace Cup",
        ["sports-against-violence"],
        ProjectStatus.FINISHED,
        "Karbala",
        "A youth tournament where every team mixes players from different communities.",
    ),
    (
        "union-twinning",
        "berlin-union-solidarity",
        "Union twinning",
        ["workers-rights"],
        ProjectStatus.RUNNING,
        "Basra and Berlin",
        "Exchanges between oil workers in Basra and union members in Berlin.",
    ),
    (
        "oslo-conference-follow-up",
        "icssi",
        "Oslo conference follow-up",
        ["save-the-tigris", "womens-rights", "workers-rights"],
        ProjectStatus.FINISHED,
        "Oslo",
        "Following up the 2014 Oslo meetings between the Iraqi delegation and international partners.",
    ),
    (
        "contractor-accountability-report",
        "toronto-peace-coalition",
        "Contractor accountability report",
        ["stop-private-military-and-security-companies"],
        ProjectStatus.PLANNED,
        "",
        "Gathering public records on abuses by private security contractors.",
    ),
    (
        "anbar-youth-league",
        "anbar-youth-link",
        "Anbar youth league",
        ["sports-against-violence"],
        ProjectStatus.RUNNING,
        "Ramadi",
        "Hidden while its organization is suspended.",
    ),
]

# What a project's page says beyond its one-line summary (Markdown), written in our own words.
PROJECT_DESCRIPTIONS = {
    "tigris-river-walk": (
        "Each spring, groups of young volunteers walk a stretch of the Tigris in Baghdad. They pick up "
        "rubbish from the banks, note where sewage and waste reach the water, and talk with the "
        "fishermen about how the river has changed.\n\nWhat they find goes into a short public report "
        "each year."
    ),
    "marshes-water-monitoring": (
        "Volunteers from the marsh villages learn to test the water for salt and pollution, and take "
        "readings every month at the same places.\n\nThe results are published so that the people "
        "who live from the marshes can show what is happening to their water."
    ),
    "safe-newsrooms": (
        "Workshops for young reporters on protecting their phones, their sources and themselves when "
        "they cover protests and corruption."
    ),
    "legal-aid-desk": (
        "Two days a week, volunteer lawyers give free advice to women on divorce, custody, "
        "inheritance and violence at home. Nobody is turned away."
    ),
    "peace-cup": (
        "A football tournament for young people in which every team mixes players from different "
        "neighbourhoods and communities. The final is played in front of the families of all teams."
    ),
    "union-twinning": (
        "Oil workers from Basra and union members from Berlin visit each other, compare their working "
        "conditions and learn how each side organizes."
    ),
    "oslo-conference-follow-up": (
        "After the Oslo meetings of October 2014, the Iraqi delegation and its international partners "
        "kept working together on the river, on women's rights and on workers' rights.\n\nThis "
        "project kept track of what was promised and what was done."
    ),
    "contractor-accountability-report": (
        "A report that brings together court records, news and official documents about abuses "
        "committed by private security contractors in Iraq."
    ),
}

# Campaign life: organizations coordinating a campaign (campaign slug, organization slug), and
# updates (campaign slug or None, project slug or None, organization slug or None, days after the
# start, {locale: (title, body)}), written in our own words.
COORDINATORS = [("save-the-tigris", "icssi"), ("womens-rights", "basra-women-solidarity-network")]
UPDATES = [
    (
        "save-the-tigris", None, "icssi", 380,
        {
            "en": ("Marsh villages meet in Chibayish",
                   "Fishers and buffalo herders from six marsh villages met to map where the water "
                   "has gone. Their notes go to the **water ministry** next month."),
            "ar": ("لقاء قرى الأهوار في الجبايش",
                   "التقى صيادون ومربو جاموس من ست قرى في الأهوار لرسم خريطة لما تبقى من المياه."),
        },
    ),
    (
        "save-the-tigris", "tigris-river-walk", None, 395,
        {
            "en": ("The river walk reaches Baghdad",
                   "Walkers who set out from Mosul arrived in Baghdad with letters from river towns."),
            "fr": ("La marche du fleuve arrive à Bagdad",
                   "Partis de Mossoul, les marcheurs ont porté à Bagdad les lettres des villes du fleuve."),
        },
    ),
    (
        "womens-rights", None, "basra-women-solidarity-network", 390,
        {"en": ("Legal help desk opens in Basra",
                "Volunteer lawyers answer questions every Tuesday; a second desk is planned.")},
    ),
]  # fmt: skip

# email, role, organization slug (members only)
USERS = [
    ("moderator@tadamun.example", Role.MODERATOR, None),
    ("admin@tadamun.example", Role.ADMIN, None),
    ("icssi@tadamun.example", Role.MEMBER, "icssi"),
    ("unponteper@tadamun.example", Role.MEMBER, "un-ponte-per"),
    ("basra-women@tadamun.example", Role.MEMBER, "basra-women-solidarity-network"),
    ("pending@tadamun.example", Role.MEMBER, "kirkuk-civic-dialogue"),
]


@dataclass
class DemoSummary:
    created: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            (
                "campaigns",
                "organizations",
                "pledges",
                "projects",
                "users",
                "gatherings",
                "offers",
                "cosponsors",
                "statements",
            ),
            0,
        )
    )
    skipped: bool = False

    @property
    def anything_created(self) -> bool:
        return any(self.created.values())


def database_has_campaigns() -> bool:
    return db.session.scalar(sa.select(sa.exists().where(Campaign.id.isnot(None)))) or False


def load(*, if_empty: bool = False, password: str = DEMO_PASSWORD) -> DemoSummary:
    """Create the missing demo rows and flush; the caller commits.

    With ``if_empty``, nothing is loaded when any campaign exists already.
    Counters are rebuilt at the end so they match the rows.
    """
    summary = DemoSummary()
    if if_empty and database_has_campaigns():
        summary.skipped = True
        return summary
    # A fixed ordering in time: the first rows are the oldest, as if the network grew.
    start = utcnow() - timedelta(days=400)
    campaigns = _campaigns(summary)
    organizations = _organizations(summary, start)
    _pledges(summary, organizations, campaigns, start)
    _projects(summary, organizations, campaigns, start)
    _users(summary, organizations, password)
    summary.created["gatherings"] += demo_gatherings.load()

    _campaign_life(organizations, campaigns, start)
    for kind, count in demo_solidarity.load().items():
        summary.created[kind] += count
    db.session.flush()
    counters.recount_all()
    return summary


def _campaigns(summary: DemoSummary) -> dict[str, Campaign]:
    existing = {c.slug: c for c in db.session.scalars(sa.select(Campaign))}
    for position, (slug, title, accent, summary_text, description) in enumerate(CAMPAIGNS, start=1):
        if slug in existing:
            continue
        campaign = Campaign(
            slug=slug,
            title=title,
            accent=accent,
            summary=summary_text,
            description=description,
            status=CampaignStatus.ACTIVE,
            position=position,
        )
        db.session.add(campaign)
        existing[slug] = campaign
        summary.created["campaigns"] += 1
    db.session.flush()
    _campaign_translations(existing)
    return existing


def _campaign_translations(campaigns: dict[str, Campaign]) -> None:
    """Add the missing translations; one a moderator has edited is left as it is."""
    present = set(db.session.execute(sa.select(CampaignTranslation.campaign_id, CampaignTranslation.locale)))
    for slug, by_locale in CAMPAIGN_TRANSLATIONS.items():
        campaign = campaigns.get(slug)
        if campaign is None:
            continue
        for locale, (title, summary_text, description) in by_locale.items():
            if (campaign.id, locale) in present:
                continue
            db.session.add(
                CampaignTranslation(
                    campaign_id=campaign.id,
                    locale=locale,
                    title=title,
                    summary=summary_text,
                    description=description,
                )
            )
    db.session.flush()


def _organizations(summary: DemoSummary, start: datetime) -> dict[str, Organization]:
    existing = {o.slug: o for o in db.session.scalars(sa.select(Organization))}
    for n, spec in enumerate(ORGANIZATIONS):
        spec = dict(spec)
        slug = spec["slug"]
        if slug in existing:
            continue
        sample = spec.pop("sample", None)
        if sample is not None:
            spec["description"] = SAMPLE + sample
        status = spec.pop("status", S.APPROVED)
        when = start + timedelta(days=10 * n)
        org = Organization(
            **spec,
            status=status,
            submitted_at=when,
            created_at=when,
            approved_at=when + timedelta(days=2) if status in (S.APPROVED, S.SUSPENDED) else None,
        )
        db.session.add(org)
        existing[slug] = org
        summary.created["organizations"] += 1
    db.session.flush()
    return existing


def _pledges(
    summary: DemoSummary,
    organizations: dict[str, Organization],
    campaigns: dict[str, Campaign],
    start: datetime,
) -> None:
    active = set(
        db.session.execute(
            sa.select(Pledge.organization_id, Pledge.campaign_id).where(Pledge.withdrawn_at.is_(None))
        ).tuples()
    )
    for n, (org_slug, campaign_slug, visibility, kinds, message) in enumerate(PLEDGES):
        org, campaign = organizations.get(org_slug), campaigns.get(campaign_slug)
        if org is None or campaign is None or (org.id, campaign.id) in active:
            continue
        when = start + timedelta(days=60 + 9 * n)
        counted, counted_iraqi = counters.current_attribution(org)
        db.session.add(
            Pledge(
                organization_id=org.id,
                campaign_id=campaign.id,
                visibility=visibility,
                support_kinds=kinds,
                message=message,
                created_at=when,
                updated_at=when,
                counted=counted,
                counted_iraqi=counted_iraqi,
            )
        )
        active.add((org.id, campaign.id))
        summary.created["pledges"] += 1
    db.session.flush()


def _projects(
    summary: DemoSummary,
    organizations: dict[str, Organization],
    campaigns: dict[str, Campaign],
    start: datetime,
) -> None:
    existing = set(db.session.scalars(sa.select(Project.slug)))
    for n, (slug, org_slug, title, campaign_slugs, status, place, summary_text) in enumerate(PROJECTS):
        org = organizations.get(org_slug)
        if slug in existing or org is None:
            continue
        when = start + timedelta(days=100 + 20 * n)
        project = Project(
            slug=slug,
            organization_id=org.id,
            title=title,
            summary=summary_text,
            description=PROJECT_DESCRIPTIONS.get(slug, ""),
            status=status,
            place=place,
            created_at=when,
            updated_at=when,
        )
        db.session.add(project)
        db.session.flush()
        publicly_pledged = projects.publicly_pledged_campaign_ids(org.id)
        for campaign_slug in campaign_slugs:
            if campaign_slug in campaigns:
                campaign_id = campaigns[campaign_slug].id
                db.session.add(
                    ProjectCampaign(
                        project_id=project.id,
                        campaign_id=campaign_id,
                        visibility=projects.default_link_visibility(campaign_id, publicly_pledged),
                    )
                )
        summary.created["projects"] += 1
    db.session.flush()


def _campaign_life(
    organizations: dict[str, Organization], campaigns: dict[str, Campaign], start: datetime
) -> None:
    """Coordinators and a few updates, once (none is added to a campaign that has updates)."""
    named = set(
        db.session.execute(sa.select(CampaignCoordinator.campaign_id, CampaignCoordinator.organization_id))
    )
    for campaign_slug, org_slug in COORDINATORS:
        campaign, org = campaigns.get(campaign_slug), organizations.get(org_slug)
        if campaign is not None and org is not None and (campaign.id, org.id) not in named:
            db.session.add(CampaignCoordinator(campaign_id=campaign.id, organization_id=org.id))
    with_updates = set(
        db.session.scalars(sa.select(Update.campaign_id).where(Update.campaign_id.is_not(None)))
    )
    project_ids = dict(db.session.execute(sa.select(Project.slug, Project.id)).tuples().all())
    for campaign_slug, project_slug, org_slug, days, texts in UPDATES:
        campaign = campaigns.get(campaign_slug)
        if campaign is None or campaign.id in with_updates:
            continue
        org = organizations.get(org_slug) if org_slug else None
        when = start + timedelta(days=days)
        db.session.add(
            Update(
                campaign_id=campaign.id,
                project_id=project_ids.get(project_slug) if project_slug else None,
                organization_id=org.id if org is not None else None,
                locale=next(iter(texts)),
                created_at=when,
                updated_at=when,
                texts=[
                    UpdateText(locale=loc, title=title, body=body) for loc, (title, body) in texts.items()
                ],
            )
        )
    db.session.flush()


def _users(summary: DemoSummary, organizations: dict[str, Organization], password: str) -> None:
    existing = set(db.session.scalars(sa.select(User.email)))
    for email, role, org_slug in USERS:
        if email in existing:
            continue
        organization = organizations.get(org_slug) if org_slug else None
        if role == Role.MEMBER and organization is None:
            continue
        db.session.add(
            User(
                email=email,
                password_hash=hash_password(password),
                role=role,
                organization_id=organization.id if organization else None,
                is_owner=organization is not None,
                email_confirmed_at=utcnow(),
            )
        )
        summary.created["users"] += 1
    db.session.flush()
