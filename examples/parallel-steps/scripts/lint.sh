#!/bin/sh
# Stands in for `make lint`.
echo "checking formatting"
sleep 0.3
echo "passed"
