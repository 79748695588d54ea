# The Redis container's command. Keyspace notifications for SET are on from the start, so gateways track cache keys
# without needing CONFIG. Only keys with a TTL (cached answers) are evicted: Orleans' membership table and the worker
# grain directory have none, and losing them would take silos out of the cluster. For the same reason they are kept
# in an append-only file on the pod's volume: a Redis that restarts comes back with the table new silos join through
# (a crash loses at most the last second).
if [ "$REDIS_PASSWORD" = {{password-placeholder}} ]; then echo 'Set the {{password-secret}} secret to a generated password first (see docs/deploy.md).' >&2; exit 1; fi
exec redis-server --requirepass "$REDIS_PASSWORD" --save '' --appendonly yes --appendfsync everysec --dir {{data-directory}} --maxmemory 256mb --maxmemory-policy volatile-lru --notify-keyspace-events 'E$'
