#!/bin/sh
# GET / (or /cgi-bin/index.cgi): one INCR on the database, answered as text.
# busybox httpd runs this per request with the request in CGI variables (RFC 3875).
n=$(redis-cli -h "${REDIS_HOST:-db}" -p "${REDIS_PORT:-6379}" INCR hits 2>&1)
case $n in
  ''|*[!0-9]*)
    printf 'Status: 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\n'
    printf 'database %s:%s: %s\n' "${REDIS_HOST:-db}" "${REDIS_PORT:-6379}" "$n"
    exit 0 ;;
esac
printf 'Content-Type: text/plain\r\n\r\n'
printf 'hits: %s (served by %s)\n' "$n" "$(hostname)"
