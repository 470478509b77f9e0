"""The sessions a user can end from 我的 (the model and its other endings: wyapp.sessions)."""
from ..sessions import UserSession


def end_own_session(user, session_id, now):
    """End `user`'s open session `session_id` (another user's, or one already ended, is left
    alone) at naive-UTC `now`. Returns the ended session's token hash, or None."""
    session = UserSession.get_or_none(UserSession.id == session_id, UserSession.user == user,
                                      UserSession.ended_at.is_null())
    if session is None:
        return None
    UserSession.update(ended_at=now).where(UserSession.id == session.id).execute()
    return session.token_hash
