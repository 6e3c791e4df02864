#!/usr/bin/env bash
# Before `make bench`: PostgreSQL and Redis up, wrk installed, and PostgreSQL given the memory a
# 1,000,000-permit city needs (docs/performance.md). Set BENCH_TUNE_POSTGRES=0 to leave the
# server's settings alone.
set -euo pipefail

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi
if ! command -v wrk >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi

if [ "${BENCH_TUNE_POSTGRES:-1}" = "1" ]; then
    # shared_buffers in MB: the default 128 MB cannot hold the permit indexes the pages read.
    current=$(psql -h 127.0.0.1 -U postgres -Atc "SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'")
    if [ "$current" -lt 2048 ]; then
        echo "PostgreSQL shared_buffers is ${current} MB: setting 2 GB and restarting the server"
        psql -h 127.0.0.1 -U postgres -qc "ALTER SYSTEM SET shared_buffers = '2GB'"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main restart
        for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
    fi
fi
