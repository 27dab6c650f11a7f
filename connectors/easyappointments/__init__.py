"""EasyAppointments REST API v1 connector: settings, typed records, async client."""

from connectors.easyappointments.client import EasyAppointmentsClient, parse_error
from connectors.easyappointments.models import Appointment, Customer, Provider, Service
from connectors.easyappointments.settings import EasyAppointmentsSettings

__all__ = [
    "Appointment",
    "Customer",
    "EasyAppointmentsClient",
    "EasyAppointmentsSettings",
    "Provider",
    "Service",
    "parse_error",
]
