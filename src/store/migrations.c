/*
 * migrations.c - the schema, as an ordered table of migrations embedded in the binary.
 *
 * DESIGN: one entry per version, never edited once released: a schema change is a new entry.
 * store_migrate() applies each pending entry in its own transaction and records it in
 * schema_version (a version not recorded there is applied, so numbers reserved by parallel work
 * may land out of order). The SQL sticks to what SQLite and PostgreSQL share where it can (TEXT ids,
 * BIGINT-compatible INTEGER milliseconds, lower(email) unique index, ON DELETE CASCADE) so the
 * PostgreSQL dialect can mirror it line by line. docs/internals/store.md lists the versions.
 */
#include "store/store_internal.h"

static const char m001_init[] =
    "CREATE TABLE users ("
    "  id TEXT PRIMARY KEY,"
    "  email TEXT NOT NULL,"
    "  password_hash TEXT NOT NULL,"
    "  role TEXT NOT NULL DEFAULT 'user',"
    "  created_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX users_email_ci ON users(lower(email));"

    "CREATE TABLE refresh_tokens ("
    "  id TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  family_id TEXT NOT NULL,"
    "  token_hash TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  used_at INTEGER,"
    "  revoked_at INTEGER);"
    "CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);"
    "CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);"

    "CREATE TABLE videos ("
    "  id TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  blob_key TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  duration_ms INTEGER NOT NULL DEFAULT 0,"
    "  status TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX videos_user_page ON videos(user_id, created_at, id);"

    "CREATE TABLE jobs ("
    "  id TEXT PRIMARY KEY,"
    "  user_id TEXT REFERENCES users(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL,"
    "  payload TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('queued','running','done','dead')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  max_attempts INTEGER NOT NULL,"
    "  run_after INTEGER NOT NULL,"
    "  lease_until INTEGER,"
    "  lease_owner TEXT,"
    "  progress REAL NOT NULL DEFAULT 0,"
    "  stage TEXT NOT NULL DEFAULT '',"
    "  error TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX jobs_runnable ON jobs(state, run_after, created_at);"
    "CREATE INDEX jobs_lease ON jobs(state, lease_until);"
    "CREATE INDEX jobs_user_page ON jobs(user_id, created_at, id);"

    "CREATE TABLE workouts ("
    "  id TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  video_id TEXT UNIQUE REFERENCES videos(id) ON DELETE SET NULL,"
    "  exercise TEXT NOT NULL,"
    "  started_at INTEGER NOT NULL,"
    "  duration_ms INTEGER NOT NULL DEFAULT 0,"
    "  score REAL NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX workouts_user_page ON workouts(user_id, created_at, id);"

    "CREATE TABLE sets ("
    "  id TEXT PRIMARY KEY,"
    "  workout_id TEXT NOT NULL REFERENCES workouts(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  exercise TEXT NOT NULL,"
    "  reps INTEGER NOT NULL DEFAULT 0,"
    "  score REAL NOT NULL DEFAULT 0,"
    "  load_kg REAL NOT NULL DEFAULT 0,"
    "  hold_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX sets_workout ON sets(workout_id, idx);"

    "CREATE TABLE reps ("
    "  id TEXT PRIMARY KEY,"
    "  set_id TEXT NOT NULL REFERENCES sets(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  t_start INTEGER NOT NULL,"
    "  t_end INTEGER NOT NULL,"
    "  metrics TEXT NOT NULL DEFAULT '{}',"
    "  faults TEXT NOT NULL DEFAULT '[]',"
    "  score REAL NOT NULL DEFAULT 0);"
    "CREATE INDEX reps_set ON reps(set_id, idx);"

    "CREATE TABLE analytics_daily ("
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  day TEXT NOT NULL,"
    "  exercise TEXT NOT NULL,"
    "  sessions INTEGER NOT NULL DEFAULT 0,"
    "  reps INTEGER NOT NULL DEFAULT 0,"
    "  volume REAL NOT NULL DEFAULT 0,"
    "  score_sum REAL NOT NULL DEFAULT 0,"
    "  score_n INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (user_id, day, exercise));"

    "CREATE TABLE uploads ("
    "  id TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  length INTEGER NOT NULL,"
    "  upload_offset INTEGER NOT NULL DEFAULT 0,"
    "  metadata TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL);"
    "CREATE INDEX uploads_expiry ON uploads(expires_at);"

    "CREATE TABLE rate_counters ("
    "  key TEXT PRIMARY KEY,"
    "  window_start INTEGER NOT NULL,"
    "  count INTEGER NOT NULL);"
    "CREATE INDEX rate_counters_window ON rate_counters(window_start);"

    "CREATE TABLE idempotency_keys ("
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  client_id TEXT NOT NULL,"
    "  resource_id TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (user_id, client_id));";

/* Sliding-window + back-off state per key (store_ratelimit_apply); rate_counters stays for
 * store_rate_hit (since removed; the table stays and is purged). updated_at (ms) drives
 * store_rate_purge. Plus videos.error. */
static const char m002_rate_limits[] =
    "CREATE TABLE rate_limits ("
    "  key TEXT PRIMARY KEY,"
    "  window_start INTEGER NOT NULL,"
    "  prev INTEGER NOT NULL,"
    "  cur INTEGER NOT NULL,"
    "  strikes INTEGER NOT NULL,"
    "  blocked_until INTEGER NOT NULL,"
    "  last_hit INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX rate_limits_updated ON rate_limits(updated_at);"
    /* why a video failed (store_video_fail), e.g. its job was dead-lettered */
    "ALTER TABLE videos ADD COLUMN error TEXT NOT NULL DEFAULT '';";

/* The video a job is about as a real, indexed column (it lived only inside the payload, found
 * by text search): jobs die with their video; existing analyze_video jobs are linked from their
 * payload when it names a video that still exists (json_valid guards malformed payloads). */
static const char m_jobs_video[] =
    "ALTER TABLE jobs ADD COLUMN video_id TEXT REFERENCES videos(id) ON DELETE CASCADE;"
    "UPDATE jobs SET video_id = (SELECT v.id FROM videos v WHERE v.id = CASE WHEN "
    "json_valid(jobs.payload) THEN json_extract(jobs.payload, '$.video_id') END) "
    "WHERE kind = 'analyze_video';"
    "CREATE INDEX jobs_video ON jobs(video_id, created_at);";

/* tus upload state moves from side files into the uploads table (src/blob/tus.c): where the
 * finished bytes go, and whether they got there with which SHA-256. */
static const char m004_upload_state[] =
    "ALTER TABLE uploads ADD COLUMN blob_key TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE uploads ADD COLUMN complete INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE uploads ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';";

/* Fair scheduling and quotas: when each job was last claimed (round robin across owners), the
 * owner indexes the fair claim probes (live leases per owner, last claim per owner), and
 * uploads by owner for the storage-quota sum. */
static const char m005_job_fairness[] =
    "ALTER TABLE jobs ADD COLUMN claimed_at INTEGER;"
    "CREATE INDEX jobs_owner_state ON jobs(user_id, state, lease_until);"
    "CREATE INDEX jobs_owner_claimed ON jobs(user_id, claimed_at);"
    "CREATE INDEX uploads_user ON uploads(user_id, complete, expires_at);";

/* A name the user gives a workout ("" = none: the app shows the exercise and the date). */
static const char m006_workout_name[] = "ALTER TABLE workouts ADD COLUMN name TEXT NOT NULL DEFAULT '';";

/* Partners (issue 13): organisations, their console admins, API keys (only a peppered hash of
 * the key; the prefix is public and indexed), one-time invite codes (hashed as well) and the
 * members' consent (org_members: one row per linked member, shares = what the member lets the
 * org see, as bits of app/partners.h). Deleting a user or an org removes their links. */
static const char m007_partners[] =
    "CREATE TABLE orgs ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX orgs_name_ci ON orgs(lower(name));"
    "CREATE TABLE org_admins ("
    "  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (org_id, user_id));"
    "CREATE INDEX org_admins_user ON org_admins(user_id);"
    "CREATE TABLE api_keys ("
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  prefix TEXT NOT NULL UNIQUE,"
    "  key_hash TEXT NOT NULL,"
    "  scopes INTEGER NOT NULL,"
    "  rate_per_min INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL DEFAULT 0,"
    "  revoked_at INTEGER NOT NULL DEFAULT 0,"
    "  last_used_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX api_keys_org ON api_keys(org_id, created_at);"
    "CREATE TABLE org_invites ("
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    "  code_hash TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  used_at INTEGER NOT NULL DEFAULT 0,"
    "  used_by TEXT REFERENCES users(id) ON DELETE SET NULL);"
    "CREATE INDEX org_invites_org ON org_invites(org_id, created_at);"
    "CREATE TABLE org_members ("
    "  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  shares INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (org_id, user_id));"
    "CREATE INDEX org_members_user ON org_members(user_id);"
    "CREATE INDEX org_members_page ON org_members(org_id, created_at, user_id);";
/* Webhooks (issue 13): endpoints of an organisation (org_id: the partner module's
 * organisations; no foreign key so this migration does not depend on theirs) and the delivery
 * log. A delivery is one event for one endpoint; seq orders the deliveries of one (endpoint,
 * member) lane; job_id names the one queued job responsible for a pending row. */
static const char m008_webhooks[] =
    "CREATE TABLE webhook_endpoints ("
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL,"
    "  url TEXT NOT NULL,"
    "  secret TEXT NOT NULL,"
    "  event_types TEXT NOT NULL,"
    "  enabled INTEGER NOT NULL DEFAULT 1,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX webhook_endpoints_org ON webhook_endpoints(org_id, created_at);"
    "CREATE TABLE webhook_deliveries ("
    "  id TEXT PRIMARY KEY,"
    "  seq INTEGER NOT NULL UNIQUE,"
    "  org_id TEXT NOT NULL,"
    "  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,"
    "  event_id TEXT NOT NULL,"
    "  event_type TEXT NOT NULL,"
    "  member_id TEXT NOT NULL DEFAULT '',"
    "  body TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
    "  last_attempt_at INTEGER NOT NULL DEFAULT 0,"
    "  last_status INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT NOT NULL DEFAULT '',"
    "  job_id TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  delivered_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX webhook_deliveries_lane ON webhook_deliveries(endpoint_id, member_id, status, seq);"
    "CREATE INDEX webhook_deliveries_org_page ON webhook_deliveries(org_id, created_at, id);"
    "CREATE INDEX webhook_deliveries_endpoint_page ON webhook_deliveries(endpoint_id, created_at, id);";
/* Derived numbers on the workout row (issue 12): the list's rep counts (it summed the sets and
 * read every rep's verdict per row) and the workout's share of its analytics_daily row, which
 * the writes now add and take back in their own transaction (store.md "Derived numbers").
 * Backfilled from the children with analytics' definitions; analytics_daily is then rebuilt
 * from them, so the incremental updates start from rows that agree with the workouts. The day
 * is the UTC day of started_at (floor, also before 1970). */
#define M_VERDICT "CASE WHEN json_valid(r.metrics) THEN json_extract(r.metrics, '$.verdict') END"
#define M_REPS_OF "FROM reps r JOIN sets s ON r.set_id = s.id WHERE s.workout_id = workouts.id"
static const char m010_workout_counts[] =
    "ALTER TABLE workouts ADD COLUMN n_reps INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE workouts ADD COLUMN n_good INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE workouts ADD COLUMN n_bad INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE workouts ADD COLUMN n_unjudged INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE workouts ADD COLUMN a_active INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE workouts ADD COLUMN a_volume REAL NOT NULL DEFAULT 0;"
    "ALTER TABLE workouts ADD COLUMN a_score_sum REAL NOT NULL DEFAULT 0;"
    "ALTER TABLE workouts ADD COLUMN a_score_n INTEGER NOT NULL DEFAULT 0;"
    "UPDATE workouts SET "
    " n_reps = (SELECT coalesce(sum(reps), 0) FROM sets WHERE workout_id = workouts.id),"
    " n_good = (SELECT count(*) " M_REPS_OF " AND " M_VERDICT " = 'good'),"
    " n_bad = (SELECT count(*) " M_REPS_OF " AND " M_VERDICT " = 'bad'),"
    " n_unjudged = (SELECT count(*) " M_REPS_OF " AND " M_VERDICT " = 'cannot_judge'),"
    " a_active = (SELECT coalesce(sum(reps), 0) > 0 OR coalesce(sum(hold_ms), 0) > 0 FROM sets "
    "   WHERE workout_id = workouts.id) OR EXISTS (SELECT 1 " M_REPS_OF "),"
    " a_volume = (SELECT coalesce(sum(load_kg * reps), 0) FROM sets WHERE workout_id = workouts.id"
    "   AND load_kg > 0 AND reps > 0),"
    " a_score_sum = (SELECT coalesce(sum(r.score), 0) " M_REPS_OF
    "   AND coalesce(" M_VERDICT ", '') IS NOT 'cannot_judge')"
    "  + (SELECT coalesce(sum(s.score), 0) FROM sets s WHERE s.workout_id = workouts.id"
    "   AND s.score > 0 AND NOT EXISTS (SELECT 1 FROM reps r WHERE r.set_id = s.id)),"
    " a_score_n = (SELECT count(*) " M_REPS_OF
    "   AND coalesce(" M_VERDICT ", '') IS NOT 'cannot_judge')"
    "  + (SELECT count(*) FROM sets s WHERE s.workout_id = workouts.id"
    "   AND s.score > 0 AND NOT EXISTS (SELECT 1 FROM reps r WHERE r.set_id = s.id));"
    "DELETE FROM analytics_daily;"
    "INSERT INTO analytics_daily (user_id, day, exercise, sessions, reps, volume, score_sum, "
    " score_n) SELECT user_id, date((started_at - ((started_at % 86400000) + 86400000) "
    " % 86400000) / 1000, 'unixepoch') AS d, exercise, count(*), sum(n_reps), sum(a_volume), "
    " sum(a_score_sum), sum(a_score_n) FROM workouts WHERE a_active GROUP BY user_id, d, exercise;";
/* Freemium (issue 13): plans as data, a user's plan (and organisation, a text id even before
 * organisations exist), metered usage (events + monthly counters per user and per
 * organisation, written in the transaction of the action they count), feature flags (a
 * percentage rollout + rules per plan, organisation and user) and the billing provider's
 * events (their id makes the webhook idempotent). Limits: -1 = unlimited. users.org_id is the organisation a user's usage
 * counts for (org-level counters); org_members (v7) is the partner consent, a separate thing. */
static const char m009_plans[] =
    "CREATE TABLE plans ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  rank INTEGER NOT NULL UNIQUE,"
    "  uploads_per_month INTEGER NOT NULL,"
    "  max_video_s INTEGER NOT NULL,"
    "  history_days INTEGER NOT NULL,"
    "  heavy_model INTEGER NOT NULL,"
    "  overlay_video INTEGER NOT NULL,"
    "  price_cents INTEGER NOT NULL);"
    "INSERT INTO plans VALUES"
    "  ('free', 'Free', 0, 10, 120, 90, 0, 0, 0),"
    "  ('pro', 'Pro', 1, 100, 600, -1, 1, 1, 900),"
    "  ('gym', 'Gym', 2, -1, 1800, -1, 1, 1, 4900);"
    "ALTER TABLE users ADD COLUMN plan TEXT NOT NULL DEFAULT 'free';"
    "ALTER TABLE users ADD COLUMN org_id TEXT;"
    "CREATE TABLE org_plans ("
    "  org_id TEXT PRIMARY KEY,"
    "  plan TEXT NOT NULL REFERENCES plans(id));"
    "CREATE TABLE usage_events ("
    "  id TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  org_id TEXT,"
    "  metric TEXT NOT NULL,"
    "  quantity INTEGER NOT NULL,"
    "  ref_id TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX usage_events_user ON usage_events(user_id, created_at);"
    "CREATE TABLE usage_monthly ("
    "  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('user','org')),"
    "  subject_id TEXT NOT NULL,"
    "  month TEXT NOT NULL,"
    "  metric TEXT NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  PRIMARY KEY (subject_kind, subject_id, month, metric));"
    "CREATE INDEX usage_monthly_month ON usage_monthly(month);"
    "CREATE TABLE feature_flags ("
    "  name TEXT PRIMARY KEY,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  rollout_percent INTEGER NOT NULL DEFAULT 0 CHECK (rollout_percent BETWEEN 0 AND 100),"
    "  updated_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE flag_rules ("
    "  flag TEXT NOT NULL REFERENCES feature_flags(name) ON DELETE CASCADE,"
    "  scope TEXT NOT NULL CHECK (scope IN ('plan','org','user')),"
    "  subject TEXT NOT NULL,"
    "  enabled INTEGER NOT NULL,"
    "  PRIMARY KEY (flag, scope, subject));"
    "INSERT INTO feature_flags (name, description, rollout_percent) VALUES"
    "  ('plan_page', 'the plan and usage section of the settings page', 100),"
    "  ('priority_queue', 'analyses of paying plans go first', 0),"
    "  ('progress_v2', 'the redesigned progress charts', 10);"
    "INSERT INTO flag_rules VALUES ('priority_queue', 'plan', 'pro', 1),"
    "  ('priority_queue', 'plan', 'gym', 1);"
    "CREATE TABLE billing_events ("
    "  id TEXT PRIMARY KEY,"
    "  type TEXT NOT NULL,"
    "  user_id TEXT,"
    "  plan TEXT,"
    "  received_at INTEGER NOT NULL);";

/* The partner outbox (issue 13, store.h "partner outbox"): one row per (event, org) written in
 * the transaction of the action it reports, deleted in the transaction that turns it into
 * webhook deliveries. AUTOINCREMENT: an id is never reused, so a drainer holding a stale row
 * cannot delete a newer one. No foreign keys: a row outlives the user it is about when that
 * user's deletion is the event (member.unlinked). */
static const char m011_outbox[] =
    "CREATE TABLE partner_outbox ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  type TEXT NOT NULL,"
    "  org_id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  workout_id TEXT NOT NULL DEFAULT '',"
    "  data TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX partner_outbox_user ON partner_outbox(user_id, id);";

/* Webhook deliveries get their own fair-share owner (issue 13): a system job's `lane` stands
 * for its owner in the fair claim and the per-owner cap (coalesce(user_id, lane); a delivery's
 * lane is "hook:<org id>"), so one org's slow endpoint holds at most the cap of its own org's
 * deliveries, and no other org's nor any user's. The owner indexes are rebuilt on that
 * expression; deliveries already queued move to their org's lane. */
static const char m012_job_lanes[] =
    "ALTER TABLE jobs ADD COLUMN lane TEXT;"
    "UPDATE jobs SET lane = 'hook:' || (SELECT d.org_id FROM webhook_deliveries d "
    "  WHERE d.job_id = jobs.id) WHERE kind = 'deliver_webhook' AND user_id IS NULL "
    "  AND state IN ('queued', 'running');"
    "CREATE INDEX jobs_owner2_state ON jobs(coalesce(user_id, lane), state, lease_until);"
    "CREATE INDEX jobs_owner2_claimed ON jobs(coalesce(user_id, lane), claimed_at);";

static const struct store_migration sqlite_migrations[] = {
    {1, "init", m001_init},
    {2, "rate_limits", m002_rate_limits},
    {3, "jobs_video", m_jobs_video},
    {4, "upload_state", m004_upload_state},
    {5, "job_fairness", m005_job_fairness},
    {6, "workout_name", m006_workout_name},
    {7, "partners", m007_partners},
    {8, "webhooks", m008_webhooks},
    {9, "plans", m009_plans},
    {10, "workout_counts", m010_workout_counts},
    {11, "outbox", m011_outbox},
    {12, "job_lanes", m012_job_lanes},
};

const struct store_migration *store__sqlite_migrations(size_t *n)
{
    *n = sizeof sqlite_migrations / sizeof sqlite_migrations[0];
    return sqlite_migrations;
}
