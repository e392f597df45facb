#!/bin/sh
# Version 1: the document root.
set -eu
mkdir -p /db/www
echo "schema version 1" > /db/www/index.html
