#!/bin/sh
# The build step of the example: copy the site into dist/ and stamp it with the commit Slipway built.
set -eu
rm -rf dist
mkdir -p dist
sed -e "s/%COMMIT%/${SLIPWAY_COMMIT_SHA:-unknown}/" -e "s/%BRANCH%/${SLIPWAY_BRANCH:-unknown}/" -e "s/%BUILT_AT%/$(date -u +%Y-%m-%dT%H:%M:%SZ)/" index.html > dist/index.html
cp style.css 404.html dist/
echo "built $(ls dist | wc -l) files into dist/"
