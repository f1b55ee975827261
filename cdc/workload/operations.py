"""What each operation writes: one method per kind of work, run inside one transaction.

Each returns ``(effects, on_commit)``: the row changes (from ``rowcount``) for the ledger and
what to remember once the transaction committed. Shapes and words follow the seeder (see
``seeding/generators``): funnel sessions and their payloads, order lines with quantities and
discounts, order and invoice numbers, channels, plans. A mixin of :class:`~cdc.workload.simulator.Simulator`,
which provides the random streams, the clock and the scheduling.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from cdc.workload.pace import SECONDS_PER_DAY
from cdc.workload.state import (
    T_CUSTOMER,
    T_EVENT,
    T_INVOICE,
    T_ITEM,
    T_ORDER,
    T_PRODUCT,
    T_SUB,
    ProductRef,
    TenantState,
    discard,
    money,
    track,
)
from seeding import distributions as D

Effects = dict[str, dict[str, int]]
OpResult = tuple[Effects, Callable[[], None]]
FIRST_NAMES = ("Ann", "Bo", "Chloë", "D'Arcy", "Émile", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kwame", "Lucía")
LAST_NAMES = ("O'Neil", "Smith", "Ng", "García", "Müller", "Okafor", "Kowalski", "Dubois", "Tanaka", "Rossi")
AGENTS = ("Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Mozilla/5.0 (Linux; Android 14)")


class Operations:
    """The operations; the attributes they use come from the simulator."""

    rng: Any
    np: Any
    clock: Any
    _sql: Any
    enabled: Callable[[str], bool]

    # -- customers and products -----------------------------------------------------------
    def _insert_customers(self, cursor: Any, s: TenantState, count: int, *, test_share: float) -> OpResult:
        ids, emails, firsts, lasts, phones, metas, made = [], [], [], [], [], [], []
        for _ in range(count):
            cid = self._id()
            test = self.rng.random() < test_share
            first, last = self._pick(FIRST_NAMES), self._pick(LAST_NAMES)
            domain = self._weighted(D.EMAIL_DOMAINS)
            domain = f"{str(s.tenant_id)[:8]}.example.com" if domain == "company" else domain
            ids.append(str(cid))
            emails.append(f"{first.lower()}.{cid.hex[-10:]}@{domain}".replace("'", ""))
            firsts.append(first)
            lasts.append(last)
            phones.append(None if self.rng.random() < D.PHONE_MISSING_SHARE
                          else f"+1-{self.rng.randrange(201, 990)}-{self.rng.randrange(1000):03d}-"
                               f"{self.rng.randrange(10000):04d}")
            meta: dict[str, Any] = {"test": True} if test else {
                "age_group": self._weighted(D.AGE_GROUPS), "gender": self._weighted(D.GENDERS),
                "acquisition_channel": self._weighted(D.ACQUISITION_CHANNELS),
                "contact_preference": self._weighted(D.CONTACT_PREFERENCES),
                "newsletter": self.rng.random() < D.NEWSLETTER_SHARE}
            metas.append(json.dumps(meta))
            made.append((cid, test))
        cursor.execute(self._sql.insert_customers, [s.tenant_id, ids, emails, firsts, lasts, phones, metas])
        inserted = cursor.rowcount
        self._witnessed_by(T_CUSTOMER, ids[0])

        def apply() -> None:
            for cid, test in made:
                if test:
                    track(s.test_customers, cid)
                    if self.enabled("remove_test_account"):
                        s.agenda.add(self.clock.now() + self._lag(D.WORKLOAD_TEST_ACCOUNT_HOURS),
                                     "remove_test_account", cid)
                else:
                    s.customers.add(cid)
        return {T_CUSTOMER: {"I": inserted}}, apply

    def _insert_products(self, cursor: Any, s: TenantState) -> OpResult:
        ids, skus, names, categories, prices, costs, stock, made = [], [], [], [], [], [], [], []
        for n in range(20):
            pid = self._id()
            category = self._pick(D.CATEGORIES)
            spec = D.PRICE_RANGES[category]
            price = min(max(float(self.np.lognormal(math.log(spec.median), spec.sigma)), spec.low), spec.high)
            price_d = money(Decimal(str(price)))
            ids.append(str(pid))
            skus.append(f"SIM-{category[:3].upper()}-{pid.hex[-10:]}")
            names.append(f"{category} essential {n + 1}")
            categories.append(category)
            prices.append(price_d)
            costs.append(money(price_d * Decimal(str(self.rng.uniform(*D.COST_RATIO)))))
            stock.append(int(self.np.lognormal(math.log(D.STOCK_MEDIAN), D.STOCK_SIGMA)))
            made.append(ProductRef(pid, skus[-1], category, price_d))
        cursor.execute(self._sql.insert_products, [s.tenant_id, ids, skus, names, categories, prices, costs, stock])
        inserted = cursor.rowcount
        self._witnessed_by(T_PRODUCT, ids[0])

        def apply() -> None:
            for product in made:
                s.products.add(product)
        return {T_PRODUCT: {"I": inserted}}, apply

    # -- sessions and orders ----------------------------------------------------------------
    def _session(self, cursor: Any, s: TenantState) -> OpResult:
        """A storefront session walking the funnel; reaching ``purchase`` places an order."""
        stage = 1
        while stage < len(D.FUNNEL_STEPS) and self.rng.random() < D.FUNNEL_CONTINUE[stage - 1]:
            stage += 1
        purchase = stage == len(D.FUNNEL_STEPS) and len(s.customers) > 0
        stage = min(stage, 4) if not purchase else stage
        sid = uuid.UUID(int=self.rng.getrandbits(128)).hex
        if purchase:
            return self._place_order(cursor, s, session=(sid, stage))
        buyer = None
        if len(s.customers) and self.rng.random() < D.AUTHENTICATED_SHARE[stage - 1]:
            buyer = s.customers[s.customers.draw()]
        events = self._session_events(s, stage, [])
        self._write_events(cursor, s, sid, buyer, events)
        return {T_EVENT: {"I": cursor.rowcount}}, lambda: None

    def _session_events(self, s: TenantState, stage: int, lines: list[tuple[ProductRef, int]],
                        order: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
        """The session's events in funnel order, with the seeder's payload shapes."""
        rng, npr = self.rng, self.np
        bounce = stage == 1 and rng.random() < D.BOUNCE_SHARE_OF_BROWSE
        pages = 1 if bounce else 1 + int(npr.geometric(1.0 / (1.0 + D.EXTRA_PAGE_VIEWS_MEAN))) - 1 + (stage == 1)
        device, referrer = self._weighted(D.DEVICE_SHARES), self._weighted(D.REFERRERS)
        events = [("page_view", {"url": self._pick(D.PAGES), "referrer": referrer, "device": device})
                  for _ in range(pages)]
        if stage >= 2:
            if rng.random() < D.SEARCH_SHARE:
                events.append(("search", {"search_term": self._pick(D.CATEGORIES).lower(),
                                          "results": rng.randrange(120)}))
            events += [("click", {"element": self._pick(D.CLICK_ELEMENTS), "url": self._pick(D.PAGES)})
                       for _ in range(int(npr.poisson(D.CLICKS_MEAN)))]
            viewed = lines or [(s.products[s.products.draw()], 1)
                               for _ in range(1 + int(npr.poisson(D.EXTRA_PRODUCT_VIEWS_MEAN)))]
            events += [("product_view", {"product_id": str(p.id), "sku": p.sku, "category": p.category,
                                         "price": str(p.price)}) for p, _q in viewed]
        if stage >= 3:
            carted = lines or [(s.products[s.products.draw()], 1)
                               for _ in range(1 + int(npr.poisson(D.EXTRA_CART_ADDS_MEAN)))]
            events += [("add_to_cart", {"product_id": str(p.id), "sku": p.sku, "quantity": q, "price": str(p.price)})
                       for p, q in carted]
            if not lines and rng.random() < D.REMOVE_FROM_CART_SHARE:
                p = carted[0][0]
                events.append(("remove_from_cart", {"product_id": str(p.id), "sku": p.sku}))
        if stage >= 4:
            value = order["subtotal"] if order else sum((p.price * q for p, q in carted), Decimal(0))
            events.append(("checkout", {"cart_items": len(carted), "cart_value": str(money(value))}))
        if order is not None:
            events.append(("purchase", {"order_id": order["id"], "order_number": order["number"],
                                        "total": order["total"], "items": len(lines)}))
        return events

    def _write_events(self, cursor: Any, s: TenantState, sid: str, customer: uuid.UUID | None,
                      events: list[tuple[str, dict[str, Any]]]) -> None:
        """Insert a session's events, spread over its duration and ending now (one statement)."""
        stage = max(D.FUNNEL_STEPS.index(k) + 1 for k, _ in events if k in D.FUNNEL_STEPS)
        if len(events) == 1:
            duration_ms = 0
        else:
            median, sigma = D.SESSION_SECONDS[max(stage, 2) - 2]
            seconds = min(float(self.np.lognormal(math.log(median), sigma)), D.SESSION_SECONDS_MAX)
            duration_ms = int(seconds * 1000)
        last = max(len(events) - 1, 1)
        back = [int(duration_ms * (last - i) / last) for i in range(len(events))]
        ids = [str(self._id()) for _ in events]
        ip = f"{self._pick((23, 45, 64, 71, 73, 98, 104, 174))}.{self.rng.randrange(1, 255)}." \
             f"{self.rng.randrange(1, 255)}.{self.rng.randrange(1, 255)}"
        cursor.execute(self._sql.insert_events, [
            s.tenant_id, None if customer is None else str(customer), sid, ip, self._pick(AGENTS), ids,
            [k for k, _ in events], [json.dumps(d) for _, d in events], back])
        self._witnessed_by(T_EVENT, ids[0])

    def _untracked_order(self, cursor: Any, s: TenantState) -> OpResult:
        return self._place_order(cursor, s, session=None)

    def _lines(self, s: TenantState) -> list[tuple[ProductRef, int, Decimal, int]]:
        """(product, quantity, discount, urn index) per line: distinct products, popular ones more often."""
        wanted = 1 + min(int(self.np.poisson(D.ITEMS_EXTRA_MEAN)), D.MAX_ITEMS_PER_ORDER - 1)
        wanted = min(wanted, len(s.products))
        chosen: dict[int, None] = {}
        for _ in range(wanted * 4):
            chosen.setdefault(s.products.draw())
            if len(chosen) == wanted:
                break
        lines = []
        # Sorted by product id: concurrent workers lock the same products in the same order.
        for index in sorted(chosen, key=lambda i: s.products[i].id):
            product = s.products[index]
            quantity = self._weighted(D.QUANTITY_PROBS)
            discount = Decimal(0)
            if self.rng.random() < D.DISCOUNT_LINE_SHARE:
                discount = money(product.price * quantity * Decimal(str(self.rng.uniform(*D.DISCOUNT_FRACTION))))
            lines.append((product, quantity, discount, index))
        return lines

    def _place_order(self, cursor: Any, s: TenantState, *, session: tuple[str, int] | None) -> OpResult:
        oid = self._id()
        buyer_index = s.customers.draw()
        buyer = s.customers[buyer_index]
        lines = self._lines(s)
        subtotal = sum((p.price * q - d for p, q, d, _i in lines), Decimal(0))
        tax = money(subtotal * s.tax_rate)
        shipping = Decimal(0) if subtotal >= s.free_shipping else s.shipping_fee
        total = subtotal + tax + shipping
        number = D.order_number(s.next_order)
        metadata: dict[str, Any] = {"payment_method": self._weighted(D.PAYMENT_METHODS)}
        if session is not None:
            metadata.update(channel=D.WEB_CHANNEL, session_id=session[0])
        else:
            metadata["channel"] = self._weighted(D.UNTRACKED_CHANNELS)
        metadata["items"] = len(lines)
        cursor.execute(self._sql.insert_order, [oid, s.tenant_id, buyer, number, subtotal, tax, shipping, total,
                                                json.dumps(metadata)])
        self._witnessed_by(T_ORDER, oid)
        product_ids = [str(p.id) for p, *_ in lines]
        quantities = [q for _p, q, _d, _i in lines]
        cursor.execute(self._sql.insert_items, [
            s.tenant_id, oid, [str(self._id()) for _ in lines], product_ids, quantities,
            [p.price for p, *_ in lines], [d for _p, _q, d, _i in lines]])
        items = cursor.rowcount
        cursor.execute(self._sql.decrement_stock, [s.tenant_id, product_ids, product_ids, quantities, s.tenant_id])
        effects: Effects = {T_ORDER: {"I": 1}, T_ITEM: {"I": items}, T_PRODUCT: {"U": cursor.rowcount}}
        if session is not None:
            order = {"id": str(oid), "number": number, "total": str(total), "subtotal": subtotal}
            events = self._session_events(s, session[1], [(p, q) for p, q, _d, _i in lines], order)
            self._write_events(cursor, s, session[0], buyer, events)
            effects[T_EVENT] = {"I": cursor.rowcount}
        placed = self.clock.now()

        def apply() -> None:
            s.next_order += 1
            s.status["pending"] += 1
            s.customers.hit(buyer_index)
            for *_rest, index in lines:
                s.products.hit(index)
            self._schedule_next(s, placed + self._lag(D.PROCESSING_HOURS), oid, "process")
        return effects, apply

    def _advance_order(self, cursor: Any, s: TenantState, due: tuple[uuid.UUID, bool], step: str) -> OpResult:
        """pending → processing, processing → completed, or pending → cancelled (lines released)."""
        oid, backlog = due
        source, target = {"process": ("pending", "processing"), "complete": ("processing", "completed"),
                          "cancel": ("pending", "cancelled")}[step]
        sql = {"process": self._sql.start_processing, "complete": self._sql.complete_order,
               "cancel": self._sql.cancel_order}[step]
        cursor.execute(sql, [s.tenant_id, oid])
        updated = cursor.rowcount
        self._witnessed_by(T_ORDER, oid)
        effects: Effects = {T_ORDER: {"U": updated}}
        if step == "cancel" and updated:
            cursor.execute(self._sql.delete_order_items, [s.tenant_id, oid])
            effects[T_ITEM] = {"D": cursor.rowcount}
        moved = self.clock.now()

        def apply() -> None:
            if backlog:
                s.released[source] -= 1
            if updated:
                s.status[source] -= 1
                s.status[target] += 1
            self._rebalance(s)
            if step == "process" and updated:
                # Fulfilment takes FULFILMENT_HOURS from the order; processing already took a while.
                wait = max(self._lag(D.FULFILMENT_HOURS) - self._lag(D.PROCESSING_HOURS), 600.0)
                self._schedule_next(s, moved + wait, oid, "complete")
        return effects, apply

    # -- subscriptions and invoices --------------------------------------------------------
    def _new_subscription(self, cursor: Any, s: TenantState) -> OpResult:
        sid = self._id()
        plan = self.rng.choices(D.SUBSCRIPTION_PLANS, [share for *_x, share in D.SUBSCRIPTION_PLANS])[0]
        yearly = self.rng.random() < D.YEARLY_SHARE
        cents = round(plan[1] * (1 - D.YEARLY_DISCOUNT)) if yearly else plan[1]
        cursor.execute(self._sql.insert_subscription, [
            sid, s.tenant_id, s.customers[s.customers.draw()], plan[0], "trial", Decimal(cents) / 100,
            "yearly" if yearly else "monthly"])
        self._witnessed_by(T_SUB, sid)
        started = self.clock.now()

        def apply() -> None:
            track(s.subscriptions, sid)
            if self.enabled("trial_end"):
                s.agenda.add(started + D.TRIAL_DAYS * SECONDS_PER_DAY, "trial_end", sid)
        return {T_SUB: {"I": 1}}, apply

    def _end_trial(self, cursor: Any, s: TenantState, sid: Any) -> OpResult:
        """A trial converts (TRIAL_CONVERSION) into a paid subscription or expires."""
        converted = self.rng.random() < D.TRIAL_CONVERSION
        cursor.execute(self._sql.end_trial, [converted, converted, s.tenant_id, sid])
        updated = cursor.rowcount
        self._witnessed_by(T_SUB, sid)
        return {T_SUB: {"U": updated}}, (lambda: None) if converted else (lambda: discard(s.subscriptions, sid))

    def _end_subscription(self, cursor: Any, s: TenantState) -> OpResult:
        sid = self._pick(s.subscriptions)
        status = "cancelled" if self.rng.random() < D.CANCELLED_SHARE_OF_ENDED else "expired"
        cursor.execute(self._sql.end_subscription, [status, s.tenant_id, sid])
        self._witnessed_by(T_SUB, sid)
        return {T_SUB: {"U": cursor.rowcount}}, lambda: discard(s.subscriptions, sid)

    def _issue_invoice(self, cursor: Any, s: TenantState) -> OpResult:
        """A subscription's bill (amount as the plan says) or, without one, a one-off invoice."""
        iid = self._id()
        found = None
        sid = None
        if s.subscriptions:
            sid = self._pick(s.subscriptions)
            cursor.execute(self._sql.bill_subscription, [s.tenant_id, sid])
            found = cursor.fetchone()
        if found is None:
            sid = None
            customer = s.customers[s.customers.draw()]
            amount = Decimal(self.rng.randrange(*D.ONE_OFF_AMOUNT_CENTS)) / 100
        else:
            customer, amount = found
        number = D.invoice_number(dt.datetime.now(dt.UTC).date(), s.next_invoice)
        cursor.execute(self._sql.insert_invoice, [iid, s.tenant_id, customer, sid, number, amount,
                                                  D.INVOICE_NET_DAYS])
        self._witnessed_by(T_INVOICE, iid)
        issued = self.clock.now()

        def apply() -> None:
            s.next_invoice += 1
            track(s.open_invoices, iid)
            if self.rng.random() < D.PAYMENT_SUCCESS:
                lag = min(float(self.np.exponential(D.PAYMENT_LAG_DAYS)), D.INVOICE_NET_DAYS) * SECONDS_PER_DAY
                kind = "pay"
            else:
                lag, kind = D.INVOICE_NET_DAYS * SECONDS_PER_DAY, "overdue"
            if self.enabled(kind):
                s.agenda.add(issued + lag, kind, iid)
        return {T_INVOICE: {"I": 1}}, apply

    def _settle_invoice(self, cursor: Any, s: TenantState, iid: uuid.UUID, kind: str) -> OpResult:
        cursor.execute(self._sql.pay_invoice if kind == "pay" else self._sql.overdue_invoice, [s.tenant_id, iid])
        self._witnessed_by(T_INVOICE, iid)
        return {T_INVOICE: {"U": cursor.rowcount}}, lambda: discard(s.open_invoices, iid)

    # -- housekeeping (changes no realism figure) -------------------------------------------
    def _edit_customer(self, cursor: Any, s: TenantState) -> OpResult:
        cid = s.customers[s.customers.draw()]
        phone = None if self.rng.random() < 0.7 else \
            f"+1-{self.rng.randrange(201, 990)}-{self.rng.randrange(1000):03d}-{self.rng.randrange(10000):04d}"
        note = json.dumps({"last_seen": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                           "contact_preference": self._weighted(D.CONTACT_PREFERENCES)})
        cursor.execute(self._sql.edit_customer, [phone, note, s.tenant_id, cid])
        self._witnessed_by(T_CUSTOMER, cid)
        return {T_CUSTOMER: {"U": cursor.rowcount}}, lambda: None

    def _restock_product(self, cursor: Any, s: TenantState) -> OpResult:
        product = s.products[s.products.draw()]
        units = int(self.np.lognormal(math.log(D.STOCK_MEDIAN / 4), D.STOCK_SIGMA)) + 1
        cursor.execute(self._sql.restock_product, [units, s.tenant_id, product.id])
        rows = cursor.fetchall()
        self._witnessed_by(T_PRODUCT, product.id)
        return {T_PRODUCT: {"U": len(rows)}}, lambda: None

    def _delete_test_customer(self, cursor: Any, s: TenantState, cid: uuid.UUID | None = None) -> OpResult:
        if cid is None:
            cid = self._pick(s.test_customers)
        cursor.execute(self._sql.delete_test_customer, [s.tenant_id, cid])
        self._witnessed_by(T_CUSTOMER, cid, deleted=True)
        return {T_CUSTOMER: {"D": cursor.rowcount}}, lambda: discard(s.test_customers, cid)
