"""Bulk seeding of a large synthetic stock history for benchmarks (``flask hilo seed-scale``).

This module writes movements and balances WITHOUT ``ledger.post``, on purpose, and is the only
exception to DESIGN.md's one-writer rule. ``post`` costs a few milliseconds per line (guarded
UPDATEs, one statement per balance); a million movements through it would take hours, and
benchmarks need a database of that size in a minute or two. The exception is safe because:

* it only ever fills an EMPTY database: it refuses to run when anything beyond the migrations'
  reference rows exists (a user, an item, a physical location, a grant, a lot, a transaction,
  a movement, a balance, a reorder level), so it never mixes with real data and there is no
  ``--force``;
* the history is simulated in date order with an in-memory balance per (location, item, lot):
  receipts come from the supplier into warehouses, transfers leave a warehouse only with what it
  holds, distributions and losses at a place never exceed what it holds. Transfers are shipments
  (a numbered document, its lines and history) posting a ``dispatch`` origin → transit and an
  ``arrival`` transit → destination of the same lines; some of the last days' are still on
  their way (dispatched, their stock in transit). Consumption is distributions: a numbered
  slip (recipient code, never a name), its lines and history posting ``distribution`` place →
  recipients (``consumption`` for a centre's workshop use); the last fortnight's slips and a few
  older ones are not returned yet. Every guarded balance
  therefore stays at or above zero at every point of the history, not only at the end;
* balances are not written from that simulation but computed afterwards IN SQL from the
  inserted movements (grouped sums of inflows minus outflows, ``is_guarded`` from the location
  kind), so ledger = balances holds by construction and ``flask hilo check-ledger`` agrees.

Rows are inserted in chunks with the driver's ``executemany`` (SQLite) or ``COPY`` (PostgreSQL),
inside the caller's single database transaction; the caller commits.
"""

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    case,
    false,
    func,
    insert,
    literal,
    select,
    text,
    true,
    union_all,
    update,
)

from hilogistics.auth.models import User
from hilogistics.catalogue.models import Category, Item, ItemKind, Unit
from hilogistics.dates import business_today
from hilogistics.db import begin_write, db, utcnow
from hilogistics.demo import CATALOGUE
from hilogistics.distributions.models import (
    Distribution,
    DistributionAction,
    DistributionEvent,
    DistributionLine,
    DistributionStatus,
    FittingService,
    RecipientType,
    Side,
)
from hilogistics.locations.models import VIRTUAL_KINDS, Location, LocationKind, Province
from hilogistics.registry.models import Document, DocumentCounter, DocumentType, format_number
from hilogistics.reports import distribution_months, stockout_spans
from hilogistics.shipments.models import (
    Shipment,
    ShipmentAction,
    ShipmentDirection,
    ShipmentEvent,
    ShipmentLine,
    ShipmentStatus,
)
from hilogistics.stock import summaries
from hilogistics.stock.models import (
    AdjustmentReason,
    Balance,
    Grant,
    ItemBalance,
    Lot,
    Movement,
    ReorderLevel,
    StockTransaction,
    TransactionKind,
)

SEED = 2026
HISTORY_DAYS = 3 * 365
CHUNK = 20_000
# Slips of the history's last days are not returned yet (and a few older ones).
UNRETURNED_DAYS = 14
RECIPIENT_REFERENCES = 20_000
# Shipments dispatched in the history's last days are still in transit, one in two.
IN_TRANSIT_DAYS = 3
GUARDED_KINDS = [kind for kind in LocationKind if kind.is_guarded]
NAMES = {
    LocationKind.WAREHOUSE: (
        "Provincial store {n}, {province}",
        "{province_ko} 도창고 {n}호",
        "Entrepôt provincial {n}, {province_fr}",
    ),
    LocationKind.CENTRE: (
        "Orthopaedic centre {n}, {province}",
        "{province_ko} 정형외과쎈터 {n}호",
        "Centre orthopédique {n}, {province_fr}",
    ),
    LocationKind.CAMP: (
        "Rehabilitation camp {n}, {province}",
        "{province_ko} 이동재활야영소 {n}호",
        "Camp de réadaptation {n}, {province_fr}",
    ),
    LocationKind.SCHOOL: (
        "Special school {n}, {province}",
        "{province_ko} 특수학교 {n}호",
        "École spéciale {n}, {province_fr}",
    ),
}
# Share of transactions by kind. Consignments are rare and long (20-60 lines): a popular item
# gets a new lot about once per consignment, as in the field, not once per movement.
EVENTS = [("receipt", 0.3), ("transfer", 18), ("consumption", 77.7), ("adjustment", 4)]


class SeedRefusedError(RuntimeError):
    """The database holds more than reference data: bulk seeding only fills an empty one."""


@dataclass(frozen=True)
class ScaleSummary:
    """Row counts written by ``seed_scale``."""

    items: int
    locations: int
    lots: int
    transactions: int
    movements: int
    balances: int
    shipments: int = 0


def ensure_reference_only() -> None:
    """Raise SeedRefusedError, naming what it found, unless the database holds reference data only.

    Reference data is what the migrations insert: provinces, categories, units, adjustment
    reasons and the virtual locations. Anything else (even one user or one grant) refuses.
    """
    checks = [
        ("users", select(User.id)),
        ("items", select(Item.id)),
        ("physical locations", select(Location.id).where(~Location.kind.in_(VIRTUAL_KINDS))),
        ("grants", select(Grant.id)),
        ("lots", select(Lot.id)),
        ("stock transactions", select(StockTransaction.id)),
        ("movements", select(Movement.id)),
        ("balances", select(Balance.id)),
        ("item balances", select(ItemBalance.id)),
        ("reorder levels", select(ReorderLevel.id)),
        ("documents", select(Document.id)),
        ("shipments", select(Shipment.id)),
    ]
    found = [name for name, stmt in checks if db.session.scalar(stmt.limit(1)) is not None]
    if found:
        raise SeedRefusedError(
            f"the database already holds {', '.join(found)}; seed-scale only fills an empty "
            "ledger in a database with nothing but reference data (use a new database)"
        )


def seed_scale(
    *,
    items: int = 5000,
    locations: int = 120,
    movements: int = 1_000_000,
    today: date | None = None,
    seed: int = SEED,
    progress: Callable[[int], None] | None = None,
) -> ScaleSummary:
    """Fill an empty database with items, places, lots and ``movements`` movements of history.

    Writes inside the current transaction and does not commit. Raises SeedRefusedError when
    the database holds more than reference data. ``progress(n)`` is called as every chunk of
    movements is written.
    """
    begin_write()
    if items < 1 or locations < 2 or movements < 1:
        raise ValueError("need at least 1 item, 2 locations and 1 movement")
    ensure_reference_only()
    seeder = _Seeder(today or business_today(), seed, progress or (lambda _n: None))
    seeder.catalogue(items)
    seeder.places(locations)
    seeder.grants()
    seeder.simulate(movements)
    balances = seeder.balances()
    stockout_spans.rebuild()
    distribution_months.rebuild()
    seeder.analyse()
    return ScaleSummary(
        items=items,
        locations=locations,
        lots=seeder.lot_count,
        transactions=seeder.transaction_count,
        movements=movements,
        balances=balances,
        shipments=seeder.shipment_count,
    )


def compact_sqlite() -> None:
    """After the commit, fold SQLite's write-ahead log back into the database file."""
    if db.engine.dialect.name != "sqlite":
        return
    db.session.remove()
    # A raw connection: the engine's begin hook would wrap the pragma in a transaction.
    connection = db.engine.raw_connection()
    try:
        connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


class _KeyPool:
    """The (item, lot) pairs a location holds, for O(1) random picks and removals."""

    __slots__ = ("keys", "positions")

    def __init__(self) -> None:
        self.keys: list[tuple[int, int]] = []
        self.positions: dict[tuple[int, int], int] = {}

    def add(self, key: tuple[int, int]) -> None:
        if key not in self.positions:
            self.positions[key] = len(self.keys)
            self.keys.append(key)

    def remove(self, key: tuple[int, int]) -> None:
        index = self.positions.pop(key)
        last = self.keys.pop()
        if index < len(self.keys):
            self.keys[index] = last
            self.positions[last] = index

    def sample(self, rng: random.Random, count: int) -> list[tuple[int, int]]:
        if count >= len(self.keys):
            return list(self.keys)
        return rng.sample(self.keys, count)


class _Writer:
    """Inserts plain rows fast: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.sqlite = connection.dialect.name == "sqlite"

    def day(self, value: date) -> Any:
        return value.isoformat() if self.sqlite else value

    def timestamp(self, value: datetime) -> Any:
        # The format SQLAlchemy's SQLite DATETIME stores (UTCDateTime keeps UTC, no zone).
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else value

    def write(self, table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        dbapi = self.connection.connection.dbapi_connection
        if self.sqlite:
            marks = ", ".join("?" for _ in columns)
            cursor = dbapi.cursor()
            try:
                # Table and column names come from our own metadata, never from input.
                statement = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(statement, rows)
            finally:
                cursor.close()
            return
        with dbapi.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def next_id(self, table: Table) -> int:
        return (self.connection.scalar(select(func.max(table.c.id))) or 0) + 1

    def fix_sequences(self, tables: Iterable[Table]) -> None:
        """PostgreSQL: move each id sequence past the ids given explicitly."""
        if self.sqlite:
            return
        for table in tables:
            self.connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"
            )


class _Seeder:
    """Builds the synthetic programme and simulates its history in date order."""

    def __init__(self, today: date, seed: int, progress: Callable[[int], None]) -> None:
        self.rng = random.Random(seed)  # noqa: S311  (reproducible synthetic data, not secrets)
        self.today = today
        self.start = today - timedelta(days=HISTORY_DAYS - 1)
        self.progress = progress
        self.writer = _Writer(db.session.connection())
        self.item_ids: list[int] = []
        self.item_weights: list[float] = []
        self.expiring: set[int] = set()
        self.serial: set[int] = set()
        self.warehouses: list[int] = []
        self.destinations: list[int] = []
        self.destination_weights: list[float] = []
        self.source_of: dict[int, int] = {}
        self.grant_ids: list[int] = []
        self.lot_count = 0
        self.transaction_count = 0
        self.shipment_count = 0

    # -- reference rows ---------------------------------------------------------------------

    def catalogue(self, count: int) -> None:
        categories = {c.code: c.id for c in db.session.scalars(select(Category))}
        units = {u.code: u.id for u in db.session.scalars(select(Unit))}
        first = self.writer.next_id(Item.__table__)
        now = utcnow()
        rows = []
        for n in range(count):
            spec = CATALOGUE[n % len(CATALOGUE)]
            item_id = first + n
            variant = n // len(CATALOGUE) + 1
            rows.append(
                {
                    "id": item_id,
                    "code": f"{spec.code}-S{n + 1:05d}",
                    "name": f"{spec.name}, model {variant}",
                    "name_ko": f"{spec.name_ko} {variant}형",
                    "name_fr": f"{spec.name_fr}, modèle {variant}",
                    "category_id": categories[spec.category],
                    "unit_id": units[spec.unit],
                    "pack_size": spec.pack_size,
                    "kind": ItemKind.EQUIPMENT if spec.serial else ItemKind.CONSUMABLE,
                    "tracks_expiry": spec.shelf_days is not None,
                    "tracks_serial": spec.serial,
                    "family": spec.family,
                    "is_active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            self.item_ids.append(item_id)
            if spec.shelf_days is not None:
                self.expiring.add(item_id)
            if spec.serial:
                self.serial.add(item_id)
        db.session.execute(insert(Item), rows)
        # A few goods move far more than the rest (Zipf-like), wherever they sit in the list.
        ranks = list(range(1, count + 1))
        self.rng.shuffle(ranks)
        self.item_weights = [rank**-0.8 for rank in ranks]

    def places(self, count: int) -> None:
        provinces = list(
            db.session.execute(
                select(Province.id, Province.name, Province.name_ko, Province.name_fr)
            )
        )
        first = self.writer.next_id(Location.__table__)
        warehouses = max(1, round(count * 0.07))
        schools = round(count * 0.25)
        camps = max(1, round(count * 0.05)) if count >= 4 else 0
        centres = count - warehouses - schools - camps
        kinds = (
            [LocationKind.WAREHOUSE] * warehouses
            + [LocationKind.CENTRE] * centres
            + [LocationKind.SCHOOL] * schools
            + [LocationKind.CAMP] * camps
        )
        rows = []
        numbers: dict[LocationKind, int] = {}
        for offset, kind in enumerate(kinds):
            location_id = first + offset
            numbers[kind] = numbers.get(kind, 0) + 1
            province = provinces[offset % len(provinces)] if provinces else None
            name, name_ko, name_fr = NAMES[kind]
            labels = {
                "n": f"{numbers[kind]:03d}",
                "province": province.name if province else "",
                "province_ko": province.name_ko if province else "",
                "province_fr": (province.name_fr or province.name) if province else "",
            }
            if kind is LocationKind.WAREHOUSE:
                self.warehouses.append(location_id)
                supplier = self.warehouses[0] if len(self.warehouses) > 1 else None
            else:
                supplier = self.warehouses[offset % len(self.warehouses)]
            if supplier is not None:
                self.source_of[location_id] = supplier
            rows.append(
                {
                    "id": location_id,
                    "code": f"SC-{kind.value[:2].upper()}-{numbers[kind]:04d}",
                    "kind": kind,
                    "name": name.format(**labels).rstrip(", "),
                    "name_ko": name_ko.format(**labels).strip(),
                    "name_fr": name_fr.format(**labels).rstrip(", "),
                    "is_active": True,
                    "province_id": province.id if province else None,
                    "supplied_by_id": supplier,
                }
            )
        db.session.execute(insert(Location), rows)
        places = [row["id"] for row in rows if row["kind"] is not LocationKind.WAREHOUSE]
        self.destinations = places or list(self.warehouses)
        self.place_kind = {row["id"]: row["kind"] for row in rows}
        ranks = list(range(1, len(self.destinations) + 1))
        self.rng.shuffle(ranks)
        self.destination_weights = [rank**-0.7 for rank in ranks]
        # Provincial stores are replenished from the first (central) warehouse.
        self.restocked = self.warehouses[1:]
        self.virtual = {
            code: location_id
            for code, location_id in db.session.execute(
                select(Location.code, Location.id).where(
                    Location.code.in_(["SUPPLIER", "RECIPIENTS", "LOSS", "COUNT", "TRANSIT"])
                )
            )
        }
        if len(self.virtual) != 5:
            raise LookupError("virtual locations are missing: run flask db upgrade")
        self.reasons = {
            code: reason_id
            for code, reason_id in db.session.execute(
                select(AdjustmentReason.code, AdjustmentReason.id)
            )
        }

    def grants(self) -> None:
        """Four grants of eighteen months each, end to end across the history."""
        first = self.writer.next_id(Grant.__table__)
        rows = []
        for n in range(4):
            starts = self.start + timedelta(days=n * 270 - 30)
            rows.append(
                {
                    "id": first + n,
                    "code": f"SCALE-GRANT-{first + n}",
                    "donor": ("ECHO", "SDC", "Fondation Main Tendue", "KOICA")[n],
                    "title": f"Synthetic grant {n + 1}",
                    "starts_on": starts,
                    "ends_on": starts + timedelta(days=540),
                    "is_active": True,
                }
            )
            self.grant_ids.append(first + n)
        db.session.execute(insert(Grant), rows)
        db.session.flush()

    # -- the history ------------------------------------------------------------------------

    def simulate(self, total: int) -> None:
        """Generate ``total`` movements in date order and write them in chunks."""
        rng, writer = self.rng, self.writer
        next_lot = writer.next_id(Lot.__table__)
        next_tx = writer.next_id(StockTransaction.__table__)
        next_move = writer.next_id(Movement.__table__)
        next_document = writer.next_id(Document.__table__)
        next_shipment = writer.next_id(Shipment.__table__)
        next_line = writer.next_id(ShipmentLine.__table__)
        next_event = writer.next_id(ShipmentEvent.__table__)
        next_distribution = writer.next_id(Distribution.__table__)
        next_dline = writer.next_id(DistributionLine.__table__)
        next_devent = writer.next_id(DistributionEvent.__table__)
        sequences: dict[int, int] = {}
        slip_sequences: dict[int, int] = {}
        distribution_rows: list[tuple] = []
        dline_rows: list[tuple] = []
        devent_rows: list[tuple] = []
        document_rows: list[tuple] = []
        shipment_rows: list[tuple] = []
        line_rows: list[tuple] = []
        event_rows: list[tuple] = []
        stock: dict[tuple[int, int, int], int] = {}
        pools: dict[int, _KeyPool] = {}
        untracked_lots: dict[tuple[int, int], int] = {}
        lot_rows: list[tuple] = []
        tx_rows: list[tuple] = []
        move_rows: list[tuple] = []
        supplier, recipients = self.virtual["SUPPLIER"], self.virtual["RECIPIENTS"]
        loss, count_location = self.virtual["LOSS"], self.virtual["COUNT"]
        transit = self.virtual["TRANSIT"]
        virtual_ids = set(self.virtual.values())
        out_reasons = [self.reasons[c] for c in ("damaged", "expired", "lost", "stolen")]
        found_reason = self.reasons["found"]
        event_names = [name for name, _weight in EVENTS]
        event_weights = [weight for _name, weight in EVENTS]
        item_cum = _cumulative(self.item_weights)
        destination_cum = _cumulative(self.destination_weights)
        warehouse_weights = [4.0] + [6.0 / max(1, len(self.warehouses) - 1)] * (
            len(self.warehouses) - 1
        )
        days = [self.start + timedelta(days=n) for n in range(HISTORY_DAYS)]
        day_values = [writer.day(day) for day in days]

        def pool(location_id: int) -> _KeyPool:
            found = pools.get(location_id)
            if found is None:
                found = pools[location_id] = _KeyPool()
            return found

        def move(
            tx_id: int, day: int, item: int, lot: int, quantity: int, source: int, target: int
        ) -> None:
            nonlocal next_move
            move_rows.append(
                (next_move, tx_id, item, lot, quantity, source, target, day_values[day])
            )
            next_move += 1
            if source not in virtual_ids:
                key = (source, item, lot)
                left = stock[key] - quantity
                stock[key] = left
                if left == 0:
                    pools[source].remove((item, lot))
            if target not in virtual_ids:
                key = (target, item, lot)
                stock[key] = stock.get(key, 0) + quantity
                pool(target).add((item, lot))

        def transaction(
            kind: TransactionKind,
            day: int,
            location: int,
            *,
            grant: int | None = None,
            reason: int | None = None,
            supplier_name: str | None = None,
            reference: str | None = None,
            document: int | None = None,
        ) -> int:
            nonlocal next_tx
            tx_id = next_tx
            next_tx += 1
            recorded = datetime.combine(days[day], time(8), UTC) + timedelta(
                minutes=rng.randrange(600)
            )
            tx_rows.append(
                (
                    tx_id,
                    f"scale-{tx_id}",
                    kind.value,
                    day_values[day],
                    writer.timestamp(recorded),
                    location,
                    reference,
                    supplier_name,
                    grant,
                    reason,
                    "Synthetic history for benchmarks",
                    document,
                )
            )
            return tx_id

        def new_lot(item: int, day: int, grant: int) -> int:
            nonlocal next_lot
            serial = None
            code = ""
            expires = None
            if item in self.serial:
                serial = f"SN{next_lot:08d}"
            elif item in self.expiring:
                code = f"B{next_lot:07d}"
                expires = writer.day(days[day] + timedelta(days=rng.randint(200, 1100)))
            else:
                known = untracked_lots.get((item, grant))
                if known is not None:
                    return known
                untracked_lots[(item, grant)] = next_lot
            lot_id = next_lot
            next_lot += 1
            identity = Lot.make_identity(code, serial, grant)
            lot_rows.append((lot_id, item, code, expires, serial, grant, identity))
            return lot_id

        def receipt(day: int, warehouse: int, budget: int) -> int:
            grant = self.grant_ids[day * len(self.grant_ids) // HISTORY_DAYS]
            tx_id = transaction(
                TransactionKind.RECEIPT,
                day,
                warehouse,
                grant=grant,
                supplier_name="Synthetic supplier",
                reference=f"WB-{next_tx}",
            )
            lines = min(budget, rng.randint(20, 60))
            # One line per item, as on a packing list (popular items are drawn more often).
            chosen = dict.fromkeys(rng.choices(self.item_ids, cum_weights=item_cum, k=lines))
            for item in chosen:
                lot = new_lot(item, day, grant)
                quantity = 1 if item in self.serial else rng.randint(300, 5000)
                move(tx_id, day, item, lot, quantity, supplier, warehouse)
            return len(chosen)

        def transfer(day: int, target: int, budget: int) -> int:
            source = self.source_of.get(target)
            if budget < 2 or source is None or not pools.get(source, _EMPTY).keys:
                return receipt(day, source or self.warehouses[0], budget)
            nonlocal next_document, next_shipment, next_line, next_event
            keys = pools[source].sample(rng, min(budget // 2, rng.randint(5, 20)))
            arrives = day < HISTORY_DAYS - IN_TRANSIT_DAYS or rng.random() < 0.5
            year = days[day].year
            sequences[year] = sequence = sequences.get(year, 0) + 1
            number = format_number(DocumentType.SHIPMENT, year, sequence)
            document_id, shipment_id = next_document, next_shipment
            next_document += 1
            next_shipment += 1
            created = writer.timestamp(datetime.combine(days[day], time(7), UTC))
            document_rows.append(
                (document_id, DocumentType.SHIPMENT.value, year, sequence, number, created)
            )
            status = ShipmentStatus.RECEIVED if arrives else ShipmentStatus.DISPATCHED
            shipment_rows.append(
                (
                    shipment_id,
                    document_id,
                    ShipmentDirection.OUTBOUND.value,
                    status.value,
                    source,
                    target,
                    day_values[day],
                    day_values[day] if arrives else None,
                    created,
                )
            )
            self.shipment_count += 1
            sent = transaction(
                TransactionKind.DISPATCH, day, source, reference=number, document=document_id
            )
            lines = []
            for position, (item, lot) in enumerate(keys, start=1):
                on_hand = stock[(source, item, lot)]
                quantity = max(1, int(on_hand * rng.uniform(0.1, 0.5)))
                move(sent, day, item, lot, quantity, source, transit)
                lines.append((item, lot, quantity))
                line_rows.append(
                    (
                        next_line,
                        shipment_id,
                        position,
                        item,
                        lot,
                        quantity,
                        quantity if arrives else 0,
                    )
                )
                next_line += 1
            history = [
                (ShipmentAction.CREATED, ShipmentStatus.DRAFT, None),
                (ShipmentAction.DISPATCHED, ShipmentStatus.DISPATCHED, sent),
            ]
            if arrives:
                arrived = transaction(
                    TransactionKind.ARRIVAL, day, target, reference=number, document=document_id
                )
                for item, lot, quantity in lines:
                    move(arrived, day, item, lot, quantity, transit, target)
                history.append((ShipmentAction.RECEIVED, ShipmentStatus.RECEIVED, arrived))
            for action, state, tx_id in history:
                event_rows.append(
                    (
                        next_event,
                        shipment_id,
                        action.value,
                        state.value,
                        created,
                        day_values[day],
                        tx_id,
                    )
                )
                next_event += 1
            return len(lines) * (2 if arrives else 1)

        def recipient(place: int) -> tuple[RecipientType, str, tuple]:
            """Who a slip at ``place`` serves: type, reference code, service/side/counts."""
            kind = self.place_kind.get(place)
            if kind is LocationKind.SCHOOL:
                counts = tuple(rng.randint(0, 15) for _ in range(2)) + (0, 0, 0, 0)
                return RecipientType.CLASS, f"SCH-{place:04d}", (None, None, *counts)
            if kind is LocationKind.CAMP:
                counts = tuple(rng.randint(0, 8) for _ in range(6))
                return RecipientType.CAMP_SESSION, f"CMP-{place:04d}", (None, None, *counts)
            if kind is LocationKind.CENTRE and rng.random() < 0.2:
                return RecipientType.WORKSHOP, "", (None, None, 0, 0, 0, 0, 0, 0)
            service = rng.choice(list(FittingService)).value
            side = rng.choice(list(Side)).value
            reference = f"BEN-{rng.randrange(1, RECIPIENT_REFERENCES):05d}"
            return RecipientType.PATIENT, reference, (service, side, 0, 0, 0, 0, 0, 0)

        def consumption(day: int, place: int, budget: int) -> int:
            if not pools.get(place, _EMPTY).keys:
                return transfer(day, place, budget)
            nonlocal next_document, next_distribution, next_dline, next_devent
            keys = pools[place].sample(rng, min(budget, rng.randint(5, 20)))
            year = days[day].year
            slip_sequences[year] = sequence = slip_sequences.get(year, 0) + 1
            number = format_number(DocumentType.DISTRIBUTION, year, sequence)
            document_id, distribution_id = next_document, next_distribution
            next_document += 1
            next_distribution += 1
            created = writer.timestamp(datetime.combine(days[day], time(9), UTC))
            document_rows.append(
                (document_id, DocumentType.DISTRIBUTION.value, year, sequence, number, created)
            )
            kind, reference, details = recipient(place)
            if day < HISTORY_DAYS - UNRETURNED_DAYS and rng.random() < 0.98:
                status = DistributionStatus.RETURNED.value
                returned = day_values[min(HISTORY_DAYS - 1, day + rng.randint(0, 10))]
            else:
                status, returned = DistributionStatus.ISSUED.value, None
            distribution_rows.append(
                (
                    distribution_id,
                    document_id,
                    place,
                    day_values[day],
                    kind.value,
                    reference,
                    *details,
                    status,
                    returned,
                    created,
                )
            )
            tx_kind = (
                TransactionKind.CONSUMPTION
                if kind is RecipientType.WORKSHOP
                else TransactionKind.DISTRIBUTION
            )
            tx_id = transaction(tx_kind, day, place, reference=number, document=document_id)
            for position, (item, lot) in enumerate(keys, start=1):
                on_hand = stock[(place, item, lot)]
                quantity = rng.randint(1, max(1, on_hand // 3))
                move(tx_id, day, item, lot, quantity, place, recipients)
                dline_rows.append((next_dline, distribution_id, 1, position, item, lot, quantity))
                next_dline += 1
            devent_rows.append(
                (
                    next_devent,
                    distribution_id,
                    DistributionAction.RECORDED.value,
                    created,
                    day_values[day],
                    tx_id,
                )
            )
            next_devent += 1
            return len(keys)

        def adjustment(day: int, place: int) -> int:
            if not pools.get(place, _EMPTY).keys:
                return transfer(day, place, 1)
            [(item, lot)] = pools[place].sample(rng, 1)
            on_hand = stock[(place, item, lot)]
            if rng.random() < 0.8:
                reason = rng.choice(out_reasons)
                tx_id = transaction(TransactionKind.ADJUSTMENT, day, place, reason=reason)
                move(tx_id, day, item, lot, rng.randint(1, min(5, on_hand)), place, loss)
            elif item in self.serial:
                return 0
            else:
                tx_id = transaction(TransactionKind.ADJUSTMENT, day, place, reason=found_reason)
                move(tx_id, day, item, lot, rng.randint(1, 3), count_location, place)
            return 1

        def flush() -> None:
            writer.write(
                Lot.__table__,
                ("id", "item_id", "code", "expires_on", "serial", "grant_id", "identity"),
                lot_rows,
            )
            writer.write(
                Document.__table__,
                ("id", "type", "year", "sequence", "number", "created_at"),
                document_rows,
            )
            writer.write(
                Shipment.__table__,
                (
                    "id",
                    "document_id",
                    "direction",
                    "status",
                    "origin_id",
                    "destination_id",
                    "dispatched_on",
                    "received_on",
                    "created_at",
                ),
                shipment_rows,
            )
            writer.write(
                ShipmentLine.__table__,
                ("id", "shipment_id", "position", "item_id", "lot_id", "quantity", "received"),
                line_rows,
            )
            writer.write(
                StockTransaction.__table__,
                (
                    "id",
                    "operation_key",
                    "kind",
                    "occurred_on",
                    "recorded_at",
                    "location_id",
                    "reference",
                    "supplier",
                    "grant_id",
                    "reason_id",
                    "note",
                    "document_id",
                ),
                tx_rows,
            )
            writer.write(
                Distribution.__table__,
                (
                    "id",
                    "document_id",
                    "location_id",
                    "distributed_on",
                    "recipient_type",
                    "recipient_ref",
                    "service",
                    "side",
                    "girls",
                    "boys",
                    "women",
                    "men",
                    "older_women",
                    "older_men",
                    "status",
                    "returned_on",
                    "created_at",
                ),
                distribution_rows,
            )
            writer.write(
                DistributionLine.__table__,
                ("id", "distribution_id", "revision", "position", "item_id", "lot_id", "quantity"),
                dline_rows,
            )
            writer.write(
                ShipmentEvent.__table__,
                (
                    "id",
                    "shipment_id",
                    "action",
                    "status",
                    "recorded_at",
                    "occurred_on",
                    "transaction_id",
                ),
                event_rows,
            )
            writer.write(
                Movement.__table__,
                (
                    "id",
                    "transaction_id",
                    "item_id",
                    "lot_id",
                    "quantity",
                    "from_location_id",
                    "to_location_id",
                    "occurred_on",
                ),
                move_rows,
            )
            writer.write(
                DistributionEvent.__table__,
                (
                    "id",
                    "distribution_id",
                    "action",
                    "recorded_at",
                    "occurred_on",
                    "transaction_id",
                ),
                devent_rows,
            )
            self.progress(len(move_rows))
            self.lot_count += len(lot_rows)
            self.transaction_count += len(tx_rows)
            for rows in (lot_rows, tx_rows, move_rows, document_rows, shipment_rows):
                rows.clear()
            for rows in (line_rows, event_rows, distribution_rows, dline_rows, devent_rows):
                rows.clear()

        generated = 0
        while generated < total:
            # The business date advances with the share of the history already written.
            day = min(HISTORY_DAYS - 1, generated * HISTORY_DAYS // total)
            budget = total - generated
            event = rng.choices(event_names, weights=event_weights)[0]
            if event == "receipt":
                warehouse = rng.choices(self.warehouses, weights=warehouse_weights)[0]
                made = receipt(day, warehouse, budget)
            elif event == "transfer":
                if self.restocked and rng.random() < 0.1:
                    target = rng.choice(self.restocked)
                else:
                    target = rng.choices(self.destinations, cum_weights=destination_cum)[0]
                made = transfer(day, target, budget)
            else:
                place = rng.choices(self.destinations, cum_weights=destination_cum)[0]
                if event == "consumption":
                    made = consumption(day, place, budget)
                else:
                    made = adjustment(day, place)
            generated += made
            if len(move_rows) >= CHUNK:
                flush()
        flush()
        counters = [
            {"type": DocumentType.SHIPMENT, "year": year, "last": last}
            for year, last in sequences.items()
        ] + [
            {"type": DocumentType.DISTRIBUTION, "year": year, "last": last}
            for year, last in slip_sequences.items()
        ]
        if counters:
            db.session.execute(insert(DocumentCounter), counters)
        writer.fix_sequences(
            [
                Document.__table__,
                Shipment.__table__,
                ShipmentLine.__table__,
                ShipmentEvent.__table__,
                Distribution.__table__,
                DistributionLine.__table__,
                DistributionEvent.__table__,
                Item.__table__,
                Location.__table__,
                Grant.__table__,
                Lot.__table__,
                StockTransaction.__table__,
                Movement.__table__,
            ]
        )

    # -- balances ---------------------------------------------------------------------------

    def balances(self) -> int:
        """Insert every balance as inflows − outflows of the movements, grouped in SQL."""
        signed = union_all(
            select(
                Movement.to_location_id.label("location_id"),
                Movement.item_id,
                Movement.lot_id,
                Movement.quantity.label("delta"),
            ),
            select(
                Movement.from_location_id.label("location_id"),
                Movement.item_id,
                Movement.lot_id,
                (literal(0) - Movement.quantity).label("delta"),
            ),
        ).subquery()
        guarded = case((Location.kind.in_(GUARDED_KINDS), true()), else_=false())
        sums = (
            select(
                signed.c.location_id,
                signed.c.item_id,
                signed.c.lot_id,
                func.sum(signed.c.delta),
                guarded,
            )
            .join(Location, Location.id == signed.c.location_id)
            .group_by(signed.c.location_id, signed.c.item_id, signed.c.lot_id, Location.kind)
        )
        db.session.execute(
            insert(Balance).from_select(
                ["location_id", "item_id", "lot_id", "quantity", "is_guarded"], sums
            )
        )
        # The item rows are the lot rows summed; nothing is reserved in a seeded history.
        db.session.execute(
            insert(ItemBalance).from_select(
                ["location_id", "item_id", "on_hand", "reserved", "is_guarded"],
                select(
                    Balance.location_id,
                    Balance.item_id,
                    func.sum(Balance.quantity),
                    literal(0),
                    Balance.is_guarded,
                ).group_by(Balance.location_id, Balance.item_id, Balance.is_guarded),
            )
        )
        # The stock summaries are the lot rows summed per grant (post() keeps them after).
        summaries.fill()
        # A serial lot is at the guarded place whose balance holds it (post() keeps this).
        held_at = (
            select(func.min(Balance.location_id))
            .where(Balance.lot_id == Lot.id, Balance.is_guarded, Balance.quantity > 0)
            .scalar_subquery()
        )
        db.session.execute(
            update(Lot)
            .where(Lot.serial.is_not(None))
            .values(at_location_id=held_at)
            .execution_options(synchronize_session=False)
        )
        return db.session.scalar(select(func.count()).select_from(Balance)) or 0

    def analyse(self) -> None:
        """Refresh the planner's statistics: the tables grew from nothing."""
        db.session.execute(text("ANALYZE"))


_EMPTY = _KeyPool()


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = 0.0
    out = []
    for weight in weights:
        total += weight
        out.append(total)
    return out
