-- Member imports: one row per uploaded file (its detected format, the column mapping chosen,
-- the state and progress of its dry run or commit) and the row-level error report.
-- Both tenant-owned (see 0001 for the rule). The rows being imported never live here: they
-- are staged in a TEMP table inside the import's own transaction.

CREATE TABLE member_imports (
  tenant_id         bigint NOT NULL REFERENCES tenants(id),
  id                bigint GENERATED ALWAYS AS IDENTITY,
  file_name         text NOT NULL,
  format            text NOT NULL CHECK (format IN ('csv', 'xlsx')),
  -- csv only: the detected (or forced) text encoding and field delimiter
  encoding          text CHECK (encoding IN ('utf-8', 'gb18030', 'utf-16le', 'utf-16be')),
  delimiter         text,
  size_bytes        bigint NOT NULL,
  -- where the upload is kept on the server that received it (removed after a commit)
  file_path         text NOT NULL,
  columns           text[] NOT NULL DEFAULT '{}',
  sample            jsonb NOT NULL DEFAULT '[]',
  suggested_mapping jsonb NOT NULL DEFAULT '{}',
  status            text NOT NULL DEFAULT 'uploaded'
                    CHECK (status IN ('uploaded', 'validating', 'validated', 'importing', 'completed', 'failed')),
  mode              text CHECK (mode IN ('dry_run', 'commit')),
  -- while running: reading the file, checking the rows in SQL, writing the members
  phase             text CHECK (phase IN ('reading', 'checking', 'writing')),
  options           jsonb,
  total_rows        bigint,
  processed         bigint NOT NULL DEFAULT 0,
  imported          bigint NOT NULL DEFAULT 0,
  skipped           bigint NOT NULL DEFAULT 0,
  merged            bigint NOT NULL DEFAULT 0,
  failed            bigint NOT NULL DEFAULT 0,
  error_count       bigint NOT NULL DEFAULT 0,
  bytes_read        bigint NOT NULL DEFAULT 0,
  -- a problem with the whole file or run ({code, message}); row problems are in member_import_errors
  error             jsonb,
  created_by_type   text NOT NULL,
  created_by_id     bigint,
  created_by_name   text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  started_at        timestamptz,
  finished_at       timestamptz,
  -- refreshed while a run is in progress; a run whose heartbeat stops was interrupted
  heartbeat_at      timestamptz,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX member_imports_recent ON member_imports (tenant_id, id DESC);

-- The error report of the latest run of an import: spreadsheet row number (the header is row 1),
-- column, the offending value and why. Replaced at each run.
CREATE TABLE member_import_errors (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  id              bigint GENERATED ALWAYS AS IDENTITY,
  import_id       bigint NOT NULL,
  row_no          bigint NOT NULL,
  column_name     text,
  value           text,
  reason          text NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, import_id) REFERENCES member_imports (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX member_import_errors_report ON member_import_errors (tenant_id, import_id, row_no, id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['member_imports', 'member_import_errors'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON member_imports, member_import_errors TO memberdesk_app;
