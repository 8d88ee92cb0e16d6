#!/usr/bin/env bash
# Install Debian's chromium for the browser tests when it is missing and we can.
# Never fails the build by itself: the tests decide (they skip loudly, or fail under CI=true).
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests…"
  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
    exit 0
  fi
fi
echo "WARNING: $CHROMIUM is missing and could not be installed (needs root and apt-get)." >&2
echo "WARNING: browser tests will be skipped (they fail instead when CI=true)." >&2
