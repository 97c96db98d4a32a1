#!/usr/bin/env bash
# expect_exit.sh CODE PATTERN CMD...: passes when CMD exits CODE and its output matches the
# extended regex PATTERN (ctest's own WILL_FAIL cannot tell exit 3 from exit 1).
set -uo pipefail
code=$1 pat=$2; shift 2
out=$("$@" 2>&1); rc=$?
printf '%s\n' "$out" | tail -n 40
if [ "$rc" != "$code" ]; then echo "expect_exit: exit $rc, expected $code"; exit 1; fi
if ! grep -qE -- "$pat" <<<"$out"; then echo "expect_exit: output does not match /$pat/"; exit 1; fi
echo "expect_exit: exit $rc and /$pat/ as expected"
