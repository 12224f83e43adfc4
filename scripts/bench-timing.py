#!/usr/bin/env python3
"""Times commands for `make bench`, interleaved: each round runs every command once, in turn, so
that the machine's drift (these machines are shared and noisy) falls on all of them alike and the
ratios of their medians compare like with like. hyperfine runs one command's runs in a block, and
between blocks the same command's median moved by 20% here.

Every command is started the same way, with posix_spawn (as docker starts a helper): stdin from a
file, stdout to /dev/null, stderr kept for errors. The time is from the spawn to the exit.

Usage: bench-timing.py RUNS OUT.json SPEC.json
SPEC.json: [{"name": ..., "argv": [...], "stdin": path or null, "prepare": [...] or null,
"env": {...} or null}, ...]; a command's "prepare" runs, untimed, right before each of its timed
runs; "env" is laid over this process's environment for the command (another keyring's bus);
with "tolerate": true a failed run is counted (under "NAME_failures") instead of ending the bench.
Writes {"name": [milliseconds, ...], ...} to OUT.json.
"""
import json
import os
import sys
import time


def run(argv, stdin_path, env=None, tolerate=False):
    actions = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
    if stdin_path is not None:
        actions.append((os.POSIX_SPAWN_OPEN, 0, stdin_path, os.O_RDONLY, 0))
    start = time.perf_counter_ns()
    pid = os.posix_spawnp(argv[0], argv, env or os.environ, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    elapsed = (time.perf_counter_ns() - start) / 1e6
    if os.waitstatus_to_exitcode(status) != 0:
        if tolerate:
            return None
        sys.exit(f"bench: {' '.join(argv)} failed (status {status})")
    return elapsed


def main():
    runs, out, spec = int(sys.argv[1]), sys.argv[2], json.load(open(sys.argv[3]))
    times = {command["name"]: [] for command in spec}
    failures = {}
    envs = {command["name"]: os.environ | command["env"] if command.get("env") else None for command in spec}
    for round_ in range(runs + 3):  # three rounds of warm-up, not kept
        for command in spec:
            if command.get("prepare"):
                run(command["prepare"], None, envs[command["name"]])
            elapsed = run(command["argv"], command.get("stdin"), envs[command["name"]], command.get("tolerate", False))
            if elapsed is None:
                failures[command["name"] + "_failures"] = failures.get(command["name"] + "_failures", 0) + 1
            elif round_ >= 3:
                times[command["name"]].append(elapsed)
    json.dump(times | failures, open(out, "w"))


main()
