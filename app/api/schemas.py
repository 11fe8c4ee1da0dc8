"""Marshmallow schemas of the API: the query arguments it accepts and the records it answers
(app/services/open_data.py builds them). The OpenAPI document is generated from these."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.models import CampaignStatus, OrganizationKind, ProjectStatus, SupportKind
from app.models.organization import CONTACT_FIELDS
from app.services.open_data import LANGUAGES

MAX_LIMIT = 100
# A slug: letters (any script), digits and hyphens; never a control character, space, / or ~.
SLUG_PATTERN = r"^[^\u0000-\u0020/~\u007f]{1,140}$"
SLUG = validate.Regexp(SLUG_PATTERN, error="Not a slug.")
SLUG_PARAMETER = {
    "in": "path",
    "name": "slug",
    "required": True,
    "schema": {"type": "string", "pattern": SLUG_PATTERN},
}
COUNTRY = validate.Regexp(r"^[A-Z]{2}$", error="A country is two capital letters (ISO 3166-1 alpha-2).")


class _Query(Schema):
    limit = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": "Items per page (1 to 100)."},
    )
    after = fields.String(
        validate=SLUG, metadata={"description": "The cursor from the previous page's `next` link."}
    )
    lang = fields.String(
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "The language of the texts, falling back to the original."},
    )


class CampaignQuery(_Query):
    status = fields.String(validate=validate.OneOf([s.value for s in CampaignStatus]))


class DirectoryQuery(_Query):
    campaign = fields.String(
        validate=SLUG, metadata={"description": "A campaign's slug: its public supporters."}
    )
    country = fields.String(validate=COUNTRY)
    kind = fields.String(validate=validate.OneOf([k.value for k in OrganizationKind]))


class PledgeQuery(DirectoryQuery):
    after = fields.String(
        validate=validate.Regexp(
            r"^[0-9]{1,17}~[^\u0000-\u0020/~\u007f]{1,140}~[^\u0000-\u0020/~\u007f]{1,140}$",
            error="Not a cursor of this list.",
        ),
        metadata={"description": "The cursor from the previous page's `next` link."},
    )
    organization = fields.String(validate=SLUG, metadata={"description": "An organization's slug."})


class ProjectQuery(DirectoryQuery):
    pass


class LangQuery(Schema):
    lang = fields.String(validate=validate.OneOf(LANGUAGES))


class Text(Schema):
    title = fields.String()
    summary = fields.String()
    description = fields.String()
    name = fields.String()


class Counts(Schema):
    supporters = fields.Integer(required=True)
    iraqi_supporters = fields.Integer(required=True)
    international_supporters = fields.Integer(required=True)
    projects = fields.Integer(required=True)


class CampaignOut(Schema):
    slug = fields.String(required=True)
    url = fields.Url(required=True)
    language = fields.String(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in CampaignStatus]))
    translations = fields.Dict(keys=fields.String(), values=fields.Nested(Text), required=True)
    counts = fields.Nested(Counts, required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)


Contacts = Schema.from_dict(
    {field: fields.String(allow_none=True, required=True) for field in CONTACT_FIELDS}, name="Contacts"
)


class OrganizationOut(Schema):
    slug = fields.String(required=True)
    url = fields.Url(required=True)
    language = fields.String(allow_none=True, required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in OrganizationKind]))
    country = fields.String(required=True)
    city = fields.String(required=True)
    website = fields.String(allow_none=True, required=True)
    founded_year = fields.Integer(allow_none=True, required=True)
    contacts = fields.Nested(
        Contacts,
        required=True,
        metadata={"description": "Contact details, only those made public (else null)."},
    )
    translations = fields.Dict(keys=fields.String(), values=fields.Nested(Text), required=True)
    public_pledges = fields.Integer(required=True)
    murmurations = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Its Murmurations profile, when it publishes one."},
    )
    member_since = fields.String(allow_none=True, required=True)


class PledgeOut(Schema):
    campaign = fields.String(required=True)
    campaign_url = fields.Url(required=True)
    organization = fields.String(required=True)
    organization_name = fields.String(required=True)
    organization_url = fields.Url(required=True)
    country = fields.String(required=True)
    kind = fields.String(required=True)
    support = fields.List(
        fields.String(validate=validate.OneOf([k.value for k in SupportKind])), required=True
    )
    message = fields.String(required=True)
    created_at = fields.String(required=True)


class ProjectOut(Schema):
    slug = fields.String(required=True)
    url = fields.Url(required=True)
    language = fields.String(allow_none=True, required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in ProjectStatus]))
    start_date = fields.String(allow_none=True, required=True)
    end_date = fields.String(allow_none=True, required=True)
    place = fields.String(required=True)
    organization = fields.String(required=True)
    organization_name = fields.String(required=True)
    organization_url = fields.Url(required=True)
    country = fields.String(required=True)
    campaigns = fields.List(fields.String(), required=True)
    translations = fields.Dict(keys=fields.String(), values=fields.Nested(Text), required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)


class UpdateQuery(_Query):
    after = fields.String(
        validate=validate.Regexp(r"^-?[0-9]{1,17}~[0-9]{1,18}$", error="Not a cursor of this list."),
        metadata={"description": "The cursor from the previous page's `next` link."},
    )
    campaign = fields.String(validate=SLUG, metadata={"description": "A campaign's slug: its updates."})
    project = fields.String(
        validate=SLUG,
        metadata={"description": "A project's slug: its updates and campaign updates about it."},
    )
    language = fields.String(
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "Only updates written in this language."},
    )


class UpdateText(Schema):
    title = fields.String(required=True)
    body = fields.String(required=True)


class UpdateOut(Schema):
    url = fields.Url(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["campaign", "project"]))
    campaign = fields.String(allow_none=True, required=True)
    project = fields.String(allow_none=True, required=True)
    organization = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "The organization that posted it (null: the network)."},
    )
    organization_name = fields.String(allow_none=True, required=True)
    language = fields.String(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True, metadata={"description": "Markdown."})
    translations = fields.Dict(keys=fields.String(), values=fields.Nested(UpdateText), required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)


class GatheringQuery(_Query):
    after = fields.String(
        validate=validate.Regexp(
            r"^[0-9]{1,17}~[^\u0000-\u0020/~\u007f]{1,140}$", error="Not a cursor of this list."
        ),
        metadata={"description": "The cursor from the previous page's `next` link."},
    )
    campaign = fields.String(validate=SLUG, metadata={"description": "A campaign's slug."})
    country = fields.String(validate=COUNTRY)
    when = fields.String(
        validate=validate.OneOf(["upcoming", "past"]),
        metadata={"description": "Not ended yet, or ended (published ones)."},
    )


class OrganizationRef(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    url = fields.Url(required=True)


class GatheringText(Schema):
    title = fields.String()
    description = fields.String()
    logistics = fields.String()
    visa_notice = fields.String()
    outcome = fields.String()


class GatheringSessionOut(Schema):
    title = fields.String(required=True)
    starts_at = fields.String(required=True)
    ends_at = fields.String(required=True)
    room = fields.String(required=True)
    speakers = fields.String(required=True)
    language = fields.String(required=True)
    interpretation = fields.List(fields.String(), required=True)


class GatheringOut(Schema):
    slug = fields.String(required=True)
    url = fields.Url(required=True)
    language = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    logistics = fields.String(required=True)
    visa_notice = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["published", "cancelled"]))
    starts_at = fields.String(required=True, metadata={"description": "In its zone, with the offset."})
    ends_at = fields.String(required=True)
    time_zone = fields.String(required=True)
    city = fields.String(required=True)
    country = fields.String(allow_none=True, required=True)
    venue = fields.String(required=True)
    online_url = fields.String(allow_none=True, required=True)
    organizers = fields.List(fields.Nested(OrganizationRef), required=True)
    supporters = fields.List(fields.Nested(OrganizationRef), required=True)
    campaigns = fields.List(fields.String(), required=True)
    outcome_url = fields.String(allow_none=True, required=True)
    translations = fields.Dict(keys=fields.String(), values=fields.Nested(GatheringText), required=True)
    published_at = fields.String(allow_none=True, required=True)


class GatheringDetailOut(GatheringOut):
    sessions = fields.List(fields.Nested(GatheringSessionOut), required=True)
    registered_organizations = fields.List(
        fields.Nested(OrganizationRef),
        required=True,
        metadata={"description": "Registered organizations that chose to be named publicly."},
    )
    outcome = fields.String(allow_none=True, required=True)
    projects = fields.List(fields.String(), required=True)


def _page(item: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "next": fields.String(
                allow_none=True,
                required=True,
                metadata={"description": "The next page, or null on the last."},
            ),
        },
        name=name,
    )


CampaignPage = _page(CampaignOut, "CampaignPage")
OrganizationPage = _page(OrganizationOut, "OrganizationPage")
PledgePage = _page(PledgeOut, "PledgePage")
ProjectPage = _page(ProjectOut, "ProjectPage")
UpdatePage = _page(UpdateOut, "UpdatePage")
GatheringPage = _page(GatheringOut, "GatheringPage")


class Problem(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(required=True)
    request_id = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.Raw())


class Index(Schema):
    campaigns = fields.Url(required=True)
    organizations = fields.Url(required=True)
    pledges = fields.Url(required=True)
    projects = fields.Url(required=True)
    updates = fields.Url(required=True)
    gatherings = fields.Url(required=True)
    openapi = fields.Url(required=True)
    documentation = fields.Url(required=True)
