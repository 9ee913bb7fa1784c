#!/usr/bin/env bash
# `make binder-check`: what Binder (repo2docker) does with this repository, reproduced here and checked.
#
#   1. a copy of the working tree (tracked and untracked files, not the ignored ones: no built labextension, no
#      node_modules), as Binder gets a clean checkout, in build/binder-check/repo;
#   2. a fresh venv, build/binder-venv (`python3 -m venv`), standing in for Binder's Python environment;
#   3. binder/postBuild in the copy, with the venv first on PATH: `pip install .` builds the labextension from
#      its sources (Node.js and the npm registry; the yarn cache of extension/.yarn/cache and pip's cache are
#      reused); its output goes to build/binder-check/postBuild.log;
#   4. `binder/start python binder/verify.py`, as Binder runs `binder/start <its Jupyter server>`: the demo's
#      services start, verify.py checks them through boto3 and through a Jupyter server it starts;
#   5. the services are stopped with SIGTERM and must exit, moto and Livy included, within 30 s.
# Every process it starts is stopped on the way out, whatever happened. Bounded: postBuild 40 min, steps 4-5
# 10 min. Prints one OK line at the end; on failure, the reason and the end of the relevant log.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work="$repo/build/binder-check"
venv="$repo/build/binder-venv"
copy="$work/repo"
python="${PYTHON:-python3}"
began=$SECONDS

build_group=""      # the process group of `binder/postBuild` (setsid) while it runs: pip, jlpm, node
group=""            # the process group of `binder/start ...` (setsid): verify.py and its Jupyter server
services_pidfile="" # binder/start writes the services' pid there (it is also their process group)

say() { echo "binder-check: $*" >&2; }

alive() { # pid $1 exists and is not a zombie
  local stat
  { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

group_members() { # the live (non-zombie) pids whose process group is $1
  local file stat fields
  for file in /proc/[0-9]*/stat; do
    { stat=$(<"$file"); } 2>/dev/null || continue
    read -r -a fields <<<"${stat##*) }" # state ppid pgrp ...
    if [[ ${fields[2]} == "$1" && ${fields[0]} != Z ]]; then
      echo "${file//[^0-9]/}"
    fi
  done
}

wait_until_gone() { # $1: seconds; the rest: a command that prints what is still alive
  local deadline=$((SECONDS + $1))
  shift
  while [[ -n "$("$@")" ]]; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

pid_if_alive() { if alive "$1"; then echo "$1"; fi; }

stop_group() { # SIGTERM process group $1, SIGKILL what is left after 10 s
  [[ -n "$1" ]] || return 0
  [[ -n "$(group_members "$1")" ]] || return 0
  kill -TERM -- "-$1" 2>/dev/null || true
  if ! wait_until_gone 10 group_members "$1"; then
    kill -KILL -- "-$1" 2>/dev/null || true
    wait_until_gone 5 group_members "$1" || true
  fi
}

services_pid() { if [[ -n "$services_pidfile" && -s "$services_pidfile" ]]; then cat "$services_pidfile"; fi; }

cleanup() {
  local pid
  pid=$(services_pid)
  stop_group "$build_group"
  stop_group "$pid"
  stop_group "$group"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

fail() { # $1: message, $2: a log to show the end of
  say "FAILED: $1"
  if [[ -n "${2:-}" && -f "$2" ]]; then
    say "the end of $2:"
    tail -n 60 "$2" >&2
  fi
  exit 1
}

# 1. the copy
command -v git >/dev/null || fail "needs git (the copy is made of git's list of the working tree's files)"
rm -rf "$work" "$venv"
mkdir -p "$copy" "$work/tmp"
(
  cd "$repo"
  git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
    if [[ -e "$file" || -L "$file" ]]; then printf '%s\0' "$file"; fi
  done | tar --null --files-from=- -cf - | tar -xf - -C "$copy"
)
[[ -x "$copy/binder/postBuild" && -x "$copy/binder/start" ]] || fail "binder/postBuild and binder/start must be executable"

# 2. the venv; everything below writes its temporary files under build/binder-check/tmp
"$python" -m venv "$venv"
export PATH="$venv/bin:$PATH" VIRTUAL_ENV="$venv" TMPDIR="$work/tmp"
unset PYTHONPATH PYTHONHOME
# reuse the yarn cache the .venv's build filled (yarn fetches what is missing from the npm registry)
export YARN_CACHE_FOLDER="$repo/extension/.yarn/cache"

# 3. postBuild, from the copy's root as Binder runs it
say "postBuild in a fresh venv (log: $work/postBuild.log)"
step=$SECONDS
cd "$copy"
EMRLAB_BINDER_PIP_CACHE=1 setsid timeout --kill-after=10 2400 ./binder/postBuild </dev/null >"$work/postBuild.log" 2>&1 &
build_group=$!
code=0
wait "$build_group" || code=$?
stop_group "$build_group" # in case the build left something running
build_group=""
((code == 0)) || fail "binder/postBuild exited with $code" "$work/postBuild.log"
build_seconds=$((SECONDS - step))
prefix_config="$venv/etc/jupyter/jupyter_server_config.d"
[[ -f "$prefix_config/emrlab-demo.json" ]] || fail "postBuild wrote no $prefix_config/emrlab-demo.json"
[[ -f "$venv/share/jupyter/labextensions/emrlab/package.json" ]] ||
  fail "pip install . installed no labextension in $venv/share/jupyter/labextensions/emrlab" "$work/postBuild.log"
[[ -d "$copy/demo" ]] || fail "postBuild converted nothing into demo/" "$work/postBuild.log"

# 4. binder/start + verify.py, in a session of their own (so that their process group can be stopped whole)
state="$TMPDIR/emrlab-demo" # binder/start's default folder, under our TMPDIR
services_pidfile="$state/services.pid"
say "binder/start python binder/verify.py"
step=$SECONDS
setsid timeout --kill-after=10 600 ./binder/start python binder/verify.py </dev/null &
group=$!
code=0
wait "$group" || code=$?
if ((code != 0)); then
  [[ -f "$state/services.log" ]] && say "the end of $state/services.log:" && tail -n 40 "$state/services.log" >&2
  fail "binder/start python binder/verify.py exited with $code"
fi
stop_group "$group" # verify.py stopped its Jupyter server itself; this is only in case it left something

# 5. the services stop on SIGTERM, moto and Livy with them
pid=$(services_pid)
[[ -n "$pid" ]] || fail "binder/start wrote no $services_pidfile"
alive "$pid" || fail "the demo services (pid $pid) had exited before they were asked to stop" "$state/services.log"
kill -TERM "$pid"
wait_until_gone 30 pid_if_alive "$pid" ||
  fail "the demo services (pid $pid) did not exit within 30 s of SIGTERM" "$state/services.log"
if ! wait_until_gone 5 group_members "$pid"; then
  left=$(group_members "$pid" | while read -r member; do tr '\0' ' ' <"/proc/$member/cmdline" 2>/dev/null; echo; done)
  fail "the demo services exited but left behind: $left" "$state/services.log"
fi
services_pidfile=""
say "OK in $((SECONDS - began)) s (postBuild ${build_seconds} s, demo start + checks + stop $((SECONDS - step)) s)"
