-- Append-only event store (SPEC §8). The service installs this at every
-- start-up (api/database.py: install_append_only, replacing :schema with the
-- quoted schema name); a DBA who manages DDL by hand can apply it the same way.
--
-- To alter history a DBA would have to disable it, e.g.
--   ALTER TABLE public.ledger_events DISABLE TRIGGER ledger_events_append_only;
-- or act with session_replication_role = replica. `ledger audit verify` then
-- reports the first changed, missing or reordered event of every order.

CREATE OR REPLACE FUNCTION :schema.ledger_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger''s % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE OR REPLACE TRIGGER ledger_events_append_only
    BEFORE UPDATE OR DELETE ON :schema.ledger_events
    FOR EACH ROW EXECUTE FUNCTION :schema.ledger_reject_change();
CREATE OR REPLACE TRIGGER ledger_events_no_truncate
    BEFORE TRUNCATE ON :schema.ledger_events
    FOR EACH STATEMENT EXECUTE FUNCTION :schema.ledger_reject_change();

-- Snapshots are derived and may be pruned (DELETE), never edited or truncated.
CREATE OR REPLACE TRIGGER ledger_snapshots_no_update
    BEFORE UPDATE ON :schema.ledger_snapshots
    FOR EACH ROW EXECUTE FUNCTION :schema.ledger_reject_change();
CREATE OR REPLACE TRIGGER ledger_snapshots_no_truncate
    BEFORE TRUNCATE ON :schema.ledger_snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION :schema.ledger_reject_change();
