"""Collection against the annual quota, and valid-report rates (DOMAIN §6), in SQL.

Collection counts the reports of the inspector and video channels (the quota's scope); a
report is valid once it was filed (立案): valid-report rate = filed ÷ reports. Reports still
waiting for a decision are counted and shown as pending.
"""

import datetime as dt
import math
import statistics
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.utils import timezone

from urbanmgmt.cases import worktime
from urbanmgmt.cases.models import Case, State
from urbanmgmt.grids.models import Area
from urbanmgmt.kpi import daily
from urbanmgmt.kpi.models import AnnualQuota, Campaign
from urbanmgmt.kpi.scope import COLLECT_CHANNELS, day_start
from urbanmgmt.kpi.sql import LocalDate
from urbanmgmt.org.names import area_names, person_names

COUNTS = {
    "reports": Count("id"),
    "filed": Count("id", filter=Q(filed_at__isnull=False)),
    "rejected": Count("id", filter=Q(state=State.REJECTED)),
    "pending": Count("id", filter=Q(state=State.REPORTED)),
}
# What a breakdown groups by: the field, and the field that names a row.
BREAKDOWNS = {
    "channel": ("channel", None),
    "inspector": ("reporter__username", "reporter__first_name"),
    "grid": ("grid__code", None),
    "community": ("community__code", "community__name"),
    "street": ("street__code", "street__name"),
    "month": ("month", None),
}
# The states of the cases each column counts (filed: every state a filed case can reach), so
# that each figure of a row opens exactly its cases; the map shows only open cases unless told.
COLUMN_STATES = {
    "reports": tuple(State.values),
    "filed": tuple(s for s in State.values if s not in (State.REPORTED, State.REJECTED)),
    "rejected": (State.REJECTED,),
    "pending": (State.REPORTED,),
}
# The case list filter that shows the cases behind a row.
DRILL = {"channel": "channel", "inspector": "reporter", "grid": "grid", "community": "community", "street": "street"}


def collected(start: dt.datetime, end: dt.datetime, area: Area | None = None):
    """The collector reports (inspector + video) made in [start, end), in an area if given."""
    cases = Case.objects.filter(channel__in=COLLECT_CHANNELS, reported_at__gte=start, reported_at__lt=end)
    if area is not None:
        cases = cases.filter(**{area.level: area})
    return cases


def rate(filed: int, reports: int) -> float | None:
    return round(filed / reports, 4) if reports else None


def valid_rates(start: dt.datetime, end: dt.datetime, by: str, area: Area | None = None) -> list[dict]:
    """Reports, filed, rejected, pending and the valid-report rate per `by`, with the case
    list URL behind each row: for the city from the stored days (kpi/daily.py), for an area
    in one query."""
    if by == "month":
        per_month: dict = {}
        for day, numbers in _days(start, end, area).items():
            daily.add(per_month, {day.isoformat()[:7]: numbers})
        found = per_month
    elif area is None:
        found = daily.figures(f"valid:{by}", _valid_counts(by), start, end, len(COUNTS))
    else:
        found = _valid_counts(by, area)(start, end)
    labels = _labels(by, list(found))
    out = []
    for value in sorted(found):
        numbers = dict(zip(COUNTS, found[value], strict=True))
        url = _cases_url(start, end, by, value, area)
        out.append({"key": value, "label": labels.get(value) or value, **numbers,
                    "valid_rate": rate(numbers["filed"], numbers["reports"]), "cases_url": url,
                    "cases_urls": {column: f"{url}&{urlencode({'state': ','.join(states)})}"
                                   for column, states in COLUMN_STATES.items()}})
    return out


def _valid_counts(by: str, area: Area | None = None):
    """The counting behind valid_rates (not by month): [start, end) → {key: COUNTS numbers}."""
    key = BREAKDOWNS[by][0]

    def compute(start: dt.datetime, end: dt.datetime) -> dict[str, tuple]:
        cases = collected(start, end, area)
        if by == "inspector":  # per inspector: video reports have none and stay in the channel view
            cases = cases.filter(reporter__isnull=False)
        rows = cases.values(key).annotate(**COUNTS).order_by()
        return {str(row[key]): tuple(row[name] for name in COUNTS) for row in rows}
    return compute


def _days(start: dt.datetime, end: dt.datetime, area: Area | None) -> dict[dt.date, tuple]:
    """Per local day of [start, end) (whole days) with any: the COUNTS numbers of its collector
    reports (both channels)."""
    zone = worktime.tz()
    first, last = start.astimezone(zone).date(), (end.astimezone(zone) - dt.timedelta(microseconds=1)).date()
    if area is None:
        per_channel = daily.by_day("valid:channel", _valid_counts("channel"), first, last, len(COUNTS))
        return {day: tuple(map(sum, zip(*figures.values(), strict=True))) for day, figures in per_channel.items()}
    rows = collected(start, end, area).annotate(d=LocalDate("reported_at")).values("d").annotate(**COUNTS).order_by()
    return {row["d"]: tuple(row[name] for name in COUNTS) for row in rows}


def _labels(by: str, keys: list[str]) -> dict[str, str]:
    """What names each row (an inspector's name, a community's or street's name)."""
    if by == "inspector":
        return person_names(keys)
    if by in ("community", "street"):
        return area_names(keys, by)
    return {}


def cases_url(**params) -> str:
    """The case list (API) filtered by `params`; empty values are left out."""
    return "/api/v1/cases/?" + urlencode({k: v for k, v in params.items() if v})


def next_month(first: dt.date) -> dt.date:
    """The first day of the month after the one `first` lies in."""
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _cases_url(start, end, by, value, area) -> str:
    params = {"reported_after": start.isoformat(), "reported_before": end.isoformat(),
              "channel": ",".join(COLLECT_CHANNELS)}
    if by == "month":
        first = dt.date.fromisoformat(value + "-01")
        params.update(reported_after=max(start, day_start(first)).isoformat(),
                      reported_before=min(end, day_start(next_month(first))).isoformat())
    else:
        params[DRILL[by]] = value
    if area is not None:
        params[area.level] = area.code
    return cases_url(**params)


@dataclass
class Progress:
    """Where the year stands against its quota, as of a day."""

    year: int
    as_of: dt.date
    quota: int
    valid_rate_target: float
    collected: int
    filed: int
    pending: int
    valid_rate: float | None
    working_days_total: int
    working_days_elapsed: int
    working_days_remaining: int
    expected_by_now: int
    needed_per_working_day: float
    pace_per_working_day: float
    projection: int
    projection_low: int
    projection_high: int
    method: str

    @property
    def on_pace(self) -> bool:
        return self.projection >= self.quota

    def as_dict(self) -> dict:
        return {**self.__dict__, "as_of": self.as_of.isoformat(), "on_pace": self.on_pace,
                "share_of_quota": round(self.collected / self.quota, 4) if self.quota else None}


def quota_progress(year: int, area: Area | None = None, as_of: dt.date | None = None) -> Progress:
    """Collection so far against the year's quota: the pace needed per remaining working
    day, and a projection to year end — seasonal, from last year's monthly profile when
    there is one, else linear in working days — with a 95 % range."""
    quota = AnnualQuota.objects.filter(year=year, area=area).first()
    if quota is None:
        raise AnnualQuota.DoesNotExist(f"no quota for {year} {area or 'city'}")
    as_of = as_of or timezone.localdate()
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    as_of = min(max(as_of, first - dt.timedelta(days=1)), last)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    workdays = [d for d in days if worktime.is_workday(d)]
    elapsed = [d for d in workdays if d <= as_of]
    remaining = len(workdays) - len(elapsed)
    days = _days(day_start(first), day_start(as_of + dt.timedelta(days=1)), area)
    counts = dict(zip(COUNTS, map(sum, zip(*days.values(), strict=True)), strict=True)) if days else dict.fromkeys(COUNTS, 0)
    done = counts["reports"]
    reports = {day: numbers[0] for day, numbers in days.items()}
    projection, low, high, method, share = _project(year, area, as_of, done, reports, elapsed, remaining)
    return Progress(
        year=year, as_of=as_of, quota=quota.collection_total, valid_rate_target=float(quota.valid_rate),
        collected=done, filed=counts["filed"], pending=counts["pending"], valid_rate=rate(counts["filed"], done),
        working_days_total=len(workdays), working_days_elapsed=len(elapsed), working_days_remaining=remaining,
        expected_by_now=round(quota.collection_total * share),
        needed_per_working_day=round(max(0, quota.collection_total - done) / remaining, 1) if remaining else 0.0,
        pace_per_working_day=round(done / len(elapsed), 1) if elapsed else 0.0,
        projection=projection, projection_low=low, projection_high=high, method=method,
    )


def _project(year, area, as_of, done, reports: dict[dt.date, int], elapsed, remaining):
    """(projection, low, high, method, expected share of the year done by now); `reports`:
    this year's reports per day so far."""
    last_year = _days(day_start(dt.date(year - 1, 1, 1)), day_start(dt.date(year, 1, 1)), area)
    previous = _monthly({day: numbers[0] for day, numbers in last_year.items()})
    if len(previous) >= 11 and sum(previous.values()):
        return _seasonal(year, as_of, done, previous, reports)
    total_wd = len(elapsed) + remaining
    if not elapsed:
        return done, done, done, "linear", 0.0
    per_day = [reports.get(d, 0) for d in elapsed]
    pace = done / len(elapsed)
    projection = done + pace * remaining
    spread = 1.96 * (statistics.pstdev(per_day) if len(per_day) > 1 else math.sqrt(pace)) * math.sqrt(remaining)
    return (round(projection), max(done, round(projection - spread)), round(projection + spread), "linear",
            len(elapsed) / total_wd)


def _seasonal(year, as_of, done, previous: dict[int, int], reports: dict[dt.date, int]):
    total = sum(previous.values())
    month_days = (dt.date(year + (as_of.month == 12), as_of.month % 12 + 1, 1) - dt.timedelta(days=1)).day
    share = (sum(previous.get(m, 0) for m in range(1, as_of.month))
             + previous.get(as_of.month, 0) * as_of.day / month_days) / total
    if share <= 0:
        return done, done, done, "seasonal", 0.0
    ratio = done / (total * share)  # this year against last, so far
    rest = total * (1 - share)
    current = _monthly({day: n for day, n in reports.items() if day < dt.date(year, as_of.month, 1)})
    ratios = [current.get(m, 0) / previous[m] for m in range(1, as_of.month) if previous.get(m)]
    spread = 1.96 * statistics.stdev(ratios) / math.sqrt(len(ratios)) if len(ratios) >= 2 else 0.25 * ratio
    projection = done + rest * ratio
    return (round(projection), round(done + rest * max(0.0, ratio - spread)), round(done + rest * (ratio + spread)),
            "seasonal", share)


def _monthly(reports: dict[dt.date, int]) -> dict[int, int]:
    months: dict[int, int] = {}
    for day, n in reports.items():
        if n:
            months[day.month] = months.get(day.month, 0) + n
    return months


def campaign_progress(start: dt.datetime, end: dt.datetime, area: Area | None = None) -> list[dict]:
    """The campaigns running in [start, end): collector reports of their categories, in
    their area, during their own period, against their target."""
    campaigns = (Campaign.objects.filter(starts_on__lt=end.date() + dt.timedelta(days=1), ends_on__gte=start.date())
                 .select_related("area").prefetch_related("categories"))
    if area is not None:
        campaigns = campaigns.filter(Q(area__isnull=True) | Q(area=area))
    out = []
    for campaign in campaigns:
        codes = [c.service_code for c in campaign.categories.all()]
        begin, finish = day_start(campaign.starts_on), day_start(campaign.ends_on + dt.timedelta(days=1))
        cases = collected(begin, finish, campaign.area or area).filter(category__service_code__in=codes)
        count = cases.count()
        params = {"reported_after": begin.isoformat(), "reported_before": finish.isoformat(),
                  "channel": ",".join(COLLECT_CHANNELS), "category": ",".join(codes)}
        if campaign.area or area:
            target_area = campaign.area or area
            params[target_area.level] = target_area.code
        out.append({"name": campaign.name, "starts_on": campaign.starts_on, "ends_on": campaign.ends_on,
                    "area": campaign.area.name if campaign.area else None, "categories": codes,
                    "target_count": campaign.target_count, "count": count,
                    "share": round(count / campaign.target_count, 4) if campaign.target_count else None,
                    "cases_url": cases_url(**params)})
    return out
