# SPDX-License-Identifier: Apache-2.0
"""python-tuf's client rules applied to metadata files on disk.

Reads one JSON request on stdin: {"cases": [{"dir": DIR, "at": "YYYY-MM-DDTHH:MM:SSZ",
"trustedRoot": RELPATH or null}], "delegates": [...]} and prints {"version": ..., "results":
[...], "delegates": [...]} on stdout, one result per case: {"ok": bool, "steps": [{"role",
"file", "ok", "error"}]}.

"delegates" judges one delegation without a whole repository (no snapshot or timestamp):
{"delegator": FILE, "role": NAME, "delegate": FILE, "paths": [TARGET PATH, ...]} gives
{"ok": bool, "error", "rolesFor": {PATH: [[ROLE, TERMINATING], ...]}}: python-tuf parses both
files, the delegator verifies the delegate (Metadata.verify_delegate), and the delegate's
own delegations name the roles for each path (Delegations.get_roles_for_target).

For each case, python-tuf's ngclient TrustedMetadataSet is fed the files a client would
download, in the client's order, with its reference time set to "at":
  1. trusted root: trustedRoot, else the lowest N.root.json (DIR or DIR/root_history),
     else root.json; then N+1.root.json while present (update_root);
  2. timestamp.json (update_timestamp); without one, only the final root's expiry is judged;
  3. snapshot: V.snapshot.json with consistent snapshots (V from timestamp), else
     snapshot.json (update_snapshot); then targets the same way (update_targets);
  4. delegated roles breadth-first from every verified targets role, roles and
     succinct_roles (update_delegated_targets); a role whose file is absent is skipped.
The tuf-js judge (test/support/tufjs-judge.ts) walks the same files in the same order.
"""
import datetime
import json
import os
import re
import sys
from urllib import parse

import tuf
from tuf.api.metadata import Metadata
from tuf.ngclient._internal.trusted_metadata_set import TrustedMetadataSet

ROOT_FILE = re.compile(r"^(?:root_history/)?([0-9]+)\.root\.json$")


def describe(e):
    text = f"{type(e).__name__}: {e}"
    if e.__cause__ is not None:  # DeserializationError wraps the reason
        text += f" ({type(e.__cause__).__name__}: {e.__cause__})"
    return text[:400]


def numbered_roots(d):
    found = {}
    for sub in ("", "root_history"):
        base = os.path.join(d, sub)
        if not os.path.isdir(base):
            continue
        for name in sorted(os.listdir(base)):
            rel = f"{sub}/{name}" if sub else name
            m = ROOT_FILE.match(rel)
            if m:
                found.setdefault(int(m.group(1)), rel)
    return found


def read(d, rel):
    with open(os.path.join(d, rel), "rb") as f:
        return f.read()


def role_file(d, role, version, consistent):
    """The file a client fetches for role at version: V.ROLE.json or ROLE.json."""
    names = []
    for n in (role, parse.quote(role, "")):
        if consistent and version is not None:
            names.append(f"{version}.{n}.json")
        names.append(f"{n}.json")
    for n in names:
        if os.path.isfile(os.path.join(d, n)):
            return n
    return None


def judge(case):
    d = case["dir"]
    at = datetime.datetime.strptime(case["at"], "%Y-%m-%dT%H:%M:%SZ")
    steps = []

    def step(role, rel, fn):
        try:
            fn()
        except Exception as e:  # python-tuf raises RepositoryError and others
            steps.append({"role": role, "file": rel, "ok": False, "error": describe(e)})
            return False
        steps.append({"role": role, "file": rel, "ok": True})
        return True

    roots = numbered_roots(d)
    trusted = case.get("trustedRoot")
    if trusted is None:
        trusted = roots[min(roots)] if roots else "root.json"
    holder = {}

    def load_trusted():
        holder["set"] = TrustedMetadataSet(read(d, trusted))
        holder["set"].reference_time = at

    if not step("root", trusted, load_trusted):
        return {"ok": False, "steps": steps}
    tms = holder["set"]
    version = tms.root.signed.version
    while version + 1 in roots:
        rel = roots[version + 1]
        if not step("root", rel, lambda: tms.update_root(read(d, rel))):
            return {"ok": False, "steps": steps}
        version += 1

    if not os.path.isfile(os.path.join(d, "timestamp.json")):
        def final_root():
            if tms.root.signed.is_expired(at):
                raise Exception("final root is expired")
        ok = step("root", roots.get(version, trusted), final_root)
        return {"ok": ok, "steps": steps}
    if not step("timestamp", "timestamp.json", lambda: tms.update_timestamp(read(d, "timestamp.json"))):
        return {"ok": False, "steps": steps}
    consistent = tms.root.signed.consistent_snapshot
    snap = role_file(d, "snapshot", tms.timestamp.signed.snapshot_meta.version, consistent)
    if snap is None:
        return {"ok": True, "steps": steps}
    if not step("snapshot", snap, lambda: tms.update_snapshot(read(d, snap))):
        return {"ok": False, "steps": steps}
    meta = tms.snapshot.signed.meta.get("targets.json")
    tgt = role_file(d, "targets", meta.version if meta else None, consistent)
    if tgt is None:
        return {"ok": True, "steps": steps}
    if not step("targets", tgt, lambda: tms.update_targets(read(d, tgt))):
        return {"ok": False, "steps": steps}

    queue = ["targets"]
    seen = {"root", "timestamp", "snapshot", "targets"}
    while queue:
        delegator = queue.pop(0)
        delegations = tms[delegator].signed.delegations
        if delegations is None:
            continue
        if delegations.roles is not None:
            names = list(delegations.roles)
        elif delegations.succinct_roles is not None:
            names = list(delegations.succinct_roles.get_roles())
        else:
            names = []
        for role in names:
            if role in seen:
                continue
            seen.add(role)
            m = tms.snapshot.signed.meta.get(f"{role}.json")
            rel = role_file(d, role, m.version if m else None, consistent)
            if rel is None:
                continue
            if step(role, rel, lambda: tms.update_delegated_targets(read(d, rel), role, delegator)):
                queue.append(role)
    return {"ok": all(s["ok"] for s in steps), "steps": steps}


def delegate(d):
    out = {"ok": False, "rolesFor": {}}
    try:
        with open(d["delegator"], "rb") as f:
            delegator = Metadata.from_bytes(f.read())
        with open(d["delegate"], "rb") as f:
            delegate_md = Metadata.from_bytes(f.read())
        delegator.verify_delegate(d["role"], delegate_md)
        delegations = getattr(delegate_md.signed, "delegations", None)
        for path in d.get("paths", []):
            roles = [] if delegations is None else delegations.get_roles_for_target(path)
            out["rolesFor"][path] = [[r, t] for r, t in roles]
        out["ok"] = True
    except Exception as e:
        out["error"] = describe(e)
    return out


def main():
    req = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    results = [judge(c) for c in req.get("cases", [])]
    delegates = [delegate(d) for d in req.get("delegates", [])]
    json.dump({"version": tuf.__version__, "results": results, "delegates": delegates}, sys.stdout)


if __name__ == "__main__":
    main()
