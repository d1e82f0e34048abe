from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.config import CalendarSection, Settings
from mailbot.sla.calendar import BusinessCalendar, duration_text

MX = ZoneInfo("America/Mexico_City")
NY = ZoneInfo("America/New_York")
MADRID = ZoneInfo("Europe/Madrid")
UTC = UTC
H = timedelta(hours=1)


def mx(*args) -> datetime:
    return datetime(*args, tzinfo=MX)


@pytest.fixture(scope="module")
def cal() -> BusinessCalendar:
    return BusinessCalendar(CalendarSection(), "America/Mexico_City")


# -- deadlines --------------------------------------------------------------

DEADLINES = [
    # (what, start, duration, expected local deadline)
    ("CRÍTICA friday 17:30 -> monday", mx(2026, 11, 27, 17, 30), 2 * H, mx(2026, 11, 30, 10, 30)),
    ("eve of 16 Sep", mx(2026, 9, 15, 17), 2 * H, mx(2026, 9, 17, 10)),
    ("on 1 Oct 2030 (holiday)", mx(2030, 10, 1, 10), 2 * H, mx(2030, 10, 2, 11)),
    ("saturday mail", mx(2026, 11, 28, 12), 2 * H, mx(2026, 11, 30, 11)),
    ("sunday night mail", mx(2026, 11, 29, 23, 59), 2 * H, mx(2026, 11, 30, 11)),
    ("08:00 waits for 09:00", mx(2026, 11, 24, 8), 2 * H, mx(2026, 11, 24, 11)),
    ("after close", mx(2026, 11, 24, 19), 2 * H, mx(2026, 11, 25, 11)),
    ("exactly at close", mx(2026, 11, 24, 18), 2 * H, mx(2026, 11, 25, 11)),
    ("ends exactly at close", mx(2026, 11, 24, 16), 2 * H, mx(2026, 11, 24, 18)),
    ("GRAVE inside one day", mx(2026, 11, 24, 9, 15), 4 * H, mx(2026, 11, 24, 13, 15)),
    # Mon 10-18 = 8h, Tue 9h (17h), Wed 7h more -> Wed 16:00.
    ("LEVE over three days", mx(2026, 11, 23, 10), 24 * H, mx(2026, 11, 25, 16)),
    # Thu 1h, 1 Jan holiday, weekend, Mon 3h.
    ("year end", mx(2026, 12, 31, 17), 4 * H, mx(2027, 1, 4, 12)),
    # Revolution day 2026 is Monday 16 Nov: Fri 1h, Tue 1h.
    ("long weekend", mx(2026, 11, 13, 17), 2 * H, mx(2026, 11, 17, 10)),
    ("seconds", mx(2026, 11, 24, 17, 59, 59), timedelta(seconds=2), mx(2026, 11, 25, 9, 0, 1)),
    ("microseconds", mx(2026, 11, 24, 9, 0, 0, 1), timedelta(microseconds=5), mx(2026, 11, 24, 9, 0, 0, 6)),
    ("zero while open", mx(2026, 11, 24, 10), timedelta(0), mx(2026, 11, 24, 10)),
    ("zero while closed", mx(2026, 11, 28, 10), timedelta(0), mx(2026, 11, 30, 9)),
    # Mexico City still had DST in 2021 (from 4 April): the offset changes over the weekend.
    ("old DST change", mx(2021, 4, 2, 17), 2 * H, mx(2021, 4, 5, 10)),
    # 100h = 11 full days (99h: 1-4, 7-11, 14-15 Dec) + 1h.
    ("a hundred hours", mx(2026, 12, 1, 9), 100 * H, mx(2026, 12, 16, 10)),
    # 200h = 22 full days (Dec 2026 has 22 business days besides 25 Dec) + 2h after 1 Jan.
    ("two hundred hours", mx(2026, 12, 1, 9), 200 * H, mx(2027, 1, 4, 11)),
]


@pytest.mark.parametrize("what,start,duration,expected", DEADLINES, ids=[d[0] for d in DEADLINES])
def test_add(cal, what, start, duration, expected):
    deadline = cal.add(start, duration)
    assert deadline == expected
    assert deadline.tzinfo is UTC
    assert cal.elapsed(start, deadline) == duration


def test_old_dst_offsets(cal):
    deadline = cal.add(mx(2021, 4, 2, 17), 2 * H)
    assert mx(2021, 4, 2, 17).utcoffset() == timedelta(hours=-6)
    assert deadline == datetime(2021, 4, 5, 15, tzinfo=UTC)  # 10:00 CDT (-5)


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 11, 27, 23, 30, tzinfo=UTC),  # Friday 17:30 Mexico City
        datetime(2026, 11, 28, 0, 30, tzinfo=MADRID),  # the same instant in Madrid
        datetime(2026, 11, 27, 18, 30, tzinfo=NY),
        datetime(2026, 11, 27, 17, 30, tzinfo=timezone(timedelta(hours=-6))),
    ],
)
def test_input_in_any_zone(cal, start):
    assert cal.add(start, 2 * H) == datetime(2026, 11, 30, 16, 30, tzinfo=UTC)


def test_long_duration_is_exact(cal):
    start = mx(2026, 1, 1, 0)
    deadline = cal.add(start, 2000 * H + timedelta(microseconds=7))
    assert cal.elapsed(start, deadline) == 2000 * H + timedelta(microseconds=7)
    assert cal.is_open(deadline - timedelta(microseconds=1))


# -- is_open ----------------------------------------------------------------


@pytest.mark.parametrize(
    "when,expected",
    [
        (mx(2026, 11, 24, 8, 59, 59), False),
        (mx(2026, 11, 24, 9), True),
        (mx(2026, 11, 24, 17, 59, 59, 999999), True),
        (mx(2026, 11, 24, 18), False),
        (mx(2026, 11, 28, 12), False),  # Saturday
        (mx(2026, 9, 16, 12), False),  # Independence day
        (mx(2030, 10, 1, 12), False),  # change of federal government
        (mx(2030, 12, 1, 12), False),  # Sunday anyway; the 1 Dec rule ended in 2018
        (mx(2018, 12, 3, 12), True),
        (mx(2018, 11, 30, 12), True),
        (datetime(2026, 11, 24, 15, tzinfo=UTC), True),  # 09:00 Mexico City
        (datetime(2026, 11, 24, 14, 59, tzinfo=UTC), False),
    ],
)
def test_is_open(cal, when, expected):
    assert cal.is_open(when) is expected


def test_2018_dec_1_was_rest_day(cal):
    assert cal.closed_reason(date(2018, 12, 1)) == ("Transmisión del Poder Ejecutivo Federal", "holiday")


def test_naive_datetime_refused(cal):
    with pytest.raises(ValueError, match="naive"):
        cal.is_open(datetime(2026, 11, 24, 10))
    with pytest.raises(ValueError, match="naive"):
        cal.add(datetime(2026, 11, 24, 10), H)


def test_negative_duration_refused(cal):
    with pytest.raises(ValueError):
        cal.add(mx(2026, 11, 24, 10), -H)


# -- rest days --------------------------------------------------------------


def test_rest_days_2030(cal):
    assert cal.rest_days(2030) == {
        date(2030, 1, 1): "Año Nuevo",
        date(2030, 2, 4): "Día de la Constitución",  # first Monday of February
        date(2030, 3, 18): "Natalicio de Benito Juárez",  # third Monday of March
        date(2030, 5, 1): "Día del Trabajo",
        date(2030, 9, 16): "Día de la Independencia",
        date(2030, 10, 1): "Transmisión del Poder Ejecutivo Federal",
        date(2030, 11, 18): "Día de la Revolución",  # third Monday of November
        date(2030, 12, 25): "Navidad",
    }


@pytest.mark.parametrize(
    "year,change", [(2024, date(2024, 10, 1)), (2018, date(2018, 12, 1)), (2012, date(2012, 12, 1))]
)
def test_change_of_government(cal, year, change):
    days = cal.rest_days(year)
    assert days[change] == "Transmisión del Poder Ejecutivo Federal"
    assert len(days) == 8


def test_non_election_year_has_seven(cal):
    assert len(cal.rest_days(2026)) == 7


# -- configuration ----------------------------------------------------------


def test_extra_closed_and_open():
    section = CalendarSection(extra_closed=[date(2026, 11, 30)], extra_open=[date(2026, 11, 28), date(2026, 9, 16)])
    cal = BusinessCalendar(section, "America/Mexico_City")
    assert cal.is_open(mx(2026, 11, 28, 10))  # Saturday made a business day
    assert not cal.is_open(mx(2026, 11, 30, 10))
    assert cal.is_open(mx(2026, 9, 16, 10))  # a holiday worked, with the normal hours
    assert not cal.is_open(mx(2026, 9, 16, 8))
    # Fri 17:30 0:30, Sat 9-10:30, i.e. Saturday counts.
    assert cal.add(mx(2026, 11, 27, 17, 30), 2 * H) == mx(2026, 11, 28, 10, 30)
    # Sat full 9h, Sun closed, Mon closed (extra), Tue 1h.
    assert cal.add(mx(2026, 11, 28, 9), 10 * H) == mx(2026, 12, 1, 10)
    report = cal.deadline_report(mx(2026, 11, 28, 9), 10 * H)
    assert report["closed_days"] == [
        {"date": "2026-11-29", "reason": "weekend", "kind": "weekend"},
        {"date": "2026-11-30", "reason": "extra_closed", "kind": "extra_closed"},
    ]


def test_same_date_open_and_closed_refused():
    with pytest.raises(ValueError, match="both"):
        BusinessCalendar(CalendarSection(extra_closed=[date(2026, 1, 2)], extra_open=[date(2026, 1, 2)]), "UTC")


def test_no_open_day_at_all():
    cal = BusinessCalendar(CalendarSection(days=[], extra_open=[date(2026, 1, 5)]), "America/Mexico_City")
    assert cal.add(mx(2026, 1, 1), H) == mx(2026, 1, 5, 10)
    with pytest.raises(ValueError, match="no business time"):
        cal.add(mx(2026, 1, 5, 17), 2 * H)


def test_unknown_country():
    with pytest.raises(ValueError, match="country"):
        BusinessCalendar(CalendarSection(country="XX"), "UTC")


def test_always_open():
    cal = BusinessCalendar(CalendarSection(always_open=True), "America/Mexico_City")
    start = mx(2026, 11, 28, 3)  # Saturday night
    assert cal.is_open(start)
    assert cal.add(start, 24 * H) == mx(2026, 11, 29, 3)
    assert cal.elapsed(start, mx(2026, 11, 30, 3)) == 48 * H
    assert cal.elapsed(mx(2026, 11, 30, 3), start) == timedelta(0)
    assert cal.deadline_report(start, H)["business_time"] is False


def test_from_settings():
    cal = BusinessCalendar.from_settings(Settings())
    assert cal.zone == MX
    assert cal.add(mx(2026, 11, 27, 17, 30), 2 * H) == mx(2026, 11, 30, 10, 30)


def test_other_hours_and_days():
    section = CalendarSection(days=["mon", "tue", "wed", "thu", "fri", "sat"], hours=("08:30", "14:00"))
    cal = BusinessCalendar(section, "America/Mexico_City")
    assert cal.add(mx(2026, 11, 27, 13), 2 * H) == mx(2026, 11, 28, 9, 30)


def test_dst_zone_counts_real_time():
    # New York, every day, no holidays: Saturday 17:00 EST + 2h crosses spring forward.
    cal = BusinessCalendar(
        CalendarSection(days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"], country=""), "America/New_York"
    )
    assert cal.add(datetime(2026, 3, 7, 17, tzinfo=NY), 2 * H) == datetime(2026, 3, 8, 10, tzinfo=NY)
    assert cal.add(datetime(2026, 3, 8, 10, tzinfo=NY), 0 * H).utcoffset() == timedelta(0)


def test_hours_across_dst_change_measure_real_elapsed_time():
    # 01:00-03:00 wall time is one real hour on spring-forward day and three on fall-back day.
    section = CalendarSection(days=["sun"], hours=("01:00", "03:00"), country="")
    cal = BusinessCalendar(section, "America/New_York")
    assert cal.elapsed(datetime(2026, 3, 8, tzinfo=NY), datetime(2026, 3, 9, tzinfo=NY)) == H
    assert cal.elapsed(datetime(2026, 11, 1, tzinfo=NY), datetime(2026, 11, 2, tzinfo=NY)) == 3 * H
    assert cal.elapsed(datetime(2026, 11, 8, tzinfo=NY), datetime(2026, 11, 9, tzinfo=NY)) == 2 * H


def test_hours_inside_dst_gap_give_no_business_time():
    # 02:30 does not exist that night; zoneinfo reads it with the old offset, i.e. after 03:00.
    cal = BusinessCalendar(CalendarSection(days=["sun"], hours=("02:30", "03:00"), country=""), "America/New_York")
    assert cal.elapsed(datetime(2026, 3, 8, tzinfo=NY), datetime(2026, 3, 9, tzinfo=NY)) == timedelta(0)
    assert cal.add(datetime(2026, 3, 8, tzinfo=NY), H) == datetime(2026, 3, 22, 3, tzinfo=NY)
    assert "clock change" in cal.explain(datetime(2026, 3, 8, tzinfo=NY), H)[1]


# -- elapsed ----------------------------------------------------------------


@pytest.mark.parametrize(
    "start,end,expected",
    [
        (mx(2026, 11, 27, 17), mx(2026, 11, 30, 10), 2 * H),
        (mx(2026, 11, 28, 0), mx(2026, 11, 29, 23), timedelta(0)),
        (mx(2026, 11, 24, 10), mx(2026, 11, 24, 10), timedelta(0)),
        (mx(2026, 11, 24, 12), mx(2026, 11, 24, 10), timedelta(0)),
        (mx(2026, 11, 24, 7), mx(2026, 11, 24, 20), 9 * H),
        (mx(2026, 9, 15, 0), mx(2026, 9, 18, 0), 18 * H),  # 16 Sep off
        (mx(2026, 11, 1), mx(2026, 12, 1), 20 * 9 * H),  # 21 weekdays less Revolution day
    ],
)
def test_elapsed(cal, start, end, expected):
    assert cal.elapsed(start, end) == expected


# -- explanations -----------------------------------------------------------


def test_explain_friday_to_monday(cal):
    assert cal.explain(mx(2026, 11, 27, 17, 30), 2 * H) == [
        "start 2026-11-27 17:30 Friday (America/Mexico_City), 2h to count",
        "2026-11-27 Friday 17:30: 0:30 counted until close 18:00",
        "2026-11-28 Saturday: closed (weekend)",
        "2026-11-29 Sunday: closed (weekend)",
        "2026-11-30 Monday: opens 09:00, 1:30 counted → 10:30",
        "deadline 2026-11-30 10:30 Monday (2026-11-30T16:30:00Z)",
    ]


def test_explain_after_close_and_holiday(cal):
    steps = cal.explain(mx(2026, 9, 15, 19), 2 * H)
    assert steps[1:4] == [
        "2026-09-15 Tuesday: already closed at 19:00 (closes 18:00)",
        "2026-09-16 Wednesday: closed (holiday: Día de la Independencia)",
        "2026-09-17 Thursday: opens 09:00, 2:00 counted → 11:00",
    ]


def test_deadline_report_year_end(cal):
    report = cal.deadline_report(datetime(2026, 12, 31, 23, tzinfo=UTC), 4 * H)
    assert report["start"] == {"local": "2026-12-31T17:00:00-06:00", "utc": "2026-12-31T23:00:00Z"}
    assert report["deadline"] == {"local": "2027-01-04T12:00:00-06:00", "utc": "2027-01-04T18:00:00Z"}
    assert report["business_time"] is True
    assert report["duration"] == "4h"
    assert report["timezone"] == "America/Mexico_City"
    assert report["closed_days"] == [
        {"date": "2027-01-01", "reason": "Año Nuevo", "kind": "holiday"},
        {"date": "2027-01-02", "reason": "weekend", "kind": "weekend"},
        {"date": "2027-01-03", "reason": "weekend", "kind": "weekend"},
    ]
    assert report["steps"][-2] == "2027-01-04 Monday: opens 09:00, 3:00 counted → 12:00"


def test_explain_full_days(cal):
    steps = cal.explain(mx(2026, 11, 23, 10), 24 * H)
    assert steps[1:4] == [
        "2026-11-23 Monday 10:00: 8:00 counted until close 18:00",
        "2026-11-24 Tuesday: opens 09:00, 9:00 counted until close 18:00",
        "2026-11-25 Wednesday: opens 09:00, 7:00 counted → 16:00",
    ]


@pytest.mark.parametrize(
    "td,text",
    [
        (2 * H, "2h"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (24 * H, "24h"),
        (timedelta(days=2), "48h"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=30), "30m"),
        (timedelta(hours=1, seconds=5), "1h5s"),
        (timedelta(milliseconds=1500), "1.5s"),
        (timedelta(0), "0s"),
        (-H, "-1h"),
    ],
)
def test_duration_text(td, text):
    assert duration_text(td) == text


# -- properties -------------------------------------------------------------

CALENDARS = [
    BusinessCalendar(CalendarSection(), "America/Mexico_City"),
    BusinessCalendar(
        CalendarSection(extra_closed=[date(2026, 3, 3)], extra_open=[date(2026, 3, 7)]), "America/Mexico_City"
    ),
    BusinessCalendar(CalendarSection(days=["sun", "mon"], hours=("01:00", "03:00"), country=""), "America/New_York"),
    BusinessCalendar(CalendarSection(hours=("00:00", "23:59"), country="ES"), "Europe/Madrid"),
]
ZONES = [MX, NY, MADRID, ZoneInfo("Asia/Kolkata"), UTC]

calendars = st.sampled_from(CALENDARS)
instants = st.datetimes(
    min_value=datetime(2019, 1, 1), max_value=datetime(2032, 12, 31), timezones=st.sampled_from(ZONES)
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=600))
positive = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(hours=600))
fast = settings(max_examples=150, deadline=None, database=None)


@fast
@given(calendars, instants, durations)
def test_elapsed_inverts_add(cal, start, d):
    assert cal.elapsed(start, cal.add(start, d)) == d


@fast
@given(calendars, instants, durations, durations)
def test_add_is_monotonic(cal, start, d1, d2):
    d1, d2 = sorted((d1, d2))
    assert start <= cal.add(start, d1) <= cal.add(start, d2)


@fast
@given(calendars, instants, positive)
def test_open_just_before_deadline(cal, start, d):
    assert cal.is_open(cal.add(start, d) - timedelta(microseconds=1))


@fast
@given(calendars, instants, durations, positive)
def test_add_composes(cal, start, d1, d2):
    assert cal.add(cal.add(start, d1), d2) == cal.add(start, d1 + d2)


@fast
@given(calendars, instants, instants, instants)
def test_elapsed_is_additive(cal, a, b, c):
    a, b, c = sorted((a, b, c))
    assert cal.elapsed(a, c) == cal.elapsed(a, b) + cal.elapsed(b, c)


@fast
@given(instants, durations)
def test_always_open_is_calendar_time(start, d):
    cal = BusinessCalendar(CalendarSection(always_open=True), "America/Mexico_City")
    # Aware datetime + timedelta is wall-clock arithmetic in Python; calendar time is absolute.
    assert cal.add(start, d) == start.astimezone(UTC) + d
    assert cal.elapsed(start, start.astimezone(UTC) + d) == d


@fast
@given(calendars, instants, durations)
def test_explain_ends_at_deadline(cal, start, d):
    report = cal.deadline_report(start, d)
    deadline = cal.add(start, d)
    assert report["deadline"]["utc"] == deadline.isoformat().replace("+00:00", "Z")
    assert datetime.fromisoformat(report["deadline"]["local"]) == deadline
    assert all(
        not cal.is_open(
            datetime.combine(date.fromisoformat(c["date"]), datetime.min.time(), cal.zone) + timedelta(hours=12)
        )
        for c in report["closed_days"]
    )
