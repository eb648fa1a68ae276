"""The ledger's triggers, for migrations (which must not import the app's models).

On SQLite, ``batch_alter_table`` rebuilds a table (create a copy, copy the rows, drop, rename)
and the copy has no triggers: any migration that rebuilds ``movements`` calls
``recreate_movement_triggers(op)`` afterwards, in upgrade and in downgrade.
"""

MESSAGE = "movements are append-only: post a reversing transaction instead"

# Movements are append-only: a mistake is corrected by a reversing transaction, never in place.
PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION movements_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}';
END;
$$ LANGUAGE plpgsql
"""
PG_TRIGGER = """
CREATE TRIGGER movements_append_only BEFORE UPDATE OR DELETE ON movements
FOR EACH ROW EXECUTE FUNCTION movements_append_only()
"""
SQLITE_TRIGGERS = {
    "movements_no_update": f"""
    CREATE TRIGGER movements_no_update BEFORE UPDATE ON movements
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    "movements_no_delete": f"""
    CREATE TRIGGER movements_no_delete BEFORE DELETE ON movements
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
}


def recreate_movement_triggers(op) -> None:
    """Drop (if present) and create the append-only triggers on ``movements``."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS movements_append_only ON movements")
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        for name, statement in SQLITE_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(statement)
