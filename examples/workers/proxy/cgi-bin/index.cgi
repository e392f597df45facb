#!/bin/sh
# Passes the request on to $UPSTREAM and returns its answer; 502 when no worker answers
# within 5 seconds. UPSTREAM's host, the service name "worker", has one address per
# replica. /etc/hosts lists them always in the same order, so the name is looked up
# from the stack's name server instead, which rotates its answer on every query (round
# robin): the first address is a different replica each time.
upstream=${UPSTREAM:-http://worker:8080}
hostport=${upstream#http://}
hostport=${hostport%%/*}
host=${hostport%%:*}
url=$upstream
case $host in
  *[!0-9.]*)
    addr=$(nslookup "$host" 2>/dev/null | sed -n '/^Name:/,$ s/^Address: *//p' | head -n 1)
    [ -n "$addr" ] && url="http://$addr${hostport#"$host"}/"
    ;;
esac
if body=$(timeout 5 wget -q -O - "$url" 2>&1); then
  printf 'Content-Type: text/plain\r\n\r\nproxy: %s\n' "$body"
else
  printf 'Status: 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\nproxy: %s: %s\n' "$upstream" "$body"
fi
