#!/bin/sh
# One job: a little work, answered with this replica's name so the spread is visible.
printf 'Content-Type: text/plain\r\n\r\n'
printf 'worker %s did job %s\n' "$(hostname)" "$$"
