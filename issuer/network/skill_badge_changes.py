"""Changes to the skill badges or the skills catalogue, counted as they are committed in this
process (SQLAlchemy session events): `issuer.network.skill_badges` rebuilds its merged catalogue
at once after one, without waiting for its next check of the database."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from issuer.storage.skill_badge_models import SkillBadgeRow
from issuer.storage.skills_models import SkillCatalogueVersion

#: Guards `committed` (and, in issuer.network.skill_badges, the merged catalogues).
lock = threading.Lock()
#: Commits in this process that changed a skill badge or a catalogue version.
committed = 0
_CHANGE_FLAG = "issuer.network.skill_badges.changed"


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    if any(isinstance(item, (SkillBadgeRow, SkillCatalogueVersion))
           for item in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGE_FLAG] = True


@event.listens_for(Session, "after_commit")
def _count_committed_changes(session: Session) -> None:
    # After the commit, not the flush: a reader between the two would cache the old state.
    global committed
    if session.info.pop(_CHANGE_FLAG, False):
        with lock:
            committed += 1


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGE_FLAG, None)
