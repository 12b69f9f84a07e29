#!/usr/bin/env bash
# The full test suite, exactly as CI runs it (.ci/run calls this). Installs what the tests need from the system
# when it is missing (rsync, getfacl/setfacl, getfattr/setfattr, GNU grep, mkfs.xfs and filefrag for the reflink test,
# man for rendering the generated man pages), then checks formatting and lints,
# then runs every test. Tests that need root (loop mounts, mknod, chown) skip with a printed reason without it.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v rsync >/dev/null 2>&1 || need+=(rsync)
command -v setfacl >/dev/null 2>&1 || need+=(acl)
command -v setfattr >/dev/null 2>&1 || need+=(attr)
command -v grep >/dev/null 2>&1 || need+=(grep)
command -v man >/dev/null 2>&1 || need+=(man-db)
command -v mkfs.xfs >/dev/null 2>&1 || need+=(xfsprogs)
command -v filefrag >/dev/null 2>&1 || need+=(e2fsprogs)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing ${need[*]}"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "test.sh: missing ${need[*]} and cannot install them (not root or no apt-get): tests that need them skip"
  fi
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# The API documentation builds without a broken or private link.
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The kill -9 tests need the cli's test hooks (ALTDISK_TEST_ABORT_AFTER), a feature that is off by default.
cargo test --workspace --features altdisk/test-hooks --quiet 2>&1 | tee "$log"
# A build without the feature (as `cargo build --release` is) carries no test hook.
cargo build -p altdisk --quiet
if grep -q ALTDISK_TEST_ABORT_AFTER target/debug/altdisk; then
  echo "test.sh: the altdisk binary built without test-hooks contains ALTDISK_TEST_ABORT_AFTER" >&2
  exit 1
fi
# cargo test's own summary lines decide; print one plain total for CI readers.
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
echo "${passed} passed, ${failed} failed"
