#!/usr/bin/env bash
# Slurm smoke test of `cargo xtask suite --emit slurm`: installs Debian's slurm-wlm and munge,
# starts a one-node cluster on this machine, submits suites/quick.toml as a job array of 3 shards
# with the merge job after it, waits, and checks that the merged results equal an unsharded run
# (wall times aside).
#
#   scripts/slurm-smoke.sh            # as root on a Debian machine (CI runs it when it can)
#
# It skips (exit 0, saying why) where it cannot install the packages or start the daemons: not
# root, no apt-get, no network for the packages. Any other failure is a failure (exit 1).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

skip() {
  echo "slurm-smoke: skipped: $*"
  exit 0
}

if ! command -v sbatch >/dev/null || ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  [ "$(id -u)" = 0 ] || skip "not root, and slurm-wlm and munge are not installed"
  command -v apt-get >/dev/null || skip "no apt-get to install slurm-wlm and munge"
  if ! timeout 900 apt-get install -y --no-install-recommends slurm-wlm munge >/tmp/slurm-smoke-apt.log 2>&1; then
    timeout 300 apt-get update >>/tmp/slurm-smoke-apt.log 2>&1 || true
    timeout 900 apt-get install -y --no-install-recommends slurm-wlm munge >>/tmp/slurm-smoke-apt.log 2>&1 ||
      skip "apt-get could not install slurm-wlm and munge (see /tmp/slurm-smoke-apt.log)"
  fi
fi
[ "$(id -u)" = 0 ] || skip "not root: cannot start slurmctld and slurmd"

work="$(mktemp -d /tmp/slurm-smoke.XXXXXX)"
host="$(hostname -s)"
cpus="$(nproc)"

# munge: a key, and the daemon.
mkdir -p /etc/munge /var/run/munge /var/lib/munge /var/log/munge
[ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
chown -R munge:munge /etc/munge /var/run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
chmod 400 /etc/munge/munge.key
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged --force ||
  /usr/sbin/munged --force || skip "munged would not start"

# A one-node cluster: no cgroups, root as the Slurm user, state under $work.
mkdir -p /etc/slurm "$work/spool" "$work/state"
cat >/etc/slurm/slurm.conf <<EOF
ClusterName=descent-smoke
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmdSpoolDir=$work/spool
StateSaveLocation=$work/state
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=smoke Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
# Slurm 22.05 (Debian 12) loads a cgroup plugin in slurmd even with proctrack/linuxproc and
# task/none; pick the hierarchy this machine mounts, and let it use nothing of it.
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then plugin=cgroup/v2; else plugin=cgroup/v1; fi
cat >/etc/slurm/cgroup.conf <<EOF
CgroupPlugin=$plugin
ConstrainCores=no
ConstrainRAMSpace=no
ConstrainDevices=no
EOF

passed=0
cleanup() {
  [ -f "$work/slurmd.pid" ] && kill "$(cat "$work/slurmd.pid")" 2>/dev/null || true
  [ -f "$work/slurmctld.pid" ] && kill "$(cat "$work/slurmctld.pid")" 2>/dev/null || true
  # The files stay for a look when it failed or skipped.
  if [ "$passed" = 1 ]; then rm -rf "$work"; else echo "slurm-smoke: its files are in $work"; fi
}
trap cleanup EXIT

/usr/sbin/slurmctld -i || skip "slurmctld would not start (see $work/slurmctld.log)"
/usr/sbin/slurmd || skip "slurmd would not start (see $work/slurmd.log)"
for _ in $(seq 60); do
  sinfo -h -o %T 2>/dev/null | grep -Eq '^(idle|mixed|allocated)' && break
  sleep 1
done
sinfo -h -o %T | grep -Eq '^(idle|mixed|allocated)' || {
  sinfo || true
  tail -20 "$work/slurmd.log" "$work/slurmctld.log" || true
  skip "the node did not come up"
}
echo "slurm-smoke: a one-node cluster is up ($host, $cpus CPUs)"

cargo build --quiet -p xtask
xtask="$root/target/debug/xtask"
"$xtask" suite suites/quick.toml --emit slurm --shards 3 --parallel 2 --out "$work/cluster"
out="$("$work/cluster/slurm/submit.sh")"
echo "slurm-smoke: $out"
for _ in $(seq 600); do
  [ -z "$(squeue -h 2>/dev/null)" ] && break
  # An array task that failed leaves the merge waiting for ever: stop waiting.
  if squeue -h -o %r 2>/dev/null | grep -q DependencyNeverSatisfied; then
    scancel --user="$(id -un)" || true
    break
  fi
  sleep 1
done
if [ -n "$(squeue -h)" ]; then
  squeue
  echo "slurm-smoke: FAILED: jobs still queued after 10 minutes" >&2
  exit 1
fi
if [ ! -f "$work/cluster/results.csv" ]; then
  # Did the shards run descent at all? If no shard's log shows its summary line, the cluster
  # could not launch the jobs (a property of this machine's Slurm, not of descent): skip.
  if ! grep -qs "runs (" "$work"/cluster/logs/shard-*.out; then
    tail -5 "$work/slurmd.log" "$work"/cluster/logs/* 2>/dev/null || true
    skip "the one-node cluster did not launch the jobs (see $work/slurmd.log)"
  fi
  cat "$work/cluster/logs/"* >&2 || true
  echo "slurm-smoke: FAILED: the shards ran but the merge wrote no results.csv" >&2
  exit 1
fi

# The same suite unsharded; the results must agree but for the wall times (column 14).
"$xtask" suite suites/quick.toml --out "$work/whole" >/dev/null
python3 - "$work/cluster/results.csv" "$work/whole/results.csv" <<'EOF'
import csv, sys
def rows(path):
    with open(path, newline="") as f:
        out = []
        for r in csv.DictReader(f):
            r.pop("wall_seconds")
            out.append(r)
        return out
merged, whole = rows(sys.argv[1]), rows(sys.argv[2])
if merged != whole:
    for a, b in zip(merged, whole):
        if a != b:
            print("first difference:\n  merged:", a, "\n  whole: ", b, file=sys.stderr)
            break
    print(f"slurm-smoke: FAILED: the merged results ({len(merged)} rows) differ from the unsharded run ({len(whole)})", file=sys.stderr)
    sys.exit(1)
print(f"slurm-smoke: passed: {len(merged)} runs over 3 shards equal the unsharded suite")
EOF
cmp "$work/cluster/scores.csv" "$work/whole/scores.csv"
passed=1
