-- Member events (活动管理): an event with its target filter (copied from a segment, like a
-- campaign's), invitations sent by SMS with the event's own sub-code, sign-ups (console or a
-- reply to the sub-code), attendance and the activity points it earned. See
-- src/marketing/events.service.ts.

CREATE TABLE events (
  tenant_id        bigint NOT NULL REFERENCES tenants(id),
  id               bigint GENERATED ALWAYS AS IDENTITY,
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description      text NOT NULL DEFAULT '',
  place            text NOT NULL DEFAULT '',
  starts_at        timestamptz NOT NULL,
  ends_at          timestamptz NOT NULL,
  capacity         integer CHECK (capacity BETWEEN 1 AND 1000000),   -- null = no limit
  signup_deadline  timestamptz,                                      -- null = until it starts
  segment_id       bigint,                                           -- where the filter came from (informative)
  filter           jsonb NOT NULL,
  invitation       text NOT NULL CHECK (length(invitation) BETWEEN 1 AND 500),
  confirmation     text NOT NULL CHECK (length(confirmation) BETWEEN 1 AND 500),
  points           integer NOT NULL DEFAULT 0 CHECK (points BETWEEN 0 AND 1000000),
  sub_code         text,                                             -- allocated at the first invite
  invited_at       timestamptz,
  created_by       text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, sub_code),
  CHECK (ends_at >= starts_at)
);
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON events TO memberdesk_app;

CREATE TABLE event_invitations (
  tenant_id   bigint NOT NULL REFERENCES tenants(id),
  event_id    bigint NOT NULL,
  member_id   bigint NOT NULL,
  message_id  bigint,                        -- sms_outbound.id
  status      text NOT NULL,                 -- the message's status when queued: queued | failed | suppressed
  fail_reason text,
  invited_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, event_id, member_id),
  FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
ALTER TABLE event_invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON event_invitations USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON event_invitations TO memberdesk_app;

CREATE TABLE event_signups (
  tenant_id   bigint NOT NULL REFERENCES tenants(id),
  event_id    bigint NOT NULL,
  member_id   bigint NOT NULL,
  via         text NOT NULL CHECK (via IN ('sms', 'console')),
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, event_id, member_id),
  FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
ALTER TABLE event_signups ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_signups FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON event_signups USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON event_signups TO memberdesk_app;

CREATE TABLE event_attendance (
  tenant_id           bigint NOT NULL REFERENCES tenants(id),
  event_id            bigint NOT NULL,
  member_id           bigint NOT NULL,
  points              integer NOT NULL CHECK (points >= 0),   -- owed for attending (the event's, when recorded)
  points_operation_id bigint,                                 -- the loyalty adjustment that paid them (null: not yet / none owed)
  recorded_by         text NOT NULL,
  recorded_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, event_id, member_id),
  FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
ALTER TABLE event_attendance ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_attendance FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON event_attendance USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE ON event_attendance TO memberdesk_app;
