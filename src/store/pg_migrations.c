/*
 * pg_migrations.c - the schema in PostgreSQL's dialect: the same versions, names and tables as
 * migrations.c (SQLite), line by line.
 *
 * DESIGN: milliseconds and counts are BIGINT, reals DOUBLE PRECISION (PostgreSQL's REAL is
 * 4 bytes), text is TEXT COLLATE "C" so ids, days and exercise names compare and sort bytewise
 * exactly as in SQLite whatever the database's locale (cursors depend on it). JSON stays TEXT as
 * in SQLite; rr_json_text() reads one field of it and answers NULL for malformed text (SQLite's
 * json_valid + json_extract). Never edit a released entry: add one, in both files.
 */
#include "store/pg_internal.h"

#define T "TEXT COLLATE \"C\""
#define I "BIGINT"
#define R "DOUBLE PRECISION"

static const char m001_init[] =
    "CREATE TABLE users ("
    "  id " T " PRIMARY KEY,"
    "  email " T " NOT NULL,"
    "  password_hash " T " NOT NULL,"
    "  role " T " NOT NULL DEFAULT 'user',"
    "  created_at " I " NOT NULL);"
    "CREATE UNIQUE INDEX users_email_ci ON users(lower(email));"

    "CREATE TABLE refresh_tokens ("
    "  id " T " PRIMARY KEY,"
    "  user_id " T " NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  family_id " T " NOT NULL,"
    "  token_hash " T " NOT NULL UNIQUE,"
    "  created_at " I " NOT NULL,"
    "  expires_at " I " NOT NULL,"
    "  used_at " I ","
    "  revoked_at " I ");"
    "CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);"
    "CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);"

    "CREATE TABLE videos ("
    "  id " T " PRIMARY KEY,"
    "  user_id " T " NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  blob_key " T " NOT NULL,"
    "  sha256 " T " NOT NULL,"
    "  size " I " NOT NULL,"
    "  duration_ms " I " NOT NULL DEFAULT 0,"
    "  status " T " NOT NULL,"
    "  created_at " I " NOT NULL);"
    "CREATE INDEX videos_user_page ON videos(user_id, created_at, id);"

    "CREATE TABLE jobs ("
    "  id " T " PRIMARY KEY,"
    "  user_id " T " REFERENCES users(id) ON DELETE CASCADE,"
    "  kind " T " NOT NULL,"
    "  payload " T " NOT NULL,"
    "  state " T " NOT NULL CHECK (state IN ('queued','running','done','dead')),"
    "  attempts " I " NOT NULL DEFAULT 0,"
    "  max_attempts " I " NOT NULL,"
    "  run_after " I " NOT NULL,"
    "  lease_until " I ","
    "  lease_owner " T ","
    "  progress " R " NOT NULL DEFAULT 0,"
    "  stage " T " NOT NULL DEFAULT '',"
    "  error " T " NOT NULL DEFAULT '',"
    "  created_at " I " NOT NULL,"
    "  updated_at " I " NOT NULL);"
    "CREATE INDEX jobs_runnable ON jobs(state, run_after, created_at);"
    "CREATE INDEX jobs_lease ON jobs(state, lease_until);"
    "CREATE INDEX jobs_user_page ON jobs(user_id, created_at, id);"

    "CREATE TABLE workouts ("
    "  id " T " PRIMARY KEY,"
    "  user_id " T " NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  video_id " T " UNIQUE REFERENCES videos(id) ON DELETE SET NULL,"
    "  exercise " T " NOT NULL,"
    "  started_at " I " NOT NULL,"
    "  duration_ms " I " NOT NULL DEFAULT 0,"
    "  score " R " NOT NULL DEFAULT 0,"
    "  created_at " I " NOT NULL);"
    "CREATE INDEX workouts_user_page ON workouts(user_id, created_at, id);"

    "CREATE TABLE sets ("
    "  id " T " PRIMARY KEY,"
    "  workout_id " T " NOT NULL REFERENCES workouts(id) ON DELETE CASCADE,"
    "  idx " I " NOT NULL,"
    "  exercise " T " NOT NULL,"
    "  reps " I " NOT NULL DEFAULT 0,"
    "  score " R " NOT NULL DEFAULT 0,"
    "  load_kg " R " NOT NULL DEFAULT 0,"
    "  hold_ms " I " NOT NULL DEFAULT 0);"
    "CREATE INDEX sets_workout ON sets(workout_id, idx);"

    "CREATE TABLE reps ("
    "  id " T " PRIMARY KEY,"
    "  set_id " T " NOT NULL REFERENCES sets(id) ON DELETE CASCADE,"
    "  idx " I " NOT NULL,"
    "  t_start " I " NOT NULL,"
    "  t_end " I " NOT NULL,"
    "  metrics " T " NOT NULL DEFAULT '{}',"
    "  faults " T " NOT NULL DEFAULT '[]',"
    "  score " R " NOT NULL DEFAULT 0);"
    "CREATE INDEX reps_set ON reps(set_id, idx);"

    "CREATE TABLE analytics_daily ("
    "  user_id " T " NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  day " T " NOT NULL,"
    "  exercise " T " NOT NULL,"
    "  sessions " I " NOT NULL DEFAULT 0,"
    "  reps " I " NOT NULL DEFAULT 0,"
    "  volume " R " NOT NULL DEFAULT 0,"
    "  score_sum " R " NOT NULL DEFAULT 0,"
    "  score_n " I " NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (user_id, day, exercise));"

    "CREATE TABLE uploads ("
    "  id " T " PRIMARY KEY,"
    "  user_id " T " NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  length " I " NOT NULL,"
    "  upload_offset " I " NOT NULL DEFAULT 0,"
    "  metadata " T " NOT NULL DEFAULT '',"
    "  created_at " I " NOT NULL,"
    "  expires_at " I " NOT NULL);"
    "CREATE INDEX uploads_expiry ON uploads(expires_at);"

    "CREATE TABLE rate_counters ("
    "  key " T " PRIMARY KEY,"
    "  window_start " I " NOT NULL,"
    "  count " I " NOT NULL);"
    "CREATE INDEX rate_counters_window ON rate_counters(window_start);"

    "CREATE TABLE idempotency_keys ("
    "  user_id " T " NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  client_id " T " NOT NULL,"
    "  resource_id " T " NOT NULL,"
    "  created_at " I " NOT NULL,"
    "  PRIMARY KEY (user_id, client_id));";

static const char m002_rate_limits[] =
    "CREATE TABLE rate_limits ("
    "  key " T " PRIMARY KEY,"
    "  window_start " I " NOT NULL,"
    "  prev " I " NOT NULL,"
    "  cur " I " NOT NULL,"
    "  strikes " I " NOT NULL,"
    "  blocked_until " I " NOT NULL,"
    "  last_hit " I " NOT NULL,"
    "  updated_at " I " NOT NULL);"
    "CREATE INDEX rate_limits_updated ON rate_limits(updated_at);"
    "ALTER TABLE videos ADD COLUMN error " T " NOT NULL DEFAULT '';";

/* rr_json_text(doc, field): doc's top-level field as text, NULL when doc is not JSON (an
 * exception block is PostgreSQL 15's only way to test that without failing the statement). */
static const char m_jobs_video[] =
    "CREATE OR REPLACE FUNCTION rr_json_text(doc text, field text) RETURNS text "
    "LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$ "
    "BEGIN RETURN doc::jsonb ->> field; "
    "EXCEPTION WHEN others THEN RETURN NULL; END $f$;"
    "ALTER TABLE jobs ADD COLUMN video_id " T " REFERENCES videos(id) ON DELETE CASCADE;"
    "UPDATE jobs SET video_id = (SELECT v.id FROM videos v "
    "WHERE v.id = rr_json_text(jobs.payload, 'video_id')) WHERE kind = 'analyze_video';"
    "CREATE INDEX jobs_video ON jobs(video_id, created_at);";

static const char m004_upload_state[] =
    "ALTER TABLE uploads ADD COLUMN blob_key " T " NOT NULL DEFAULT '';"
    "ALTER TABLE uploads ADD COLUMN complete " I " NOT NULL DEFAULT 0;"
    "ALTER TABLE uploads ADD COLUMN sha256 " T " NOT NULL DEFAULT '';";

static const char m005_job_fairness[] =
    "ALTER TABLE jobs ADD COLUMN claimed_at " I ";"
    "CREATE INDEX jobs_owner_state ON jobs(user_id, state, lease_until);"
    "CREATE INDEX jobs_owner_claimed ON jobs(user_id, claimed_at);"
    "CREATE INDEX uploads_user ON uploads(user_id, complete, expires_at);";

static const char m006_workout_name[] =
    "ALTER TABLE workouts ADD COLUMN name " T " NOT NULL DEFAULT '';";

static const char m007_partners[] =
    "CREATE TABLE orgs ("
    "  id " T " PRIMARY KEY,"
    "  name " T " NOT NULL,"
    "  created_at " I " NOT NULL);"
    "CREATE UNIQUE INDEX orgs_name_ci ON orgs(lower(name));"
    "CREATE TABLE org_admins ("
    "  org_id " T " NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    "  user_id " T " NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  created_at " I " NOT NULL,"
    "  PRIMARY KEY (org_id, user_id));"
    "CREATE INDEX org_admins_user ON org_admins(user_id);"
    "CREATE TABLE api_keys ("
    "  id " T " PRIMARY KEY,"
    "  org_id " T " NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    "  name " T " NOT NULL DEFAULT '',"
    "  prefix " T " NOT NULL UNIQUE,"
    "  key_hash " T " NOT NULL,"
    "  scopes " I " NOT NULL,"
    "  rate_per_min " I " NOT NULL DEFAULT 0,"
    "  created_at " I " NOT NULL,"
    "  expires_at " I " NOT NULL DEFAULT 0,"
    "  revoked_at " I " NOT NULL DEFAULT 0,"
    "  last_used_at " I " NOT NULL DEFAULT 0);"
    "CREATE INDEX api_keys_org ON api_keys(org_id, created_at);"
    "CREATE TABLE org_invites ("
    "  id " T " PRIMARY KEY,"
    "  org_id " T " NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    "  code_hash " T " NOT NULL UNIQUE,"
    "  created_at " I " NOT NULL,"
    "  expires_at " I " NOT NULL,"
    "  used_at " I " NOT NULL DEFAULT 0,"
    "  used_by " T " REFERENCES users(id) ON DELETE SET NULL);"
    "CREATE INDEX org_invites_org ON org_invites(org_id, created_at);"
    "CREATE TABLE org_members ("
    "  org_id " T " NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    "  user_id " T " NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  shares " I " NOT NULL,"
    "  created_at " I " NOT NULL,"
    "  PRIMARY KEY (org_id, user_id));"
    "CREATE INDEX org_members_user ON org_members(user_id);"
    "CREATE INDEX org_members_page ON org_members(org_id, created_at, user_id);";

static const char m008_webhooks[] =
    "CREATE TABLE webhook_endpoints ("
    "  id " T " PRIMARY KEY,"
    "  org_id " T " NOT NULL,"
    "  url " T " NOT NULL,"
    "  secret " T " NOT NULL,"
    "  event_types " T " NOT NULL,"
    "  enabled " I " NOT NULL DEFAULT 1,"
    "  created_at " I " NOT NULL);"
    "CREATE INDEX webhook_endpoints_org ON webhook_endpoints(org_id, created_at);"
    "CREATE TABLE webhook_deliveries ("
    "  id " T " PRIMARY KEY,"
    "  seq " I " NOT NULL UNIQUE,"
    "  org_id " T " NOT NULL,"
    "  endpoint_id " T " NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,"
    "  event_id " T " NOT NULL,"
    "  event_type " T " NOT NULL,"
    "  member_id " T " NOT NULL DEFAULT '',"
    "  body " T " NOT NULL,"
    "  status " T " NOT NULL CHECK (status IN ('pending','delivered','failed')),"
    "  attempts " I " NOT NULL DEFAULT 0,"
    "  next_attempt_at " I " NOT NULL DEFAULT 0,"
    "  last_attempt_at " I " NOT NULL DEFAULT 0,"
    "  last_status " I " NOT NULL DEFAULT 0,"
    "  last_error " T " NOT NULL DEFAULT '',"
    "  job_id " T " NOT NULL DEFAULT '',"
    "  created_at " I " NOT NULL,"
    "  updated_at " I " NOT NULL,"
    "  delivered_at " I " NOT NULL DEFAULT 0);"
    "CREATE INDEX webhook_deliveries_lane ON webhook_deliveries(endpoint_id, member_id, status, seq);"
    "CREATE INDEX webhook_deliveries_org_page ON webhook_deliveries(org_id, created_at, id);"
    "CREATE INDEX webhook_deliveries_endpoint_page ON webhook_deliveries(endpoint_id, created_at, id);";

/* Freemium (migrations.c's m009_plans, same tables, seeds and defaults): limits -1 = unlimited;
 * users.org_id is the organisation a user's usage counts for. */
static const char m009_plans[] =
    "CREATE TABLE plans ("
    "  id " T " PRIMARY KEY,"
    "  name " T " NOT NULL,"
    "  rank " I " NOT NULL UNIQUE,"
    "  uploads_per_month " I " NOT NULL,"
    "  max_video_s " I " NOT NULL,"
    "  history_days " I " NOT NULL,"
    "  heavy_model " I " NOT NULL,"
    "  overlay_video " I " NOT NULL,"
    "  price_cents " I " NOT NULL);"
    "INSERT INTO plans VALUES"
    "  ('free', 'Free', 0, 10, 120, 90, 0, 0, 0),"
    "  ('pro', 'Pro', 1, 100, 600, -1, 1, 1, 900),"
    "  ('gym', 'Gym', 2, -1, 1800, -1, 1, 1, 4900);"
    "ALTER TABLE users ADD COLUMN plan " T " NOT NULL DEFAULT 'free';"
    "ALTER TABLE users ADD COLUMN org_id " T ";"
    "CREATE TABLE org_plans ("
    "  org_id " T " PRIMARY KEY,"
    "  plan " T " NOT NULL REFERENCES plans(id));"
    "CREATE TABLE usage_events ("
    "  id " T " PRIMARY KEY,"
    "  user_id " T " NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  org_id " T ","
    "  metric " T " NOT NULL,"
    "  quantity " I " NOT NULL,"
    "  ref_id " T " NOT NULL DEFAULT '',"
    "  created_at " I " NOT NULL);"
    "CREATE INDEX usage_events_user ON usage_events(user_id, created_at);"
    "CREATE TABLE usage_monthly ("
    "  subject_kind " T " NOT NULL CHECK (subject_kind IN ('user','org')),"
    "  subject_id " T " NOT NULL,"
    "  month " T " NOT NULL,"
    "  metric " T " NOT NULL,"
    "  count " I " NOT NULL,"
    "  PRIMARY KEY (subject_kind, subject_id, month, metric));"
    "CREATE INDEX usage_monthly_month ON usage_monthly(month);"
    "CREATE TABLE feature_flags ("
    "  name " T " PRIMARY KEY,"
    "  description " T " NOT NULL DEFAULT '',"
    "  rollout_percent " I " NOT NULL DEFAULT 0 CHECK (rollout_percent BETWEEN 0 AND 100),"
    "  updated_at " I " NOT NULL DEFAULT 0);"
    "CREATE TABLE flag_rules ("
    "  flag " T " NOT NULL REFERENCES feature_flags(name) ON DELETE CASCADE,"
    "  scope " T " NOT NULL CHECK (scope IN ('plan','org','user')),"
    "  subject " T " NOT NULL,"
    "  enabled " I " NOT NULL,"
    "  PRIMARY KEY (flag, scope, subject));"
    "INSERT INTO feature_flags (name, description, rollout_percent) VALUES"
    "  ('plan_page', 'the plan and usage section of the settings page', 100),"
    "  ('priority_queue', 'analyses of paying plans go first', 0),"
    "  ('progress_v2', 'the redesigned progress charts', 10);"
    "INSERT INTO flag_rules VALUES ('priority_queue', 'plan', 'pro', 1),"
    "  ('priority_queue', 'plan', 'gym', 1);"
    "CREATE TABLE billing_events ("
    "  id " T " PRIMARY KEY,"
    "  type " T " NOT NULL,"
    "  user_id " T ","
    "  plan " T ","
    "  received_at " I " NOT NULL);";

/* Derived numbers on the workout row (migration.c's m010_workout_counts, same backfill): the
 * verdict through rr_json_text, the UTC day with to_char. */
#define M_VERDICT "rr_json_text(r.metrics, 'verdict')"
#define M_REPS_OF "FROM reps r JOIN sets s ON r.set_id = s.id WHERE s.workout_id = workouts.id"
static const char m010_workout_counts[] =
    "ALTER TABLE workouts ADD COLUMN n_reps " I " NOT NULL DEFAULT 0;"
    "ALTER TABLE workouts ADD COLUMN n_good " I " NOT NULL DEFAULT 0;"
    "ALTER TABLE workouts ADD COLUMN n_bad " I " NOT NULL DEFAULT 0;"
    "ALTER TABLE workouts ADD COLUMN n_unjudged " I " NOT NULL DEFAULT 0;"
    "ALTER TABLE workouts ADD COLUMN a_active " I " NOT NULL DEFAULT 0;"
    "ALTER TABLE workouts ADD COLUMN a_volume " R " NOT NULL DEFAULT 0;"
    "ALTER TABLE workouts ADD COLUMN a_score_sum " R " NOT NULL DEFAULT 0;"
    "ALTER TABLE workouts ADD COLUMN a_score_n " I " NOT NULL DEFAULT 0;"
    "UPDATE workouts SET "
    " n_reps = (SELECT coalesce(sum(reps), 0) FROM sets WHERE workout_id = workouts.id),"
    " n_good = (SELECT count(*) " M_REPS_OF " AND " M_VERDICT " = 'good'),"
    " n_bad = (SELECT count(*) " M_REPS_OF " AND " M_VERDICT " = 'bad'),"
    " n_unjudged = (SELECT count(*) " M_REPS_OF " AND " M_VERDICT " = 'cannot_judge'),"
    " a_active = CASE WHEN (SELECT coalesce(sum(reps), 0) > 0 OR coalesce(sum(hold_ms), 0) > 0 "
    "   FROM sets WHERE workout_id = workouts.id) OR EXISTS (SELECT 1 " M_REPS_OF ") "
    "   THEN 1 ELSE 0 END,"
    " a_volume = (SELECT coalesce(sum(load_kg * reps), 0) FROM sets WHERE workout_id = workouts.id"
    "   AND load_kg > 0 AND reps > 0),"
    " a_score_sum = (SELECT coalesce(sum(r.score), 0) " M_REPS_OF
    "   AND " M_VERDICT " IS DISTINCT FROM 'cannot_judge')"
    "  + (SELECT coalesce(sum(s.score), 0) FROM sets s WHERE s.workout_id = workouts.id"
    "   AND s.score > 0 AND NOT EXISTS (SELECT 1 FROM reps r WHERE r.set_id = s.id)),"
    " a_score_n = (SELECT count(*) " M_REPS_OF
    "   AND " M_VERDICT " IS DISTINCT FROM 'cannot_judge')"
    "  + (SELECT count(*) FROM sets s WHERE s.workout_id = workouts.id"
    "   AND s.score > 0 AND NOT EXISTS (SELECT 1 FROM reps r WHERE r.set_id = s.id));"
    "DELETE FROM analytics_daily;"
    "INSERT INTO analytics_daily (user_id, day, exercise, sessions, reps, volume, score_sum, "
    " score_n) SELECT user_id, to_char(to_timestamp(floor(started_at / 1000.0)) AT TIME ZONE "
    " 'UTC', 'YYYY-MM-DD') AS d, exercise, count(*), sum(n_reps), sum(a_volume), "
    " sum(a_score_sum), sum(a_score_n) FROM workouts WHERE a_active <> 0 "
    " GROUP BY user_id, d, exercise;";

/* The partner outbox (migrations.c's m011_outbox): bigserial ids are never reused. */
static const char m011_outbox[] =
    "CREATE TABLE partner_outbox ("
    "  id BIGSERIAL PRIMARY KEY,"
    "  type " T " NOT NULL,"
    "  org_id " T " NOT NULL,"
    "  user_id " T " NOT NULL,"
    "  workout_id " T " NOT NULL DEFAULT '',"
    "  data " T " NOT NULL DEFAULT '',"
    "  created_at " I " NOT NULL);"
    "CREATE INDEX partner_outbox_user ON partner_outbox(user_id, id);";

/* Webhook deliveries' own fair-share owner (migrations.c's m012_job_lanes). */
static const char m012_job_lanes[] =
    "ALTER TABLE jobs ADD COLUMN lane " T ";"
    "UPDATE jobs SET lane = 'hook:' || (SELECT d.org_id FROM webhook_deliveries d "
    "  WHERE d.job_id = jobs.id) WHERE kind = 'deliver_webhook' AND user_id IS NULL "
    "  AND state IN ('queued', 'running');"
    "CREATE INDEX jobs_owner2_state ON jobs((coalesce(user_id, lane)), state, lease_until);"
    "CREATE INDEX jobs_owner2_claimed ON jobs((coalesce(user_id, lane)), claimed_at);";

static const struct store_migration pg_migrations[] = {
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

const struct store_migration *store__pg_migrations(size_t *n)
{
    *n = sizeof pg_migrations / sizeof pg_migrations[0];
    return pg_migrations;
}
