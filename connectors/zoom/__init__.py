"""Zoom v2 connector: Server-to-Server OAuth, meetings, webinars, registrants, reports, recordings."""

from connectors.zoom._base import PLAN_BUDGETS, zoom_limiter, zoom_retry
from connectors.zoom.auth import ZoomS2SAuth, clear_token_cache
from connectors.zoom.client import ZoomClient, encode_uuid
from connectors.zoom.folding import analyze_participants, fold_participants, normal_name
from connectors.zoom.models import (
    Attendance,
    FoldResult,
    Instance,
    Meeting,
    MeetingAnalytics,
    Participant,
    Recording,
    RecordingFile,
    Registrant,
    RegistrationRecord,
    ZoomExtract,
    ZoomHosts,
    ZoomUser,
)
from connectors.zoom.settings import ZoomSettings

__all__ = [
    "PLAN_BUDGETS",
    "Attendance",
    "FoldResult",
    "Instance",
    "Meeting",
    "MeetingAnalytics",
    "Participant",
    "Recording",
    "RecordingFile",
    "Registrant",
    "RegistrationRecord",
    "ZoomClient",
    "ZoomExtract",
    "ZoomHosts",
    "ZoomS2SAuth",
    "ZoomSettings",
    "ZoomUser",
    "analyze_participants",
    "clear_token_cache",
    "encode_uuid",
    "fold_participants",
    "normal_name",
    "zoom_limiter",
    "zoom_retry",
]
