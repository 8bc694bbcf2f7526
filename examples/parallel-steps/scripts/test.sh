#!/bin/sh
# Stands in for `make test`; arguments are shown as they would reach make.
echo "running unit tests${*:+ with $*}"
sleep 0.2
echo "passed"
