#!/usr/bin/env bash
# A local Citus cluster for development and CI: one coordinator and two workers, each its own
# Postgres 15 (initdb) on a loopback port, with shared_preload_libraries = 'citus'.
#
#   scripts/citus-cluster.sh start      [dir]   prints the coordinator's URL on its last line
#   scripts/citus-cluster.sh add-worker [dir]   starts one more worker, adds it to the cluster and
#                                               prints its port (shards move to it only when
#                                               rebalanced: docs/scale-out.md, "Adding a worker")
#   scripts/citus-cluster.sh stop       [dir]   stops every server and removes dir
#
# dir defaults to /tmp/uptake-citus; ports to 9700 (coordinator), 9701 and 9702 (workers), 9703 …
# for added workers, or CITUS_PORT and the ports after it. Citus must be installed into Postgres
# 15 (docs/scale-out.md). As root, every server runs as the postgres user (Postgres refuses to run
# as root). wal_level = logical lets the rebalancer move shards while writes go on.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
command=${1:-}
dir=${2:-/tmp/uptake-citus}
base=${CITUS_PORT:-9700}
pgbin=${PG_BIN:-/usr/lib/postgresql/15/bin}
nodes=(coordinator worker1 worker2)

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
port_of() { echo $((base + $1)); }
sql() { as_pg "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d postgres -tAc "$2"; }

# Makes (once) and starts one node: its own initdb with Citus preloaded, and the extension.
start_node() {
  local name=$1 port=$2
  if [ ! -d "$dir/$name" ]; then
    as_pg "$pgbin/initdb" -D "$dir/$name" -A trust -U postgres >/dev/null
    cat >>"$dir/$name/postgresql.conf" <<CONF
shared_preload_libraries = 'citus'
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = logical
citus.shard_count = 8
CONF
  fi
  as_pg "$pgbin/pg_ctl" -D "$dir/$name" -l "$dir/$name.log" -w start >/dev/null
  sql "$port" "create extension if not exists citus"
}

case "$command" in
  start)
    if [ ! -f "$("$pgbin/pg_config" --pkglibdir)/citus.so" ]; then
      echo "citus-cluster: citus.so is not installed into Postgres 15 (see docs/scale-out.md)" >&2
      exit 2
    fi
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    for i in 0 1 2; do
      start_node "${nodes[$i]}" "$(port_of "$i")"
    done
    coordinator=$(port_of 0)
    sql "$coordinator" "select citus_set_coordinator_host('127.0.0.1', $coordinator)" >/dev/null
    for i in 1 2; do
      sql "$coordinator" "select citus_add_node('127.0.0.1', $(port_of "$i"))" >/dev/null
    done
    echo "postgres://postgres@127.0.0.1:$coordinator/postgres"
    ;;
  add-worker)
    n=3
    while [ -d "$dir/worker$n" ]; do n=$((n + 1)); done
    port=$(port_of "$n")
    start_node "worker$n" "$port"
    sql "$(port_of 0)" "select citus_add_node('127.0.0.1', $port)" >/dev/null
    echo "$port"
    ;;
  stop)
    for data in "$dir"/coordinator "$dir"/worker*; do
      if [ -f "$data/postmaster.pid" ]; then
        as_pg "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
      fi
    done
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|add-worker|stop [dir]" >&2
    exit 64
    ;;
esac
