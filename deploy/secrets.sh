#!/bin/sh
# secrets.sh - create deploy/secrets/* (random, once) and deploy/.env (the passwords the URLs
# of docker-compose.yml need). Idempotent: existing secrets are kept. Never commit either.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
gen() { [ -s "secrets/$1" ] || head -c "$2" /dev/urandom | od -An -tx1 | tr -d ' \n' >"secrets/$1"; }
gen jwt_secret 32
gen pg_password 24
gen redis_password 24
gen s3_secret_key 24
[ -s secrets/s3_access_key ] || printf 'repright%s' "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" >secrets/s3_access_key
{
  echo "PG_PASSWORD=$(cat secrets/pg_password)"
  echo "REDIS_PASSWORD=$(cat secrets/redis_password)"
  echo "PUBLIC_S3_URL=${PUBLIC_S3_URL:-http://localhost:9000}"
} >.env
chmod 0644 secrets/* # the containers' users read them through the compose bind mounts
echo "secrets in deploy/secrets/, passwords for the URLs in deploy/.env"
