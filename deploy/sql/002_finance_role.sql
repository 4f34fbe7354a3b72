-- The read-only role for BI tools, as `ledger projections grant-finance` makes
-- it (projections/finance_role.py): the read models and the settlement tables
-- (settlements/ddl.py). Replace public with the ledger's schema.
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ledger_finance') THEN
        CREATE ROLE ledger_finance NOLOGIN;
    END IF;
END $$;
GRANT USAGE ON SCHEMA public TO ledger_finance;
GRANT SELECT ON public.line_balances, public.payment_balances,
    public.payment_authorizations, public.order_summaries, public.journal,
    public.journal_days,
    public.settlement_imports, public.settlement_batches, public.settlement_lines,
    public.settlement_mappings, public.reconciliation_runs,
    public.reconciliation_results, public.reconciliation_exceptions,
    public.reconciliation_exception_events
    TO ledger_finance;
-- A login for a BI tool: CREATE ROLE metabase LOGIN PASSWORD '…' IN ROLE ledger_finance;
