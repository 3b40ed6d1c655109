#!/bin/sh
# Run once by the postgres image on a new data folder: a database and a login role per domain.
# Each role owns its database and only its own; PUBLIC may connect to none of them, so
# sekat_social cannot open sekat_commerce.
set -eu
for domain in identity social commerce bridge; do
  var="SEKAT_$(echo "$domain" | tr a-z A-Z)_DB_PASSWORD"
  eval "password=\${$var}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v role="sekat_$domain" -v password="$password" <<'SQL'
create role :"role" login password :'password';
create database :"role" owner :"role";
revoke connect, temporary on database :"role" from public;
SQL
  # pg_trgm is made here by the superuser: the domain's role needs no right to create extensions.
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "sekat_$domain" -c 'create extension if not exists pg_trgm'
done
