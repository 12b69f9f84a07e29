#!/usr/bin/env bash
# The Ansible collection's test (contrib/ansible): a virtualenv with ansible-core under target/ (kept between
# local runs), a sample AIX host with four free disks of different sizes and the sample update, then
# contrib/ansible/.../tests/playbook.yml on localhost. Exit 0 with a loud SKIPPED line when ansible-core cannot
# be installed (no python3 venv, no network): CI must not fail for that. test.sh prints the outcome.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
coll=$root/contrib/ansible
venv=$root/target/ansible-venv

skip() {
  echo "ansible-test: SKIPPED: $*"
  exit 0
}

command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
if [ ! -x "$venv/bin/ansible-playbook" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >/dev/null 2>&1 || skip "python3 -m venv failed (apt-get install python3-venv)"
  if ! out=$(timeout 300 "$venv/bin/pip" install -q --disable-pip-version-check ansible-core 2>&1); then
    rm -rf "$venv"
    skip "pip could not install ansible-core (network?): $(tail -1 <<<"$out")"
  fi
fi

cargo build -p altdisk --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
altdisk=$root/target/debug/altdisk
"$altdisk" host init "$work/host" --sample --files 300 \
  --disk hdisk1:25600 --disk hdisk2:10240 --disk hdisk3:8192 --disk hdisk4:4096 >/dev/null
"$altdisk" host sample-update "$work/tl5" >/dev/null

export ALTDISK="$altdisk" ALTDISK_HOST="$work/host" ALTDISK_TEST_UPDATE="$work/tl5"
export ANSIBLE_COLLECTIONS_PATH="$coll" ANSIBLE_LOCAL_TEMP="$work/ansible-tmp" ANSIBLE_HOME="$work/ansible-home"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PYTHON_INTERPRETER="$venv/bin/python"
# The module's DOCUMENTATION/EXAMPLES/RETURN parse (ansible-doc prints an error line and exits 0 otherwise).
doc=$("$venv/bin/ansible-doc" altdisk.power_aix.alt_disk 2>&1)
if ! grep -q '^> MODULE.*altdisk.power_aix.alt_disk' <<<"$doc" || grep -q '^\[ERROR\]' <<<"$doc"; then
  echo "ansible-test: ansible-doc cannot read the module's documentation:" >&2
  echo "$doc" | head -20 >&2
  exit 1
fi
"$venv/bin/ansible-playbook" -i localhost, \
  "$coll/ansible_collections/altdisk/power_aix/tests/playbook.yml"
echo "ansible-test: the playbook passed"
