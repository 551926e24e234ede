"""Five-field cron schedules (`minute hour day-of-month month day-of-week`), as Kubernetes CronJobs read them.

Fields take `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, month and weekday names
(`jan`, `mon`), and 7 for Sunday; `@hourly`, `@daily`/`@midnight`, `@weekly`, `@monthly`,
`@yearly`/`@annually` stand for their usual expressions. When both day fields are restricted, a day
matches either (classic cron). Times are wall-clock times in the given zone (local time by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, start=1)}
_DAYS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_SEARCH_LIMIT = 5 * 366 * 24 * 60  # minutes: far enough for any valid expression (Feb 29 on a Monday…)


class CronError(ValueError):
    """The expression is not a valid five-field schedule."""


@dataclass(frozen=True)
class Schedule:
    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str) -> Schedule:
        text = _MACROS.get(expression.strip().lower(), expression)
        fields = text.split()
        if len(fields) != 5:
            raise CronError(
                f"{expression!r} needs 5 fields (minute hour day month weekday), not {len(fields)}"
            )
        minute, hour, day, month, weekday = fields
        weekdays = _field(weekday, 0, 7, _DAYS, "day of week")
        return cls(
            expression,
            _field(minute, 0, 59, {}, "minute"),
            _field(hour, 0, 23, {}, "hour"),
            _field(day, 1, 31, {}, "day of month"),
            _field(month, 1, 12, _MONTHS, "month"),
            frozenset(d % 7 for d in weekdays),
            day.strip() in ("*", "?"),
            weekday.strip() in ("*", "?"),
        )

    def _day_matches(self, moment: datetime) -> bool:
        day_ok = moment.day in self.days
        weekday_ok = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok

    def _matches(self, moment: datetime) -> bool:
        return (
            moment.minute in self.minutes
            and moment.hour in self.hours
            and moment.month in self.months
            and self._day_matches(moment)
        )

    def next_after(self, moment: datetime) -> datetime | None:
        """The first matching minute strictly after `moment` (wall-clock time in its zone; a naive moment is
        local time), or None if none exists."""
        zone = moment.tzinfo
        t = moment.replace(second=0, microsecond=0, tzinfo=None) + timedelta(minutes=1)
        for _ in range(_SEARCH_LIMIT):
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            elif not self._day_matches(t):
                t = t.replace(hour=0, minute=0) + timedelta(days=1)
            elif t.hour not in self.hours:
                t = t.replace(minute=0) + timedelta(hours=1)
            elif t.minute not in self.minutes:
                t += timedelta(minutes=1)
            else:
                return t.replace(tzinfo=zone)
            if t.year > moment.year + 5:
                return None
        return None

    def latest_due(self, after: float, now: float, zone: tzinfo | None) -> float | None:
        """The last scheduled time in (after, now], as a timestamp; None if nothing fell due. Long gaps
        (a laptop asleep for a week) give one run for the latest time, never a burst of missed ones."""
        start = datetime.fromtimestamp(after, zone)  # naive local time when no zone: DST-correct timestamps
        latest: float | None = None
        moment: datetime | None = start
        for _ in range(10_000):
            moment = self.next_after(moment) if moment is not None else None
            if moment is None or moment.timestamp() > now:
                return latest
            latest = moment.timestamp()
        # Too many missed times to walk: step back from now instead.
        back = datetime.fromtimestamp(now, zone).replace(second=0, microsecond=0)
        for _ in range(_SEARCH_LIMIT):
            if back.timestamp() <= after:
                return latest
            if self._matches(back):
                return back.timestamp()
            back -= timedelta(minutes=1)
        return latest


def _field(text: str, low: int, high: int, names: dict[str, int], what: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        base, _, step_text = part.partition("/")
        step = _number(step_text, names={}, what=what) if step_text else 1
        if step < 1:
            raise CronError(f"{what}: step must be at least 1 in {part!r}")
        if base in ("*", "?"):
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _number(a, names, what), _number(b, names, what)
        else:
            first = _number(base, names, what)
            last = high if step_text else first
        if not (low <= first <= high and low <= last <= high) or first > last:
            raise CronError(f"{what}: {part!r} is outside {low}-{high}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _number(text: str, names: dict[str, int], what: str) -> int:
    if text in names:
        return names[text]
    if not text.isdigit():
        raise CronError(f"{what}: {text!r} is not a number")
    return int(text)
