"""Business time: the attention deadlines of the support terms are counted in
business hours (Mon-Fri 09:00-18:00 local, statutory rest days off), not in
calendar time.

Every business day is one interval [open, close) of local wall time, turned
into UTC with zoneinfo *per day*, so offset changes (DST, or Mexico dropping
DST in 2022) fall between intervals and never inside the arithmetic. Counting
is done on those UTC intervals, one day at a time, so it is exact to the
microsecond and a duration of hundreds of hours costs a few dozen steps.

Each day's verdict (closed and why, or its UTC opening interval) is worked
out once and kept, and ``elapsed`` over a long span adds whole days from a
running sum of business microseconds per day: the board asks for thousands of
spans per render, most of them weeks long.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from mailbot.config import CalendarSection

__all__ = ["BusinessCalendar", "duration_text"]

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)
_US = timedelta(microseconds=1)
# Days whose verdict is kept (about 270 years); beyond that they are worked out each time.
_CACHED_DAYS = 100_000
# ``elapsed`` clips this many days at each end of a span to [start, end) and takes the days
# between from the running sum: those lie wholly inside the span (see ``elapsed``).
_EDGE_DAYS = 3
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The explanations are for ops, in the CLI's language (English); client mail has its own Spanish texts.
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def duration_text(td: timedelta) -> str:
    """Short text for a duration: "2h", "1h30m", "24h", "1m30s", "0s".

    Hours are not folded into days: in business time a "day" is ambiguous.
    """
    if td < timedelta(0):
        return "-" + duration_text(-td)
    total_us = td // timedelta(microseconds=1)
    hours, rest = divmod(total_us, 3600 * 10**6)
    minutes, rest = divmod(rest, 60 * 10**6)
    seconds, micros = divmod(rest, 10**6)
    parts = [f"{hours}h"] if hours else []
    if minutes:
        parts.append(f"{minutes}m")
    if seconds or micros:
        frac = f".{micros:06d}".rstrip("0") if micros else ""
        parts.append(f"{seconds}{frac}s")
    return "".join(parts) or "0s"


def _clock(td: timedelta) -> str:
    """H:MM (H:MM:SS when needed) for the explanation lines."""
    secs = td.total_seconds()
    h, rest = divmod(int(secs), 3600)
    m, s = divmod(rest, 60)
    text = f"{h}:{m:02d}"
    if s or td.microseconds:
        text += f":{s:02d}" + (f".{td.microseconds:06d}".rstrip("0") if td.microseconds else "")
    return text


@dataclass(frozen=True)
class _Day:
    """One local day as seen by the counting walk."""

    day: date
    closed: str | None = None  # why the whole day is closed
    kind: str | None = None  # holiday / weekend / closed_weekday / extra_closed
    opens: datetime | None = None  # UTC
    closes: datetime | None = None  # UTC
    begin: datetime | None = None  # UTC, counted part of the day
    end: datetime | None = None


class BusinessCalendar:
    def __init__(self, calendar: CalendarSection, timezone: str):
        self.config = calendar
        self.always_open = calendar.always_open
        self.zone = ZoneInfo(timezone)
        self.zone_name = timezone
        self._open_weekdays = frozenset(_WEEKDAYS.index(d) for d in calendar.days)
        self._opens = time.fromisoformat(calendar.hours[0])
        self._closes = time.fromisoformat(calendar.hours[1])
        self._extra_closed = frozenset(calendar.extra_closed)
        self._extra_open = frozenset(calendar.extra_open)
        both = self._extra_closed & self._extra_open
        if both:
            raise ValueError(f"dates both in extra_closed and extra_open: {sorted(both)}")
        # Without any open weekday the walk would end only at the last extra_open day.
        self._last_open = None if self._open_weekdays else max(self._extra_open, default=date.min)
        self._holidays: dict[int, dict[date, str]] = {}
        # date -> (closed reason and kind, or None; opens UTC; closes UTC): see ``_day``.
        self._day_cache: dict[date, tuple[tuple[str, str] | None, datetime | None, datetime | None]] = {}
        # (first ordinal, sums): sums[i] is the business time, in microseconds, of the whole days
        # from that first ordinal up to (not including) first + i. Replaced whole, never changed in place.
        self._sums: tuple[int, list[int]] | None = None
        if calendar.country:
            self._year_holidays(date.today().year)  # an unknown country fails here, not mid-SLA

    @classmethod
    def from_settings(cls, settings) -> BusinessCalendar:
        return cls(settings.calendar, settings.mailbot.timezone)

    # -- days ---------------------------------------------------------------

    def _year_holidays(self, year: int) -> dict[date, str]:
        found = self._holidays.get(year)
        if found is None:
            # Only the "public" category: for MX that is exactly the LFT art. 74
            # rest days; optional/observance days are working days.
            try:
                table = holidays.country_holidays(
                    self.config.country, years=year, language="es", categories=(holidays.PUBLIC,)
                )
            except NotImplementedError:
                raise ValueError(f"no holiday calendar for country {self.config.country!r}") from None
            found = self._holidays[year] = dict(table)
        return found

    def rest_days(self, year: int) -> dict[date, str]:
        """The statutory rest days of a year, date -> name (Spanish)."""
        return dict(sorted(self._year_holidays(year).items())) if self.config.country else {}

    def closed_reason(self, day: date) -> tuple[str, str] | None:
        """(reason, kind) when the whole day is closed, None for a business day."""
        if day in self._extra_open:
            return None
        if day in self._extra_closed:
            return "extra_closed", "extra_closed"
        if self.config.country:
            name = self._year_holidays(day.year).get(day)
            if name:
                return name, "holiday"
        if day.weekday() not in self._open_weekdays:
            return ("weekend", "weekend") if day.weekday() >= 5 else ("closed weekday", "closed_weekday")
        return None

    def _hours(self, day: date) -> tuple[datetime, datetime]:
        opens = datetime.combine(day, self._opens, self.zone).astimezone(UTC)
        closes = datetime.combine(day, self._closes, self.zone).astimezone(UTC)
        return opens, closes  # may be empty if a DST gap swallows the hours

    def _day(self, day: date) -> tuple[tuple[str, str] | None, datetime | None, datetime | None]:
        """(closed reason and kind, None, None) for a closed day, (None, opens, closes) in UTC for a business day.

        Kept per date: the calendar never changes once built (a reload builds a new one).
        """
        found = self._day_cache.get(day)
        if found is None:
            closed = self.closed_reason(day)
            found = (closed, None, None) if closed else (None, *self._hours(day))
            if len(self._day_cache) < _CACHED_DAYS:
                self._day_cache[day] = found
        return found

    def _business_us(self, ordinal: int) -> int:
        """A whole day's business time, in microseconds."""
        closed, opens, closes = self._day(date.fromordinal(ordinal))
        if closed or closes <= opens:
            return 0
        return (closes - opens) // _US

    def _whole_days(self, first: int, last: int) -> int | None:
        """Business microseconds of the whole days ``first``..``last`` (ordinals, inclusive);
        None when that would keep more than ``_CACHED_DAYS`` days of sums."""
        base, sums = self._sums or (first, [0])
        end = last + 1
        if first < base or end > base + len(sums) - 1:
            lo, hi = min(first, base), max(end, base + len(sums) - 1)
            if hi - lo > _CACHED_DAYS:
                return None
            # Days before the current first one, then the current sums shifted by their total.
            before = [0]
            for o in range(lo, base):
                before.append(before[-1] + self._business_us(o))
            shift = before.pop()
            grown = before + [shift + v for v in sums]
            for o in range(base + len(sums) - 1, hi):
                grown.append(grown[-1] + self._business_us(o))
            base, sums = lo, grown
            self._sums = (base, sums)
        return sums[end - base] - sums[first - base]

    def _days(self, first: date) -> Iterator[_Day]:
        day = first
        while True:
            if self._last_open is not None and day > self._last_open:
                raise ValueError("the calendar has no business time after " + str(self._last_open))
            closed, opens, closes = self._day(day)
            if closed:
                yield _Day(day, closed=closed[0], kind=closed[1])
            else:
                yield _Day(day, opens=opens, closes=closes)
            day += _ONE_DAY

    def _local_date(self, dt: datetime) -> date:
        return dt.astimezone(self.zone).date()

    # -- public API ---------------------------------------------------------

    def is_open(self, dt: datetime) -> bool:
        dt = _aware(dt)
        if self.always_open:
            return True
        closed, opens, closes = self._day(self._local_date(dt))
        if closed:
            return False
        return opens <= dt < closes

    def _walk(self, start: datetime, duration: timedelta) -> Iterator[_Day]:
        """The days visited while counting; the last one's ``end`` is the deadline."""
        cur = start
        remaining = duration
        for d in self._days(self._local_date(start)):
            if d.closed or d.closes <= cur or d.closes <= d.opens:
                yield d
                continue
            begin = max(cur, d.opens)
            if remaining <= d.closes - begin:
                yield replace(d, begin=begin, end=begin + remaining)
                return
            remaining -= d.closes - begin
            yield replace(d, begin=begin, end=d.closes)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant (UTC) at which ``duration`` of business time has elapsed
        since ``start``; a start outside business hours waits for the next opening."""
        start = _aware(start).astimezone(UTC)
        if duration < timedelta(0):
            raise ValueError("duration must not be negative")
        if self.always_open:
            return start + duration
        for d in self._walk(start, duration):
            last = d
        return last.end

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two instants (zero if ``end <= start``)."""
        start = _aware(start).astimezone(UTC)
        end = _aware(end).astimezone(UTC)
        if end <= start:
            return timedelta(0)
        if self.always_open:
            return end - start
        first = self._local_date(start).toordinal()
        last = self._local_date(end).toordinal()
        # A day at least _EDGE_DAYS local days after start's (before end's) opens at least 48 wall-clock
        # hours after start (closes as long before end): more than any change of UTC offset, so its
        # whole interval lies in [start, end) and counts whole, from the running sum.
        whole = None
        if last - first > 2 * _EDGE_DAYS:
            whole = self._whole_days(first + _EDGE_DAYS, last - _EDGE_DAYS)
        if whole is None:
            return self._clipped(range(first, last + 1), start, end)
        return (
            self._clipped(range(first, first + _EDGE_DAYS), start, end)
            + timedelta(microseconds=whole)
            + self._clipped(range(last - _EDGE_DAYS + 1, last + 1), start, end)
        )

    def _clipped(self, ordinals: range, start: datetime, end: datetime) -> timedelta:
        """Business time of these days (ordinals) within [start, end)."""
        total = _ZERO
        for o in ordinals:
            closed, opens, closes = self._day(date.fromordinal(o))
            if not closed:
                overlap = min(closes, end) - max(opens, start)
                if overlap > _ZERO:
                    total += overlap
        return total

    # -- explanations -------------------------------------------------------

    def _fmt(self, dt: datetime, with_date: bool = True) -> str:
        local = dt.astimezone(self.zone)
        hm = local.strftime("%H:%M") + (f":{local.second:02d}" if local.second or local.microsecond else "")
        return f"{local:%Y-%m-%d} {hm} {_DAY_NAMES[local.weekday()]}" if with_date else hm

    def explain(self, start: datetime, duration: timedelta) -> list[str]:
        """How the deadline is reached, one line per day, in local time."""
        return self._report(start, duration)[0]

    def deadline_report(self, start: datetime, duration: timedelta) -> dict:
        steps, deadline, closed_days = self._report(start, duration)
        start = _aware(start)
        return {
            "start": {"local": start.astimezone(self.zone).isoformat(), "utc": _iso_utc(start)},
            "duration": duration_text(duration),
            "timezone": self.zone_name,
            "business_time": not self.always_open,
            "deadline": {"local": deadline.astimezone(self.zone).isoformat(), "utc": _iso_utc(deadline)},
            "steps": steps,
            "closed_days": closed_days,
        }

    def _report(self, start: datetime, duration: timedelta):
        start = _aware(start).astimezone(UTC)
        deadline = self.add(start, duration)
        steps = [f"start {self._fmt(start)} ({self.zone_name}), {duration_text(duration)} to count"]
        closed_days: list[dict] = []
        if self.always_open:
            steps.append(f"always open: calendar time, deadline {self._fmt(deadline)}")
            return steps, deadline, closed_days
        for d in self._walk(start, duration):
            day = f"{d.day:%Y-%m-%d} {_DAY_NAMES[d.day.weekday()]}"
            if d.closed:
                label = d.closed if d.kind in ("weekend", "extra_closed", "closed_weekday") else f"holiday: {d.closed}"
                steps.append(f"{day}: closed ({label})")
                closed_days.append({"date": d.day.isoformat(), "reason": d.closed, "kind": d.kind})
            elif d.closes <= d.opens:
                steps.append(f"{day}: no business time (the clock change swallows the hours)")
            elif d.begin is None:
                steps.append(
                    f"{day}: already closed at {self._fmt(start, False)} (closes {self._fmt(d.closes, False)})"
                )
            else:
                counted = _clock(d.end - d.begin)
                if d.begin == d.opens:
                    head = f"{day}: opens {self._fmt(d.opens, False)}, {counted} counted"
                else:
                    head = f"{day} {self._fmt(d.begin, False)}: {counted} counted"
                if d.end == deadline:
                    steps.append(f"{head} → {self._fmt(d.end, False)}")
                else:
                    steps.append(f"{head} until close {self._fmt(d.closes, False)}")
        steps.append(f"deadline {self._fmt(deadline)} ({_iso_utc(deadline)})")
        return steps, deadline, closed_days


def _aware(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt!r}: business time needs an aware datetime")
    return dt


def _iso_utc(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")
