#!/bin/sh
# The official mysql image's contract, for MariaDB: MYSQL_ROOT_PASSWORD and MYSQL_DATABASE set up an
# empty data directory; arguments go to the server. --init-file (the operator's users and grants)
# runs at every start after the database and the root password are in place.
set -eu
: "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD must be set}"
: "${MYSQL_DATABASE:=}"
datadir=/var/lib/mysql
init=/tmp/salespipeline-init.sql

sql_string() { printf "'%s'" "$(printf '%s' "$1" | sed -e "s/\\\\/\\\\\\\\/g" -e "s/'/''/g")"; }

if [ ! -d "$datadir/mysql" ]; then
  echo "initialising the data directory $datadir" >&2
  mariadb-install-db --no-defaults --datadir="$datadir" --skip-test-db --skip-name-resolve \
    --auth-root-authentication-method=normal >/tmp/install-db.log 2>&1 || { cat /tmp/install-db.log >&2; exit 1; }
fi

{
  echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $(sql_string "$MYSQL_ROOT_PASSWORD");"
  [ -z "$MYSQL_DATABASE" ] || echo "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"
} >"$init"
# Every --init-file joins ours (mariadbd reads only one); the other arguments stay as they are.
count=$#
for arg in "$@"; do
  case "$arg" in
    --init-file=*) cat "${arg#--init-file=}" >>"$init" ;;
    *) set -- "$@" "$arg" ;;
  esac
done
shift "$count"
exec mariadbd --no-defaults --datadir="$datadir" --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mysqld.pid \
  --tmpdir=/tmp --bind-address=0.0.0.0 --port=3306 --skip-name-resolve --init-file="$init" "$@"
