"""The mediators' own area (issue #5, items 6 and 7).

A mediator is a `Recipient` (someone the City issued badges to); there is no password and no
account. Modules, each with its reasons in its docstring:

- `sign_in`   the one-time link by e-mail, its limits, the sessions of "Mon espace";
- `mail`      the sign-in e-mail (composed and queued like the service's other e-mails);
- `badges`    what a person's badges say, verified now: aligned skills, valid or not;
- `space`     "Mon espace": skills held and not held yet, endorsements, badges;
- `profile`   the directory profile: checked, joined, left;
- `directory` the public directory, searchable by skill, domain and sector.

Every function takes the `IssuerService`, like `issuer.workspace.members` and `issuer.network.skills.service`;
the web pages are issuer/web/views/mediators.py.
"""

from issuer.network.mediators.badges import (
    BadgeChecker,
    DomainSkills,
    HeldBadge,
    SkillView,
    aligned_skill_codes,
    recipient_badges,
    skill_code_from_uri,
)
from issuer.network.mediators.directory import DirectoryEntry, DirectoryQuery, build_directory
from issuer.network.mediators.errors import (
    MediatorError,
    NoSkillBadge,
    ProfileInvalid,
    SignInLinkInvalid,
    TooManyRequests,
)
from issuer.network.mediators.mail import (
    SIGN_IN_MAIL_KIND,
    compose_sign_in_link,
    queue_sign_in_link,
)
from issuer.network.mediators.profile import (
    CITY_WIDE,
    SECTORS,
    Profile,
    ProfileDraft,
    check_profile,
    leave_directory,
    profile_of,
    save_profile,
)
from issuer.network.mediators.sign_in import (
    POLICY,
    SIGN_IN_LINK_PATH,
    SPACE_PATH,
    SignInPolicy,
    end_session,
    forget_recipient,
    open_sign_in_link,
    record_sign_in_request,
    send_sign_in_link,
    session_recipient_id,
    sign_in_link_is_valid,
    sign_in_link_url,
)
from issuer.network.mediators.space import (
    Endorsement,
    MediatorSpace,
    build_space,
    endorsements_received,
)

DIRECTORY_PATH = "/annuaire"

__all__ = [
    "CITY_WIDE", "DIRECTORY_PATH", "POLICY", "SECTORS", "SIGN_IN_LINK_PATH", "SIGN_IN_MAIL_KIND",
    "SPACE_PATH", "BadgeChecker", "DirectoryEntry", "DirectoryQuery", "DomainSkills",
    "Endorsement", "HeldBadge", "MediatorError", "MediatorSpace", "NoSkillBadge", "Profile",
    "ProfileDraft", "ProfileInvalid", "SignInLinkInvalid", "SignInPolicy", "SkillView",
    "TooManyRequests", "aligned_skill_codes", "build_directory", "build_space", "check_profile",
    "compose_sign_in_link", "end_session", "endorsements_received", "forget_recipient",
    "leave_directory", "open_sign_in_link", "profile_of", "queue_sign_in_link",
    "recipient_badges", "record_sign_in_request", "save_profile", "send_sign_in_link",
    "session_recipient_id", "sign_in_link_is_valid", "sign_in_link_url", "skill_code_from_uri",
]
