#!/usr/bin/env bash
# Local MariaDB (Debian mariadb-server 10.11) for the MySQL aggregates.
#   scripts/infra/mariadb.sh install|start|stop|restart|status
#   scripts/infra/mariadb.sh sql "SELECT version()"   # runs SQL as root through the unix socket
#   scripts/infra/mariadb.sh sql -N "SELECT 1"        # leading '-' arguments go to the mariadb client
#   scripts/infra/mariadb.sh sql < file.sql           # (no SQL argument: SQL from stdin)
#   scripts/infra/mariadb.sh dsn                      # prints the application DSN
# Application DSN: mysql://salespipeline:salespipeline@127.0.0.1:13306/salespipeline
# The user may also CREATE/DROP any database and has ALL on `sp_test_%` (scratch test databases).
# Our own mariadbd: datadir, socket, pid and my.cnf under $SP_STATE_DIR/mariadb; a distro
# mariadb service, if one runs, is left alone and never used.
source "$(dirname "$0")/lib.sh"

MDB_NAME=mariadb
MDB_DIR="$SP_STATE_DIR/mariadb"
MDB_DATA="$MDB_DIR/data"
MDB_SOCK="$MDB_DIR/mysqld.sock"
MDB_CNF="$MDB_DIR/my.cnf"
MDB_INIT_MARKER="$MDB_DIR/.initialised"
MDB_DB=salespipeline MDB_USER=salespipeline MDB_PASSWORD=salespipeline
MDB_DSN="mysql://$MDB_USER:$MDB_PASSWORD@127.0.0.1:$SP_MYSQL_PORT/$MDB_DB"

svc_install() {
  sp_apt_install_no_start mariadbd mariadb-server mariadb-client
  sp_require mariadbd "install mariadb-server"
  sp_require mariadb "install mariadb-client"
  sp_require mariadb-install-db "install mariadb-server"
}

_mdb_render_cnf() {
  mkdir -p "$MDB_DIR" "$MDB_DIR/tmp"
  local user_line="# running as $(id -un)"
  [ "$(id -u)" = 0 ] && user_line="user = root"
  sed -e "s|@SOCKET@|$MDB_SOCK|g" -e "s|@DATADIR@|$MDB_DATA|g" \
      -e "s|@PIDFILE@|$MDB_DIR/mariadbd.pid|g" -e "s|@TMPDIR@|$MDB_DIR/tmp|g" \
      -e "s|@PORT@|$SP_MYSQL_PORT|g" -e "s|@USER_LINE@|$user_line|g" \
      "$SP_REPO_DIR/scripts/infra/mariadb/my.cnf.in" >"$MDB_CNF.tmp"
  mv "$MDB_CNF.tmp" "$MDB_CNF"
}

_mdb_init_datadir() {
  [ -f "$MDB_INIT_MARKER" ] && return 0
  if [ -e "$MDB_DATA" ]; then
    sp_log "mariadb: removing half-initialised $MDB_DATA"
    rm -rf "$MDB_DATA"
  fi
  mkdir -p "$MDB_DATA"
  sp_log "mariadb: initialising $MDB_DATA"
  # root@localhost authenticates through the unix socket (as the OS user running this script).
  if ! mariadb-install-db --defaults-file="$MDB_CNF" --datadir="$MDB_DATA" \
      --auth-root-authentication-method=socket --skip-test-db \
      >>"$(sp_logfile "$MDB_NAME")" 2>&1; then
    sp_fail_with_log "$MDB_NAME" "mariadb-install-db failed"
  fi
  touch "$MDB_INIT_MARKER"
}

# Runs SQL as the (socket-authenticated) admin user; extra arguments go to the mariadb client.
_mdb_sql() { mariadb --defaults-file="$MDB_CNF" "$@"; }

_mdb_ready() {
  mariadb-admin --defaults-file="$MDB_CNF" --connect-timeout=2 ping >/dev/null 2>&1 \
    && _mdb_sql -N -e 'SELECT 1' >/dev/null 2>&1
}

_mdb_bootstrap() { # idempotent: database, application user, grants
  _mdb_sql <<SQL || sp_fail_with_log "$MDB_NAME" "creating database/user failed"
CREATE DATABASE IF NOT EXISTS \`$MDB_DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$MDB_USER'@'127.0.0.1' IDENTIFIED BY '$MDB_PASSWORD';
CREATE USER IF NOT EXISTS '$MDB_USER'@'localhost' IDENTIFIED BY '$MDB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$MDB_DB\`.* TO '$MDB_USER'@'127.0.0.1', '$MDB_USER'@'localhost';
GRANT ALL PRIVILEGES ON \`sp\\_test\\_%\`.* TO '$MDB_USER'@'127.0.0.1', '$MDB_USER'@'localhost';
GRANT CREATE, DROP ON *.* TO '$MDB_USER'@'127.0.0.1', '$MDB_USER'@'localhost';
FLUSH PRIVILEGES;
SQL
}

svc_start() {
  if sp_running "$MDB_NAME"; then
    _mdb_render_cnf
    sp_reuse_running "$MDB_NAME" "$MDB_DSN" _mdb_ready && return 0
  fi
  if sp_tcp_open "$SP_MYSQL_PORT"; then
    sp_die "port $SP_MYSQL_PORT is in use by another process (not our mariadb)"
  fi
  (( ${#MDB_SOCK} < 100 )) || sp_die "socket path too long for a unix socket: $MDB_SOCK (set SALESPIPELINE_STATE)"
  _mdb_render_cnf
  _mdb_init_datadir
  rm -f "$MDB_SOCK" "$MDB_SOCK.lock"
  sp_spawn "$MDB_NAME" "$(command -v mariadbd)" --defaults-file="$MDB_CNF"
  sp_wait_ready "$MDB_NAME" 120 _mdb_ready
  _mdb_bootstrap
  sp_log "mariadb up: $MDB_DSN (root: $0 sql '...')"
}

svc_stop() { sp_stop "$MDB_NAME" 120; }

svc_status() {
  sp_status_line "$MDB_NAME" "$MDB_DSN"
  if sp_running "$MDB_NAME" && ! _mdb_ready; then
    printf '  %-16s WARNING: process alive but not answering on %s\n' "" "$MDB_SOCK"
  fi
}

case "${1:-}" in
  sql)
    shift
    sp_running "$MDB_NAME" || sp_die "mariadb is not running (scripts/infra/mariadb.sh start)"
    # Arguments starting with '-' go to the mariadb client (-N, --batch, --database=x, ...);
    # the first other argument is the SQL; without one, SQL is read from stdin.
    opts=() sql=""
    for a in "$@"; do
      if [[ "$a" == -* || -n "$sql" ]]; then opts+=("$a"); else sql="$a"; fi
    done
    if [ -n "$sql" ]; then _mdb_sql "${opts[@]}" -e "$sql"; else _mdb_sql "${opts[@]}"; fi
    exit $? ;;
  dsn) echo "$MDB_DSN"; exit 0 ;;
esac
sp_main "$@"
