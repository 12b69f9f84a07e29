#!/usr/bin/env bash
# The full test suite, exactly as CI runs it (.ci/run calls this). Installs what the tests need from the system
# when it is missing (rsync, getfacl/setfacl, getfattr/setfattr, GNU grep, python3-venv for the Ansible test,
# mkfs.xfs and filefrag for the reflink test,
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
# The Ansible test (scripts/ansible-test.sh) makes a virtualenv for ansible-core.
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || need+=(python3 python3-venv)
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
# The engine's modules import each other without a loop (docs/ARCHITECTURE.md shows the graph).
python3 scripts/module-graph.py >/dev/null || { python3 scripts/module-graph.py | grep loop; echo "test.sh: the engine has an import loop" >&2; exit 1; }
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
# The Ansible collection (contrib/ansible): a playbook on a sample host; skips (exit 0) without ansible-core.
ansible_log=$(mktemp)
trap 'rm -f "$log" "$ansible_log"' EXIT
if ! ./scripts/ansible-test.sh >"$ansible_log" 2>&1; then
  cat "$ansible_log"
  echo "test.sh: the Ansible playbook failed" >&2
  exit 1
fi
# cargo test's own summary lines decide; print one plain total for CI readers.
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
echo "${passed} passed, ${failed} failed"
if grep -q '^ansible-test: SKIPPED' "$ansible_log"; then
  echo "test.sh: Ansible test skipped: $(grep '^ansible-test: SKIPPED' "$ansible_log" | sed 's/^ansible-test: SKIPPED: //')"
else
  echo "test.sh: Ansible test ran: $(grep -E '^localhost +:' "$ansible_log" | sed 's/  */ /g')"
fi
