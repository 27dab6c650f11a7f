"""The sandbox's shared synthetic world, built deterministically from (scale, seed, anchor).

One set of people, seen by every twin: EasyAppointments customers and their bookings
(power-law frequency, weekday/hour patterns, cancellations, no-shows, drafts), and
the same people again on the event platforms (each twin derives its own records from
:attr:`World.people` with :meth:`World.rng_for`) under differently cased or spaced emails,
plus the contacts Brevo already holds (some blocklisted, some unsubscribed from a list).
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any

FIRST_NAMES = (
    "Ana Bruno Carla Diego Elena Farid Gaia Hugo Ines Jonas Keiko Liam Maya Nadia Omar Paula Quentin Rosa "
    "Samir Tessa Ugo Vera Wen Xavier Yara Zoe Amara Bilal Chloe Dmitri Esme Felix Greta Hana Ivan Julia "
    "Kofi Lena Mateo Noor Oskar Priya Rafael Sofia Tariq Una Viktor Willa Yusuf Zara José Zoë Ümit Chiara"
).split()
LAST_NAMES = (
    "Silva Rossi Müller Dubois Kowalski Novak Jensen Haddad Okafor Tanaka Nguyen Costa Fischer Moreau "
    "Lindqvist Petrov Garcia Ahmed Kim Murphy Santos Weber Conti Popescu Horvat Nakamura Ortiz Berg "
    "Shah Mendes O'Brien Da Costa Van Dijk Ferreira Ionescu Laurent Schmidt Rahman Costa-Lopes"
).split()
DOMAINS = (
    ("gmail.com", 40),
    ("outlook.com", 14),
    ("yahoo.com", 10),
    ("icloud.com", 9),
    ("proton.me", 5),
    ("gmx.de", 4),
    ("engarde-fans.org", 3),
    ("fencing-club.fr", 2),
    ("hey.com", 1),
)
TIMEZONES = (
    ("Europe/Lisbon", 30),
    ("Europe/London", 20),
    ("Europe/Paris", 15),
    ("America/New_York", 15),
    ("UTC", 10),
    ("Asia/Tokyo", 5),
    ("Europe/Athens", 5),
)
LANGUAGES = (("english", 60), ("portuguese", 15), ("french", 10), ("german", 10), ("japanese", 5))
SERVICES = (
    ("Private Lesson", 60, 80.0),
    ("Beginner Class", 90, 35.0),
    ("Footwork Clinic", 45, 25.0),
    ("Bout Coaching", 30, 40.0),
    ("Equipment Fitting", 30, 0.0),
)
PROVIDERS = (("Alice", "Marchetti"), ("Bruno", "Kerr"), ("Chen", "Wallace"), ("Dana", "Okoye"))
#: Weight of each weekday (Monday first) and each opening hour for appointment starts.
WEEKDAY_WEIGHTS = (8, 12, 14, 13, 15, 18, 0)
HOUR_WEIGHTS = {9: 4, 10: 8, 11: 9, 12: 5, 13: 4, 14: 7, 15: 8, 16: 10, 17: 12, 18: 13, 19: 9}
#: EasyAppointments status free text as staff use it (the default options plus a custom no-show).
STATUS_WEIGHTS = (
    ("Booked", 62),
    ("Confirmed", 18),
    ("Rescheduled", 4),
    ("Cancelled", 9),
    ("No-show", 5),
    ("Draft", 2),
)


@dataclass(slots=True)
class Person:
    """One human. ``email`` is canonical (lower-case); twins show variants of it."""

    index: int
    first_name: str
    last_name: str
    email: str
    phone: str
    timezone: str
    language: str
    valid_email: bool = True


@dataclass
class World:
    """Everything the twins serve. Build with :func:`build_world`."""

    scale: int
    seed: int
    anchor: datetime
    people: list[Person]
    services: list[dict[str, Any]]
    providers: list[dict[str, Any]]
    customers: list[dict[str, Any]]
    appointments: list[dict[str, Any]]
    brevo_contacts: list[dict[str, Any]] = field(default_factory=list)

    def rng_for(self, name: str) -> random.Random:
        """A random generator private to one twin, deterministic for this world."""
        return random.Random(f"{self.seed}:{name}")

    def email_variant(self, person: Person, rng: random.Random) -> str:
        """The person's email as another platform might hold it (case, surrounding spaces)."""
        return email_variant(person, rng)

    def pick_people(self, rng: random.Random, k: int, *, bookers_share: float = 0.4) -> list[Person]:
        """``k`` distinct people, about ``bookers_share`` of them EasyAppointments bookers."""
        k = min(k, len(self.people))
        booker_ids = {int(str(c["id"])) - CUSTOMER_ID_OFFSET for c in self.customers}
        bookers = [p for p in self.people if p.index in booker_ids and p.valid_email]
        others = [p for p in self.people if p.index not in booker_ids and p.valid_email]
        n_bookers = min(len(bookers), round(k * bookers_share))
        chosen = rng.sample(bookers, n_bookers) + rng.sample(others, min(len(others), k - n_bookers))
        return chosen


CUSTOMER_ID_OFFSET = 100  # EasyAppointments users share one id space: admins/providers first.
APPOINTMENT_ID_OFFSET = 1000


def email_variant(person: Person, rng: random.Random) -> str:
    """``person``'s email as some platform holds it: as is, upper-cased, title-cased or padded."""
    if not person.valid_email:
        return person.email
    style = rng.random()
    if style < 0.5:
        return person.email
    if style < 0.7:
        return person.email.upper()
    if style < 0.85:
        local, _, domain = person.email.partition("@")
        return f"{local.title()}@{domain.capitalize()}"
    return f"  {person.email} "


def _choices(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _make_people(rng: random.Random, count: int) -> list[Person]:
    people = []
    for i in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        # Mailbox names are ASCII even when the person's name is not (Müller -> muller).
        ascii_name = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
        local = ascii_name.lower().replace(" ", "").replace("'", "")
        email = f"{local}{i}@{_choices(rng, DOMAINS)}"
        valid = rng.random() > 0.004
        if not valid:
            email = rng.choice(["", f"{local}{i}.at.nowhere", f"{local}{i}@"])
        people.append(
            Person(
                index=i,
                first_name=first,
                last_name=last,
                email=email,
                phone=f"+3519{rng.randrange(10_000_000, 99_999_999)}",
                timezone=_choices(rng, TIMEZONES),
                language=_choices(rng, LANGUAGES),
                valid_email=valid,
            )
        )
    return people


@dataclass(frozen=True)
class _Calendar:
    """Opening days with their cumulative weights, computed once per world."""

    start: date
    days: list[int]
    cum_day: list[float]
    hours: list[int]
    cum_hour: list[float]

    @classmethod
    def build(cls, start: date, days: int) -> _Calendar:
        open_days = [d for d in range(days) if WEEKDAY_WEIGHTS[(start + timedelta(d)).weekday()]]
        weights = [WEEKDAY_WEIGHTS[(start + timedelta(d)).weekday()] for d in open_days]
        return cls(
            start,
            open_days,
            list(accumulate(weights)),
            list(HOUR_WEIGHTS),
            list(accumulate(HOUR_WEIGHTS.values())),
        )

    def slot(self, rng: random.Random) -> datetime:
        day = rng.choices(self.days, cum_weights=self.cum_day)[0]
        hour = rng.choices(self.hours, cum_weights=self.cum_hour)[0]
        minute = rng.choice((0, 15, 30, 45))
        midnight = datetime.combine(self.start + timedelta(day), datetime.min.time())
        return midnight + timedelta(hours=hour, minutes=minute)


def build_world(scale: int = 2_000, seed: int = 7, anchor: datetime | None = None) -> World:
    """Build the world: ``scale`` EasyAppointments appointments and the people around them.

    Appointments start within the 365 days before ``anchor`` (default: now, UTC, to the
    minute) and up to 60 days after it; datetimes are naive local times as the real API
    gives them.
    """
    anchor = (anchor or datetime.now(UTC)).replace(second=0, microsecond=0)
    rng = random.Random(seed)
    n_people = max(12, scale // 3)
    people = _make_people(rng, n_people)
    services = _services()
    providers = _providers(services)
    appointments, booked_people = _appointments(rng, people, services, providers, anchor, scale)
    customers = _customers(rng, people, booked_people)
    brevo_contacts = _brevo_contacts(rng, people)
    return World(
        scale=scale,
        seed=seed,
        anchor=anchor,
        people=people,
        services=services,
        providers=providers,
        customers=customers,
        appointments=appointments,
        brevo_contacts=brevo_contacts,
    )


def _services() -> list[dict[str, Any]]:
    """The catalogue, as ``GET /services`` answers it."""
    return [
        {
            "id": i + 1,
            "name": name,
            "duration": duration,
            "price": price,
            "currency": "EUR",
            "description": "",
            "location": None,
            "slotInterval": 15,
            "attendantsNumber": 1,
            "isPrivate": False,
            "serviceCategoryId": None,
        }
        for i, (name, duration, price) in enumerate(SERVICES)
    ]


def _providers(services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The coaches, each offering every service."""
    return [
        {
            "id": i + 2,
            "firstName": first,
            "lastName": last,
            "email": f"{first.lower()}@engarde.example",
            "mobile": None,
            "phone": "+351210000000",
            "address": None,
            "city": "Lisbon",
            "state": None,
            "zip": None,
            "notes": None,
            "isPrivate": False,
            "ldapDn": None,
            "timezone": "Europe/Lisbon",
            "language": "english",
            "services": [s["id"] for s in services],
        }
        for i, (first, last) in enumerate(PROVIDERS)
    ]


def _appointments(
    rng: random.Random,
    people: list[Person],
    services: list[dict[str, Any]],
    providers: list[dict[str, Any]],
    anchor: datetime,
    scale: int,
) -> tuple[list[dict[str, Any]], set[int]]:
    """``scale`` appointments on the opening calendar, and the indexes of the people who booked."""
    n_people = len(people)
    # Power-law booking frequency: a few regulars, a long tail of one-timers.
    weights = [1.0 / (rank + 1) ** 1.15 for rank in range(n_people)]
    order = list(range(n_people))
    rng.shuffle(order)
    cum = list(accumulate(weights))
    start_day = (anchor - timedelta(days=365)).date()
    calendar = _Calendar.build(start_day, 365 + 60)
    appointments: list[dict[str, Any]] = []
    booked_people: set[int] = set()
    status_values = [s for s, _ in STATUS_WEIGHTS]
    status_cum = list(accumulate(w for _, w in STATUS_WEIGHTS))
    person_ids = range(n_people)
    for n in range(scale):
        person = people[order[rng.choices(person_ids, cum_weights=cum)[0]]]
        booked_people.add(person.index)
        service = services[rng.choice((0, 0, 1, 1, 1, 2, 2, 3, 4))]
        start = calendar.slot(rng)
        end = start + timedelta(minutes=int(str(service["duration"])))
        lead = timedelta(hours=max(1.0, rng.expovariate(1 / (24 * 7))))
        book = min(start - lead, anchor.replace(tzinfo=None) - timedelta(minutes=5))
        status = rng.choices(status_values, cum_weights=status_cum)[0]
        if start > anchor.replace(tzinfo=None) and status == "No-show":
            status = "Booked"
        appointments.append(
            {
                "id": APPOINTMENT_ID_OFFSET + n,
                "book": book.strftime("%Y-%m-%d %H:%M:%S"),
                "start": start.strftime("%Y-%m-%d %H:%M:%S"),
                "end": end.strftime("%Y-%m-%d %H:%M:%S"),
                "hash": f"{rng.getrandbits(48):012x}",
                "color": "#7cbae8",
                "status": status,
                "location": None,
                "notes": rng.choice([None, None, "First visit", "Bring own mask", "Left-handed"]),
                "customerId": CUSTOMER_ID_OFFSET + person.index,
                "providerId": rng.choice(providers)["id"],
                "serviceId": service["id"],
                "meetingLink": None,
                "googleCalendarId": None,
                "caldavCalendarId": None,
            }
        )
    return appointments, booked_people


def _customers(rng: random.Random, people: list[Person], booked_people: set[int]) -> list[dict[str, Any]]:
    """The people who booked, as EasyAppointments customers (their emails as they typed them)."""
    return [
        {
            "id": CUSTOMER_ID_OFFSET + p.index,
            "firstName": p.first_name,
            "lastName": p.last_name,
            "email": email_variant(p, rng),
            "phone": p.phone,
            "address": None,
            "city": None,
            "zip": None,
            "notes": None,
            "timezone": p.timezone,
            "language": p.language,
            "customField1": None,
            "customField2": None,
            "customField3": None,
            "customField4": None,
            "customField5": None,
            "ldapDn": None,
        }
        for p in people
        if p.index in booked_people
    ]


def _brevo_contacts(rng: random.Random, people: list[Person]) -> list[dict[str, Any]]:
    """A fifth of the people already in Brevo, a few blocklisted or unsubscribed."""
    n_people = len(people)
    brevo_contacts: list[dict[str, Any]] = []
    for p in rng.sample(people, k=max(2, n_people // 5)):
        if not p.valid_email:
            continue
        roll = rng.random()
        brevo_contacts.append(
            {
                "email": p.email,
                "attributes": {"FIRSTNAME": p.first_name, "LASTNAME": p.last_name},
                "emailBlacklisted": roll < 0.08,
                "unsubscribedFromMaster": 0.08 <= roll < 0.12,
            }
        )
    return brevo_contacts
