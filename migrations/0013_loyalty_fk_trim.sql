-- A purchase writes its row, two ledger rows and a lot; each carried two foreign keys, to the
-- member (tenant_id, member_id) and to the tenant (tenant_id). The member's key already implies
-- the tenant (members reference tenants), so the tenant-only ones checked nothing new while
-- costing a lookup per row on the hottest path. The idempotency table, which names no member,
-- keeps its tenant key.
ALTER TABLE loyalty_transactions DROP CONSTRAINT loyalty_transactions_tenant_id_fkey;
ALTER TABLE loyalty_ledger DROP CONSTRAINT loyalty_ledger_tenant_id_fkey;
ALTER TABLE loyalty_point_lots DROP CONSTRAINT loyalty_point_lots_tenant_id_fkey;
ALTER TABLE loyalty_tier_changes DROP CONSTRAINT loyalty_tier_changes_tenant_id_fkey;
