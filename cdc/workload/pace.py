"""How fast a tenant's world goes on: its pace, the simulated clock, and repeat-draw urns.

The seeded world has a pace: so many orders, sessions and sign-ups a day, busier in the
evening and at weekends. The workload carries it on at that pace in *simulated* time, so
one hour of activity adds about one hour of orders (revenue keeps the day's shape), and an
order moves from pending to processing to completed over hours of simulated time, as the
seeder's lags say. A time scale compresses the clock (tests and benchmarks); with no time
scale the clock jumps to the next due thing at each step (as fast as the database allows).
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

from seeding import distributions as D

SECONDS_PER_DAY = 86_400.0
_HOURS = tuple(w / (sum(D.HOUR_WEIGHTS) / len(D.HOUR_WEIGHTS)) for w in D.HOUR_WEIGHTS)
_WEEKDAYS = tuple(w / (sum(D.WEEKDAY_FACTORS) / len(D.WEEKDAY_FACTORS)) for w in D.WEEKDAY_FACTORS)


#: The busiest moment's shape: arrivals are drawn at this rate and thinned to the moment's.
PEAK_SHAPE = max(_HOURS) * max(_WEEKDAYS)


def shape(at: float) -> float:
    """Relative busyness at epoch second ``at``: hour of day × weekday (mean 1 over a week)."""
    moment = dt.datetime.fromtimestamp(at, dt.UTC)
    return _HOURS[moment.hour] * _WEEKDAYS[moment.weekday()]


@dataclass(frozen=True)
class Pace:
    """Arrivals per simulated day for one tenant (measured from its recent history)."""

    orders: float
    sessions: float
    customers: float
    subscriptions: float
    invoices: float

    @classmethod
    def measured(cls, counts: tuple[int, ...], days: int) -> Pace:
        """From counts over the last ``days`` days; a tenant without history gets the fallback pace."""
        fallback = D.WORKLOAD_FALLBACK_PER_DAY
        names = ("orders", "sessions", "customers", "subscriptions", "invoices")
        if not counts[0]:
            return cls(**{name: fallback[name] for name in names})
        return cls(**{name: n / days for name, n in zip(names, counts, strict=True)})

    @property
    def untracked_orders(self) -> float:
        """Orders without a web session: all orders minus those the sessions convert."""
        return max(0.0, self.orders - self.sessions * D.session_conversion())


class Clock:
    """Simulated epoch seconds: real time × ``scale`` from the start, or stepped (``scale=None``)."""

    def __init__(self, scale: float | None) -> None:
        if scale is not None and not (math.isfinite(scale) and scale > 0):
            raise ValueError("the time scale must be a positive number")
        self.scale = scale
        self.origin = time.time()
        self._started = time.monotonic()
        self._now = self.origin

    def now(self) -> float:
        if self.scale is None:
            return self._now
        return self.origin + (time.monotonic() - self._started) * self.scale

    def advance_to(self, at: float) -> None:
        """Stepped clock: jump forward to ``at`` (never back)."""
        self._now = max(self._now, at)


@dataclass(order=True)
class Due:
    """A thing to do at simulated time ``at`` (an arrival or a scheduled lifecycle step)."""

    at: float
    seq: int
    kind: str = field(compare=False)
    payload: Any = field(compare=False, default=None)


class Agenda:
    """A tenant's due things, earliest first."""

    def __init__(self) -> None:
        self._heap: list[Due] = []
        self._seq = 0

    def add(self, at: float, kind: str, payload: Any = None) -> None:
        self._seq += 1
        heapq.heappush(self._heap, Due(at, self._seq, kind, payload))

    def peek(self) -> Due | None:
        return self._heap[0] if self._heap else None

    def pop(self) -> Due:
        return heapq.heappop(self._heap)

    def __len__(self) -> int:
        return len(self._heap)


class Urn:
    """Draws items in proportion to (past draws + smoothing): repeat buyers and bestsellers stay so.

    ``tickets`` holds one entry per past order (or sale); a draw takes a ticket with
    probability ``tickets / (tickets + smoothing × items)``, else any item uniformly. The
    oldest tickets are dropped beyond ``max_tickets`` (memory stays bounded, old loyalty fades).
    """

    def __init__(self, rng: random.Random, smoothing: float = D.WORKLOAD_REPEAT_SMOOTHING,
                 max_tickets: int = 200_000) -> None:
        self.rng = rng
        self.smoothing = smoothing
        self.max_tickets = max_tickets
        self.items: list[Any] = []
        self.tickets: list[int] = []

    def add(self, item: Any, count: int = 0) -> int:
        self.items.append(item)
        index = len(self.items) - 1
        self.tickets.extend([index] * count)
        return index

    def draw(self) -> int:
        """An item's index (the urn must not be empty)."""
        weight = len(self.tickets)
        if weight and self.rng.random() * (weight + self.smoothing * len(self.items)) < weight:
            return self.tickets[self.rng.randrange(weight)]
        return self.rng.randrange(len(self.items))

    def hit(self, index: int) -> None:
        self.tickets.append(index)
        if len(self.tickets) > self.max_tickets:
            del self.tickets[: len(self.tickets) - self.max_tickets]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Any:
        return self.items[index]
