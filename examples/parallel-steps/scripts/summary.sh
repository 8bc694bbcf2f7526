#!/bin/sh
# Stands in for ./scripts/summary.sh.
echo "lint and test passed: ready to ship"
