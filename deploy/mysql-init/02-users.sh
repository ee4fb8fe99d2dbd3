# shellcheck shell=bash
# Sourced (not executed) by the MySQL image's entrypoint after
# 01-databases.sql, on first start only, with docker_process_sql at hand.
# One user per application, each limited to its own databases:
#   hookflow -> hookflow              (HOOKFLOW_DB_PASSWORD)
#   temporal -> temporal, temporal_visibility (TEMPORAL_DB_PASSWORD)
# Changing a password in .env later does not change it here: the data
# volume keeps the first one (ALTER USER by hand, or start from an empty
# volume with "docker compose down -v").

: "${HOOKFLOW_DB_PASSWORD:?HOOKFLOW_DB_PASSWORD is not set}"
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is not set}"

# sql_string quotes $1 as a MySQL string literal.
sql_string() {
	local s=${1//\\/\\\\}
	printf "'%s'" "${s//\'/\'\'}"
}

docker_process_sql --database=mysql <<EOSQL
CREATE USER IF NOT EXISTS 'hookflow'@'%' IDENTIFIED BY $(sql_string "$HOOKFLOW_DB_PASSWORD");
GRANT ALL PRIVILEGES ON \`hookflow\`.* TO 'hookflow'@'%';
CREATE USER IF NOT EXISTS 'temporal'@'%' IDENTIFIED BY $(sql_string "$TEMPORAL_DB_PASSWORD");
GRANT ALL PRIVILEGES ON \`temporal\`.* TO 'temporal'@'%';
GRANT ALL PRIVILEGES ON \`temporal\\_visibility\`.* TO 'temporal'@'%';
EOSQL
