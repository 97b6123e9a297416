#!/bin/sh
# The `deno` that the test suite's child processes run: tools/test_all.ts passes this file as
# BUCKETCACHE_DENO and the real executable as BUCKETCACHE_DENO_EXE. It runs
# `deno SUBCOMMAND --node-modules-dir=manual --no-lock ARGS…`, as the suite's own `deno test` does:
# test-only packages (ioredis in tests/fixtures/redis_peer.ts, …) come from node_modules/, where
# npm installs them from tools/dev/package.json, and deno.lock is left as it is.
set -e
subcommand=$1
shift
case "$subcommand" in
  run | test | eval | check) exec "${BUCKETCACHE_DENO_EXE:-deno}" "$subcommand" --node-modules-dir=manual --no-lock "$@" ;;
  *) exec "${BUCKETCACHE_DENO_EXE:-deno}" "$subcommand" "$@" ;;
esac
