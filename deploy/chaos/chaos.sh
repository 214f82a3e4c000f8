#!/usr/bin/env bash
# Chaos campaign (issue 14 item 7): kill -9 random services of a local cluster while it
# carries out many distributions and deployments, then check that nothing was lost,
# nothing was applied twice and nothing was corrupted. Prints one line per class and
# exits 1 if any is not 0 (2 on a usage or set-up error).
#
#   deploy/chaos/chaos.sh [--distributions N] [--deployments N] [--seed N] [--kills N]
#                         [--contents N] [--data DIR] [--bin-dir DIR] [--keep]
#   deploy/chaos/chaos.sh --check DIR    # only the checks, again, on a folder kept with KEEP=1
#
# Environment, same meaning (flags win): DISTRIBUTIONS (100), DEPLOYMENTS (100, at most
# DISTRIBUTIONS: each deployment deploys a new version), SEED (1), KILLS (one per
# distribution), CONTENTS (4 contents in rotation, so up to 4 are in flight at once),
# DATA (default: a fresh temporary folder), FERRY_BIN_DIR (default: `swift build
# --show-bin-path` of this checkout), KEEP=1 (keep the data folder), SETTLE_TIMEOUT
# (seconds each content may take to settle, 600).
#
# Only the real `ferry` CLI drives the cluster; faults are kill -9 of a service's process
# (DIR/cluster/NODE/pid) and `ferry cluster up`, which restarts only what died. The seed
# drives bash's RANDOM: the generated contents, which service dies at which step and after
# which delay are the same on every run (how far a transfer got when it dies is not).
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$script_dir/../.." && pwd)

DISTRIBUTIONS=${DISTRIBUTIONS:-100}
DEPLOYMENTS=${DEPLOYMENTS:-100}
SEED=${SEED:-1}
KILLS=${KILLS:-}
CONTENTS=${CONTENTS:-4}
DATA=${DATA:-}
KEEP=${KEEP:-0}
CHECK_ONLY=${CHECK_ONLY:-}
SETTLE_TIMEOUT=${SETTLE_TIMEOUT:-600}
# Seconds one CLI request may take (a few MB import in well under one).
REQUEST_TIMEOUT=${REQUEST_TIMEOUT:-30}

usage() {
    sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 2
}
fail_setup() { echo "chaos: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --distributions) DISTRIBUTIONS=${2:?}; shift 2 ;;
        --deployments) DEPLOYMENTS=${2:?}; shift 2 ;;
        --seed) SEED=${2:?}; shift 2 ;;
        --kills) KILLS=${2:?}; shift 2 ;;
        --contents) CONTENTS=${2:?}; shift 2 ;;
        --data) DATA=${2:?}; shift 2 ;;
        --bin-dir) FERRY_BIN_DIR=${2:?}; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --check) CHECK_ONLY=${2:?}; shift 2 ;;
        -h|--help) usage ;;
        *) echo "chaos: unknown argument '$1'" >&2; usage ;;
    esac
done
KILLS=${KILLS:-$DISTRIBUTIONS}
for number in DISTRIBUTIONS DEPLOYMENTS SEED KILLS CONTENTS SETTLE_TIMEOUT REQUEST_TIMEOUT; do
    [[ ${!number} =~ ^[0-9]+$ ]] || fail_setup "$number must be a whole number, got '${!number}'"
done
[ "$DISTRIBUTIONS" -ge 1 ] || fail_setup "DISTRIBUTIONS must be at least 1"
[ "$CONTENTS" -ge 1 ] || fail_setup "CONTENTS must be at least 1"
# A deployment's id is CONTENT-vN: deploying a version again replaces its deployment and
# runs nothing, so every deployment needs a version (a distribution) of its own.
[ "$DEPLOYMENTS" -le "$DISTRIBUTIONS" ] || fail_setup "DEPLOYMENTS ($DEPLOYMENTS) cannot exceed DISTRIBUTIONS ($DISTRIBUTIONS): each deployment deploys a new version"

if [ -z "${FERRY_BIN_DIR:-}" ]; then
    FERRY_BIN_DIR=$(cd "$repo" && swift build --show-bin-path) || fail_setup "cannot find the build folder; build with 'swift build' or set FERRY_BIN_DIR"
fi
export FERRY_BIN_DIR
FERRY="$FERRY_BIN_DIR/ferry"
[ -x "$FERRY" ] || fail_setup "no ferry executable in $FERRY_BIN_DIR; build with 'swift build' or set FERRY_BIN_DIR"
for tool in jq openssl sha256sum sqlite3 diff timeout; do
    command -v "$tool" >/dev/null || fail_setup "needs '$tool' (Debian: apt-get install jq openssl coreutils sqlite3 diffutils)"
done

# A folder the caller named is kept (it may hold other things); a temporary one is removed
# unless KEEP=1.
owns_data=0
if [ -n "$CHECK_ONLY" ]; then
    DATA=$(cd "$CHECK_ONLY" && pwd) || fail_setup "no folder $CHECK_ONLY"
    [ -f "$DATA/state/versions.tsv" ] || fail_setup "$DATA is not a data folder a chaos run kept (KEEP=1)"
    # The run's numbers, for the report.
    read -r DISTRIBUTIONS DEPLOYMENTS SEED CONTENTS elapsed <"$DATA/state/run.txt"
elif [ -z "$DATA" ]; then
    DATA=$(mktemp -d "${TMPDIR:-/tmp}/ferry-chaos.XXXXXX")
    owns_data=1
else
    mkdir -p "$DATA"
    [ -z "$(ls -A "$DATA")" ] || fail_setup "the data folder $DATA is not empty"
    DATA=$(cd "$DATA" && pwd)
fi
# The path goes into the agents' shell command inside single quotes.
case "$DATA" in *"'"*) fail_setup "the data folder's path must not contain a single quote" ;; esac

CLUSTER="$DATA/cluster"
SOURCES="$DATA/sources"
LEDGER="$DATA/ledger"
STATE="$DATA/state"
LOG="$DATA/chaos.log"
mkdir -p "$SOURCES" "$LEDGER" "$STATE"
[ -n "$CHECK_ONLY" ] || : > "$LOG"
# Its own FERRY_HOME, so the campaign does not become the user's "last cluster up".
export FERRY_HOME="$DATA/home"
unset FERRY_DATA

NODES=(site ptm mp dp1 dp2 agent1 agent2 agent3)
AGENTS=(agent1 agent2 agent3)
DPS=(dp1 dp2)
killer_pids=()

cleanup() {
    local status=$?
    for pid in "${killer_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    if [ -f "$CLUSTER/cluster.yaml" ] || [ -d "$CLUSTER/site" ]; then
        "$FERRY" cluster down --grace 5 --data "$CLUSTER" >>"$LOG" 2>&1 || true
    fi
    if [ -n "$CHECK_ONLY" ]; then
        :
    elif [ "$KEEP" = 1 ] || [ "$owns_data" = 0 ]; then
        echo "chaos: data kept in $DATA (log: $LOG)"
    else
        rm -rf "$DATA"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

f() { "$FERRY" "$@" --data "$CLUSTER"; }
# jq -e FILTER on FILE, false when FILE is empty: jq 1.6 (Debian 12) exits 0 on empty input
# with -e, which made a failed `ferry status` (no output) look like an answer.
json_true() { # FILE FILTER [JQ ARGS...]
    local file=$1 filter=$2
    shift 2
    [ -s "$file" ] && jq -e "$@" "$filter" "$file" >/dev/null 2>&1
}
say() { echo "chaos: $*"; echo "$(date -u +%T) $*" >>"$LOG"; }

# Random numbers come only from here, in the main shell (a $(…) subshell would not advance
# the sequence), and never on a retry path, so a seed gives the same campaign.
RANDOM=$SEED
rand() { R=$(( ((RANDOM << 15) | RANDOM) % $1 )); }

# Deterministic pseudo-random bytes: AES-CTR of zeros under a key derived from the label.
random_file() { # FILE SIZE LABEL
    local key
    key=$(printf '%s' "chaos/$SEED/$3" | sha256sum | cut -c1-64)
    mkdir -p "$(dirname "$1")"
    head -c "$2" /dev/zero | openssl enc -aes-128-ctr -K "${key:0:32}" -iv "${key:32:32}" >"$1"
}

# The PID of NODE's running service, or nothing. A PID counts only while its command line
# names NODE's config, so a reused PID of some other process is never killed.
live_pid() {
    local pid
    pid=$(cat "$CLUSTER/$1/pid" 2>/dev/null) || return 0
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 0
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$CLUSTER/$1/config.yaml" && echo "$pid"
    return 0
}

# Brings back every service that died; a kill can land during `cluster up` itself.
revive() {
    local node dead=0 attempt
    for node in "${NODES[@]}"; do [ -n "$(live_pid "$node")" ] || dead=1; done
    [ "$dead" = 1 ] || return 0
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        if f cluster up >>"$LOG" 2>&1; then return 0; fi
        echo "cluster up failed (attempt $attempt); again" >>"$LOG"
    done
    echo "chaos: cannot bring the cluster back up; see $LOG and the services' logs under $CLUSTER" >&2
    exit 2
}

# Runs a ferry command until it succeeds (the site may be dead or restarting); its stdout
# goes to OUT. Only for requests that are safe to repeat: an update of the same folder gives
# the same version, distribute and deploy of the same version are idempotent. A request
# that reached a site killed before it answered gets no reply at all (the bus does not
# notice a dead peer), so each attempt is bounded by `timeout`.
attempt_ferry() { # OUT ARGS...
    local out=$1
    shift
    timeout "$REQUEST_TIMEOUT" "$FERRY" "$@" --data "$CLUSTER" >"$out" 2>>"$LOG" && return 0
    echo "ferry $* failed: $(tr '\n' ' ' <"$out")" >>"$LOG"
    return 1
}
retry() { # OUT ARGS...
    local attempt
    for attempt in $(seq 1 60); do
        attempt_ferry "$@" && return 0
        revive
        sleep 1 # a restarted site may still be replaying its outbox; do not spin
    done
    echo "chaos: ferry ${*:2} kept failing; see $LOG" >&2
    exit 2
}
# A create cut off after the site committed it answers "already exists" when retried; then
# an update from the same folder names the version it made (unchanged).
create_or_update() { # OUT CONTENT FOLDER
    local attempt
    for attempt in $(seq 1 60); do
        attempt_ferry "$1" content create --name "$2" --source "$3" --json && return 0
        attempt_ferry "$1" content update "$2" --source "$3" --json && return 0
        revive
        sleep 1
    done
    echo "chaos: cannot create $2; see $LOG" >&2
    exit 2
}

# ---- The kill schedule: KILLS kills at random steps (three per round), with a random
# service and a random delay, so they land during requests and transfers alike.
rounds=$DISTRIBUTIONS
steps=$(( rounds * 3 ))
declare -A kill_plan=()
for _ in $(seq 1 "$KILLS"); do
    rand "$steps"; step=$R
    rand "${#NODES[@]}"; victim=${NODES[$R]}
    rand 2000; delay=$R
    kill_plan[$step]+="$victim:$delay "
done

kill_later() { # NODE DELAY_MS: in the background, so the kill lands mid-request or mid-transfer
    local node=$1 delay=$2
    (
        sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
        pid=$(live_pid "$node")
        if [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; then
            echo "$(date -u +%T.%N) $node $pid" >>"$STATE/kills.log"
        fi
    ) &
    killer_pids+=($!)
}

chaos_step() { # STEP: bring back what died, then start the kills planned for this step
    revive
    local entry
    for entry in ${kill_plan[$1]:-}; do kill_later "${entry%%:*}" "${entry##*:}"; done
}

# ---- Waiting for a content's version to settle, recording what the site reports.
# Results: STATE/dist.tsv "CONTENT N DP STATE", STATE/deploy.tsv "ID AGENT STATE EXIT DETAIL".

wait_distribution() { # CONTENT N VERSIONID
    local content=$1 number=$2 vid=$3 out="$STATE/wait.json" rc deadline=$((SECONDS + SETTLE_TIMEOUT))
    while :; do
        revive
        rc=0
        timeout 45 "$FERRY" status "$content" --wait --timeout 10 --json --data "$CLUSTER" >"$out" 2>>"$LOG" || rc=$?
        if json_true "$out" '.versionID == $v' --arg v "$vid"; then
            if [ "$rc" = 0 ] || [ "$rc" = 1 ] || [ $SECONDS -ge $deadline ]; then
                # 0: every target installed it; 1: a target failed for good; or out of time.
                jq -r --arg c "$content" --arg n "$number" --arg v "$vid" \
                    '.targets[] | [$c, $n, .distributionPoint, (if .versionID == $v then .state else "old-version" end)] | @tsv' \
                    "$out" >>"$STATE/dist.tsv"
                [ "$rc" = 0 ] || say "$content v$number did not install everywhere: $(jq -c '[.targets[] | {dp: .distributionPoint, state, reason}]' "$out")"
                return 0
            fi
        elif json_true "$out" '.versionID'; then
            say "the site reports another current version of $content than v$number; the campaign's own bookkeeping is wrong"
            exit 2
        fi
        if [ $SECONDS -ge $deadline ]; then
            say "$content v$number: no distribution status within $SETTLE_TIMEOUT s"
            for dp in "${DPS[@]}"; do printf '%s\t%s\t%s\t%s\n' "$content" "$number" "$dp" "no-status" >>"$STATE/dist.tsv"; done
            return 0
        fi
    done
}

wait_deployment() { # CONTENT ID
    local content=$1 id=$2 out="$STATE/wait.json" rc deadline=$((SECONDS + SETTLE_TIMEOUT)) unfinished
    while :; do
        revive
        rc=0
        timeout 45 "$FERRY" deployment status "$content" --wait --timeout 10 --json --data "$CLUSTER" >"$out" 2>>"$LOG" || rc=$?
        if json_true "$out" '.deployment.id == $id' --arg id "$id"; then
            # A command cut off by a crash is not run again (effectively once): that agent
            # stays "failed" for good, so it does not count as unfinished.
            unfinished=$(jq '[.agents[] | select(.state != "installed" and .state != "cached"
                                                 and (.state != "failed" or ((.detail // "") | contains("not run twice") | not)))] | length' "$out")
            # 0: installed everywhere; 1: a command failed; or nothing left that can change.
            if [ "$rc" = 0 ] || [ "$rc" = 1 ] || [ "$unfinished" = 0 ] || [ $SECONDS -ge $deadline ]; then
                jq -r '.deployment.id as $id | .agents[] | [$id, .agent, .state, (.exitCode // "-" | tostring), (.detail // "-")] | @tsv' \
                    "$out" >>"$STATE/deploy.tsv"
                [ "$rc" = 0 ] || say "$id did not install on every agent: $(jq -c '[.agents[] | {agent, state, exitCode, detail}]' "$out")"
                return 0
            fi
        elif json_true "$out" '.deployment.id'; then
            say "the site's newest deployment of $content is not $id; the campaign's own bookkeeping is wrong"
            exit 2
        fi
        if [ $SECONDS -ge $deadline ]; then
            say "$id: no deployment status within $SETTLE_TIMEOUT s"
            for agent in "${AGENTS[@]}"; do printf '%s\t%s\t%s\t-\t-\n' "$id" "$agent" "no-status" >>"$STATE/deploy.tsv"; done
            return 0
        fi
    done
}

# What is in flight per content: its newest version and, if deployed, the deployment id.
declare -A pending_number=() pending_vid=() pending_deployment=()
settle() { # CONTENT
    local content=$1
    [ -n "${pending_number[$content]:-}" ] || return 0
    wait_distribution "$content" "${pending_number[$content]}" "${pending_vid[$content]}"
    if [ -n "${pending_deployment[$content]:-}" ]; then
        wait_deployment "$content" "${pending_deployment[$content]}"
    fi
    unset "pending_number[$content]" "pending_vid[$content]" "pending_deployment[$content]"
}

if [ -z "$CHECK_ONLY" ]; then
# ---- Set-up: the cluster, and boundary groups so every agent has a fast DP and a slow
# one to fail over to when its own is dead.
started=$SECONDS
say "data in $DATA; $DISTRIBUTIONS distributions, $DEPLOYMENTS deployments, $KILLS kills, $CONTENTS contents, seed $SEED"
f cluster up >>"$LOG" 2>&1 || fail_setup "ferry cluster up failed; see $LOG"
f boundary-group create hq --subnet 127.0.1.0/24 >>"$LOG"
f boundary-group create branch --subnet 127.0.2.0/24 >>"$LOG"
f boundary-group add-dp hq dp1 --fast >>"$LOG"
f boundary-group add-dp hq dp2 --slow >>"$LOG"
f boundary-group add-dp branch dp2 --fast >>"$LOG"
f boundary-group add-dp branch dp1 --slow >>"$LOG"
# `deployment status --wait` waits for registered agents only: start once all three are.
for _ in $(seq 1 300); do
    registered=$(f agent list --json 2>>"$LOG" | jq '.agents | length' 2>/dev/null || true)
    [ "${registered:-0}" -ge 3 ] && break
    sleep 0.2 # no --wait exists for registrations; they come within a policy interval (2 s)
done
[ "$(f agent list --json | jq '.agents | length')" -ge 3 ] || fail_setup "the three agents did not register within 60 s; see $CLUSTER/agent*/agent.log"

# ---- The campaign.
: >"$STATE/versions.tsv"
: >"$STATE/deployments.tsv"
: >"$STATE/dist.tsv"
: >"$STATE/deploy.tsv"
: >"$STATE/kills.log"
declare -A version_count=()
for round in $(seq 0 $((rounds - 1))); do
    content="c$(( round % CONTENTS + 1 ))"
    # Its previous version must be everywhere first: the site keeps only a content's newest
    # deployment, so a newer one would legitimately replace an unfinished one.
    settle "$content"
    number=$(( ${version_count[$content]:-0} + 1 ))
    version_count[$content]=$number
    folder="$SOURCES/$content/v$number"
    if [ "$number" = 1 ]; then
        rand 3; files=$(( R + 2 ))
        for index in $(seq 1 "$files"); do
            rand 1400000; random_file "$folder/data/file$index.bin" $(( R + 100000 )) "$content/v1/file$index"
        done
        rand 100000; random_file "$folder/setup.exe" $(( R + 1000 )) "$content/v1/setup"
    else
        cp -a "$SOURCES/$content/v$((number - 1))" "$folder"
        rand 3
        case $R in
            0) # a file replaced by new bytes of a new size
                existing=("$folder"/data/*.bin)
                rand "${#existing[@]}"; victim_file=${existing[$R]}
                rand 1400000; random_file "$victim_file" $(( R + 100000 )) "$content/v$number/replace" ;;
            1) # 64 KiB overwritten in the middle of a file: only the chunks around it change
                existing=("$folder"/data/*.bin)
                rand "${#existing[@]}"; victim_file=${existing[$R]}
                size=$(stat -c %s "$victim_file")
                rand $(( size > 65536 ? size - 65536 : 1 )); offset=$R
                random_file "$STATE/patch.bin" 65536 "$content/v$number/patch"
                dd if="$STATE/patch.bin" of="$victim_file" bs=65536 seek="$offset" oflag=seek_bytes conv=notrunc status=none ;;
            2) # a file added
                rand 1000000; random_file "$folder/data/extra$number.bin" $(( R + 50000 )) "$content/v$number/extra" ;;
        esac
    fi

    chaos_step $(( round * 3 ))
    if [ "$number" = 1 ]; then
        create_or_update "$STATE/version.json" "$content" "$folder"
    else
        retry "$STATE/version.json" content update "$content" --source "$folder" --json
    fi
    got=$(jq -r '.version.number' "$STATE/version.json")
    vid=$(jq -r '.version.versionID' "$STATE/version.json")
    [ "$got" = "$number" ] || { say "$content: expected version $number, the site made $got"; exit 2; }
    printf '%s\t%s\t%s\n' "$content" "$number" "$vid" >>"$STATE/versions.tsv"

    retry "$STATE/distribute.json" distribute "$content" --dp dp1 --dp dp2 --json
    pending_number[$content]=$number
    pending_vid[$content]=$vid
    chaos_step $(( round * 3 + 1 ))

    if [ "$round" -lt "$DEPLOYMENTS" ]; then
        id="$content-v$number"
        # The agent runs the command in its cache folder DIR/cluster/AGENT/cache/CONTENT/VERSION,
        # so the path names the agent; each agent appends to its own ledger.
        command='d=$(pwd -P); a=${d%/cache/*}; a=${a##*/}; echo "'"$id"' $a ${d##*/}" >> '"'$LEDGER'"'/$a.ledger'
        retry "$STATE/deploy.json" deploy "$content" --collection "All Systems" --run "$command" --json
        json_true "$STATE/deploy.json" '.deployment.id == $id and .deployment.versionID == $v' --arg id "$id" --arg v "$vid" \
            || { say "deploying $content made $(jq -c .deployment "$STATE/deploy.json"), not $id"; exit 2; }
        printf '%s\t%s\t%s\t%s\n' "$id" "$content" "$number" "$vid" >>"$STATE/deployments.tsv"
        pending_deployment[$content]=$id
    fi
    chaos_step $(( round * 3 + 2 ))
    say "round $((round + 1))/$rounds: $content v$number ${vid:0:12}$([ "$round" -lt "$DEPLOYMENTS" ] && echo ", deployed as $id"), $(wc -l <"$STATE/kills.log") kills so far"
done

# ---- Settle: the last kills land, everything comes back, every content finishes.
for pid in "${killer_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
killer_pids=()
revive
say "settling (up to $SETTLE_TIMEOUT s per content)"
for index in $(seq 1 "$CONTENTS"); do settle "c$index"; done
elapsed=$((SECONDS - started))
f cluster down --grace 10 >>"$LOG" 2>&1 || true
echo "$DISTRIBUTIONS $DEPLOYMENTS $SEED $CONTENTS $elapsed" >"$STATE/run.txt"
fi
started=${started:-$SECONDS}

# ---- Checks, on the files at rest.
problems="$STATE/problems.txt"
: >"$problems"
lost=0; twice=0; corrupt=0
problem() { # CLASS TEXT
    echo "$1: $2" >>"$problems"
    case $1 in lost) lost=$((lost + 1)) ;; twice) twice=$((twice + 1)) ;; corrupt) corrupt=$((corrupt + 1)) ;; esac
}

# The sha256 of each source file, by version: "CONTENT N PATH HASH".
: >"$STATE/source-hashes.tsv"
while IFS=$'\t' read -r content number vid; do
    (cd "$SOURCES/$content/v$number" && find . -type f -printf '%P\n' | sort | while read -r path; do
        printf '%s\t%s\t%s\t%s\n' "$content" "$number" "$path" "$(sha256sum <"$path" | cut -c1-64)"
    done) >>"$STATE/source-hashes.tsv"
done <"$STATE/versions.tsv"

# Every chunk any DP or agent stores must hash to its name.
for node in "${DPS[@]}" "${AGENTS[@]}"; do
    chunks="$CLUSTER/$node/store/chunks"
    [ -d "$chunks" ] || continue
    while read -r hash path; do
        [ "$hash" = "$(basename "$path")" ] || problem corrupt "$node stores chunk $(basename "$path") whose bytes hash to $hash"
    done < <(find "$chunks" -type f -print0 | xargs -0 -r sha256sum)
done

# Distributions: every version installed on both DPs, by the site's word, by the DP's own
# database, and in what the DP would serve: its manifest, and each file rebuilt from its
# chunks equal to the source file.
while IFS=$'\t' read -r content number vid; do
    for dp in "${DPS[@]}"; do
        reported=$(awk -F'\t' -v c="$content" -v n="$number" -v d="$dp" '$1 == c && $2 == n && $3 == d { s = $4 } END { print s }' "$STATE/dist.tsv")
        [ "$reported" = installed ] || problem lost "$content v$number ($vid) on $dp: the site reports '${reported:-nothing}'"
        database=$(ls "$CLUSTER/$dp"/*.sqlite 2>/dev/null | head -1)
        if [ -z "$database" ] || [ "$(sqlite3 -readonly "$database" "SELECT count(*) FROM installedVersion WHERE versionID = '$vid'")" != 1 ]; then
            problem lost "$content v$number ($vid): $dp's database does not list it as installed"
        fi
        manifest="$CLUSTER/$dp/store/manifests/$vid.json"
        if [ ! -f "$manifest" ]; then
            problem lost "$content v$number ($vid): $dp has no manifest for it"
            continue
        fi
        while IFS=$'\t' read -r path hashes; do
            expected=$(awk -F'\t' -v c="$content" -v n="$number" -v p="$path" '$1 == c && $2 == n && $3 == p { print $4 }' "$STATE/source-hashes.tsv")
            missing=0; files=()
            for hash in $hashes; do
                chunk="$CLUSTER/$dp/store/chunks/${hash:0:2}/$hash"
                [ -f "$chunk" ] || missing=$((missing + 1))
                files+=("$chunk")
            done
            if [ "$missing" != 0 ]; then
                problem corrupt "$content v$number on $dp: $path lacks $missing of its chunks"
            elif [ "$(cat "${files[@]}" /dev/null | sha256sum | cut -c1-64)" != "$expected" ]; then
                problem corrupt "$content v$number on $dp: $path rebuilt from the DP's chunks differs from the source"
            fi
        done < <(jq -r '.entries[] | select(.kind == "file") | [.path, (.chunks | map(.hash) | join(" "))] | @tsv' "$manifest")
        listed=$(jq -r '.entries[] | select(.kind == "file") | .path' "$manifest" | sort | tr '\n' ' ')
        sources=$(awk -F'\t' -v c="$content" -v n="$number" '$1 == c && $2 == n { print $3 }' "$STATE/source-hashes.tsv" | sort | tr '\n' ' ')
        [ "$listed" = "$sources" ] || problem corrupt "$content v$number on $dp: the manifest lists [$listed], the source has [$sources]"
    done
done <"$STATE/versions.tsv"

# Deployments: on every agent, installed by the site's word, the command's line in that
# agent's ledger, and the cached folder equal to the source.
while IFS=$'\t' read -r id content number vid; do
    for agent in "${AGENTS[@]}"; do
        reported=$(awk -F'\t' -v i="$id" -v a="$agent" '$1 == i && $2 == a { s = $3 " " $5 } END { print s }' "$STATE/deploy.tsv")
        [ "${reported%% *}" = installed ] || problem lost "$id on $agent: the site reports '${reported:-nothing}'"
        grep -qxF "$id $agent $vid" "$LEDGER/$agent.ledger" 2>/dev/null || problem lost "$id on $agent: its command never ran (no line in $agent.ledger)"
        cached="$CLUSTER/$agent/cache/$content/$vid"
        if [ ! -d "$cached" ]; then
            problem lost "$id on $agent: nothing in its cache"
        elif ! diff -r "$SOURCES/$content/v$number" "$cached" >>"$LOG" 2>&1; then
            problem corrupt "$id on $agent: the cached folder differs from the source (diff in $LOG)"
        fi
    done
done <"$STATE/deployments.tsv"

# Applied twice: any ledger line that appears more than once.
for agent in "${AGENTS[@]}"; do
    [ -f "$LEDGER/$agent.ledger" ] || continue
    while read -r count line; do
        problem twice "$agent ran '$line' $count times"
    done < <(sort "$LEDGER/$agent.ledger" | uniq -cd)
done

# ---- Report.
kill_summary=$(for node in "${NODES[@]}"; do printf '%s %d, ' "$node" "$(awk -v n="$node" '$2 == n' "$STATE/kills.log" | wc -l)"; done)
cat "$problems"
echo "chaos: $DISTRIBUTIONS distributions, $DEPLOYMENTS deployments, seed $SEED, $CONTENTS contents in flight"
echo "kills: $(wc -l <"$STATE/kills.log") (${kill_summary%, })"
echo "elapsed: ${elapsed} s (checks included: $((SECONDS - started)) s)"
echo "lost: $lost"
echo "applied twice: $twice"
echo "corrupt: $corrupt"
[ "$lost" = 0 ] && [ "$twice" = 0 ] && [ "$corrupt" = 0 ]
