#!/bin/sh
# Passes the request on to $UPSTREAM (a name that resolves to every worker replica) and
# returns its answer; 502 when no worker answers within 5 seconds.
if body=$(timeout 5 wget -q -O - "${UPSTREAM:-http://worker:8080}/" 2>&1); then
  printf 'Content-Type: text/plain\r\n\r\nproxy: %s\n' "$body"
else
  printf 'Status: 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\nproxy: %s: %s\n' "${UPSTREAM:-http://worker:8080}" "$body"
fi
