-- Automated care (自动客户关怀): one rule per kind per merchant, and a record of every care
-- message sent, unique per (rule, member, occasion), so each occasion is greeted once — across
-- restarts, reruns and workers running side by side. See src/marketing/care.rules.ts.

CREATE TABLE care_rules (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  id              bigint GENERATED ALWAYS AS IDENTITY,
  kind            text NOT NULL CHECK (kind IN ('birthday', 'inactive', 'tier_upgrade', 'points_change', 'points_expiring')),
  enabled         boolean NOT NULL DEFAULT false,
  channel         text NOT NULL CHECK (channel IN ('sms', 'email')),
  subject         text,                                   -- email only
  template        text NOT NULL CHECK (length(template) BETWEEN 1 AND 20000),
  send_time       time NOT NULL,                          -- local time of day (merchant timezone)
  days            integer CHECK (days BETWEEN 0 AND 3650), -- birthday: days before; inactive: N; points_expiring: N
  min_points      bigint CHECK (min_points >= 1),         -- points_change: smallest |delta| notified
  -- when the rule was last switched on: event kinds never greet events from before it
  enabled_at      timestamptz,
  -- event kinds: every event with an id at or below this was looked at (an optimisation; the
  -- unique key of care_sends is the guarantee)
  event_cursor    bigint NOT NULL DEFAULT 0,
  -- day kinds: the local date whose scheduled run completed (later ticks that day skip the scan)
  done_on         date,
  updated_by      text NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, kind),
  CHECK ((channel = 'email') = (subject IS NOT NULL))
);
ALTER TABLE care_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE care_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON care_rules USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE ON care_rules TO memberdesk_app;

CREATE TABLE care_sends (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  id              bigint GENERATED ALWAYS AS IDENTITY,
  rule_id         bigint NOT NULL,
  member_id       bigint NOT NULL,
  -- what is greeted: birthday → the year; inactive → 'purchase:<id>' of the last purchase or
  -- 'joined'; tier_upgrade → the tier change id; points_change → the ledger entry id;
  -- points_expiring → the local date the earliest lot expires
  occasion        text NOT NULL,
  kind            text NOT NULL,
  channel         text NOT NULL CHECK (channel IN ('sms', 'email')),
  message_id      bigint,                                  -- sms_outbound.id or email_messages.id
  status          text NOT NULL,                           -- the message's status when queued (queued, suppressed, failed) or failed here
  fail_reason     text,
  sent_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, rule_id, member_id, occasion),
  FOREIGN KEY (tenant_id, rule_id) REFERENCES care_rules (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
CREATE INDEX care_sends_member ON care_sends (tenant_id, member_id, id DESC);
ALTER TABLE care_sends ENABLE ROW LEVEL SECURITY;
ALTER TABLE care_sends FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON care_sends USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON care_sends TO memberdesk_app;

-- Birthdays by month and day (MMDD as an integer): the day's greetings are one index range
-- instead of a scan of every member. IMMUTABLE is true: it depends only on its argument.
-- plpgsql, not sql: an SQL function would be inlined into extract(...) arithmetic, which is not
-- leakproof, and under row-level security a non-leakproof condition cannot be an index condition.
CREATE FUNCTION care_month_day(d date) RETURNS integer
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ BEGIN RETURN (extract(month FROM d) * 100 + extract(day FROM d))::integer; END $$;
GRANT EXECUTE ON FUNCTION care_month_day(date) TO memberdesk_app;
-- Under row-level security only LEAKPROOF functions may be used in an index condition (it raises
-- no data-dependent error, so it leaks nothing). Declaring it needs a superuser.
DO $$
BEGIN
  ALTER FUNCTION care_month_day(date) LEAKPROOF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'memberdesk: not a superuser, so care_month_day stays non-leakproof: birthday care scans the tenant''s members with birthdays';
END $$;
CREATE INDEX members_birthday_md ON members (tenant_id, care_month_day(birthday)) WHERE birthday IS NOT NULL;
-- Members by joining date (inactive members who never bought: counted from joining).
CREATE INDEX members_created ON members (tenant_id, created_at);
-- Tier upgrades after the rule's cursor: the primary key (tenant_id, id) serves the range;
-- points changes the same over loyalty_ledger. Expiring points: members_points_expire (0005)
-- and loyalty_point_lots_open.
