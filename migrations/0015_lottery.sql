-- Marketing: SMS lottery (短信抽奖). Members text `cj#answer` to the merchant's port; every
-- attempt is recorded with its outcome; the draw is stored with what is needed to recompute it
-- (seed, algorithm, hash of the ordered entry list); winners are listed for prize collection.
-- See src/marketing/lottery.rules.ts (answers, routing, the seeded draw) and lottery.service.ts.

CREATE TABLE lotteries (
  tenant_id          bigint NOT NULL REFERENCES tenants(id),
  id                 bigint GENERATED ALWAYS AS IDENTITY,
  name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  answers            text[] NOT NULL CHECK (cardinality(answers) BETWEEN 1 AND 20),
  -- the answers normalised (NFKC, spaces removed, upper case), compared with the member's
  answer_keys        text[] NOT NULL CHECK (cardinality(answer_keys) BETWEEN 1 AND 20),
  starts_at          timestamptz NOT NULL,
  ends_at            timestamptz NOT NULL,
  entries_per_phone  integer NOT NULL DEFAULT 1 CHECK (entries_per_phone BETWEEN 1 AND 100),
  members_only       boolean NOT NULL DEFAULT false,
  -- [{name, count}], in prize order (first prize first)
  prizes             jsonb NOT NULL,
  -- reply templates that differ from the defaults
  templates          jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_by         text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_by         text NOT NULL,
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CHECK (ends_at > starts_at)
);

-- Every cj# attempt routed to a lottery, whatever its outcome. A valid entry carries its number
-- for the phone (1..entries_per_phone); the unique key makes two messages of one phone arriving
-- at once one entry (the second waits for the first's transaction, then finds the number taken).
CREATE TABLE lottery_entries (
  tenant_id     bigint NOT NULL,
  id            bigint GENERATED ALWAYS AS IDENTITY,
  lottery_id    bigint NOT NULL,
  phone         text NOT NULL,
  member_id     bigint,
  answer        text NOT NULL,
  outcome       text NOT NULL CHECK (outcome IN ('valid', 'wrong_answer', 'outside_window', 'already_entered', 'not_member')),
  entry_no      integer CHECK (entry_no >= 1),
  staging_id    bigint,
  received_at   timestamptz NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, lottery_id) REFERENCES lotteries (tenant_id, id),
  UNIQUE (tenant_id, lottery_id, phone, entry_no),
  CHECK ((outcome = 'valid') = (entry_no IS NOT NULL))
);
CREATE INDEX lottery_entries_list ON lottery_entries (tenant_id, lottery_id, id);
CREATE INDEX lottery_entries_valid ON lottery_entries (tenant_id, lottery_id, id) WHERE outcome = 'valid';

-- One draw per lottery (the primary key): the seed (32 bytes from crypto.randomBytes, hex), the
-- algorithm, the number and SHA-256 of the valid entries in id order, and the winning entry ids
-- in rank order, so GET /lotteries/{id}/draw/verify can recompute it from stored data.
CREATE TABLE lottery_draws (
  tenant_id        bigint NOT NULL,
  lottery_id       bigint NOT NULL,
  algorithm        text NOT NULL,
  seed             text NOT NULL CHECK (seed ~ '^[0-9a-f]{64}$'),
  entry_count      integer NOT NULL,
  entries_hash     text NOT NULL,
  winner_entry_ids bigint[] NOT NULL,
  drawn_by         text NOT NULL,
  drawn_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, lottery_id),
  FOREIGN KEY (tenant_id, lottery_id) REFERENCES lotteries (tenant_id, id)
);

CREATE TABLE lottery_winners (
  tenant_id      bigint NOT NULL,
  id             bigint GENERATED ALWAYS AS IDENTITY,
  lottery_id     bigint NOT NULL,
  rank           integer NOT NULL CHECK (rank >= 1),
  entry_id       bigint NOT NULL,
  phone          text NOT NULL,
  member_id      bigint,
  prize_index    integer NOT NULL CHECK (prize_index >= 0),
  prize_name     text NOT NULL,
  message_id     bigint,
  collected_at   timestamptz,
  collected_by   text,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, lottery_id) REFERENCES lottery_draws (tenant_id, lottery_id),
  FOREIGN KEY (tenant_id, entry_id) REFERENCES lottery_entries (tenant_id, id),
  UNIQUE (tenant_id, lottery_id, rank),
  UNIQUE (tenant_id, lottery_id, entry_id)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['lotteries', 'lottery_entries', 'lottery_draws', 'lottery_winners'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO memberdesk_app', t);
  END LOOP;
END $$;
