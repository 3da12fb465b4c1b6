#!/usr/bin/env python3
"""Gives a fresh Slipway server real data for schemathesis, then writes the schemathesis configuration.

Usage: schemathesis_seed.py BASE_URL TOKEN WORK_DIR

Creates, through the API: a git repository in WORK_DIR/site, the project `site` (a static site built by a
shell script) with successful production deployments and a failed one, an env var, a throwaway project
`scratch`, and a throwaway token. Then writes WORK_DIR/schemathesis.toml, which pins the path parameters to
these records, so that schemathesis reaches real deployments instead of only 404s, while the operations that
destroy something (delete a project, revoke a token) get the throwaway ones.

Only the standard library: it runs with the system's python3.
"""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request


def call(base, token, method, path, body=None):
    """One API request; answers (status, parsed JSON body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def expect(condition, message):
    if not condition:
        sys.exit(f"schemathesis_seed: {message}")


def git(directory, *arguments):
    subprocess.run(
        ["git", "-c", "user.name=Slipway CI", "-c", "user.email=ci@slipway.invalid", *arguments],
        cwd=directory, check=True, stdout=subprocess.DEVNULL)


def make_site(work):
    """A git repository whose build writes dist/index.html, and fails while fail.txt exists."""
    site = f"{work}/site"
    subprocess.run(["git", "init", "-q", "-b", "main", site], check=True)
    with open(f"{site}/build.sh", "w") as script:
        script.write('set -e\necho "building"\nif [ -f fail.txt ]; then echo "refusing" >&2; exit 3; fi\n'
                     'mkdir -p dist\necho "<p>$(cat message.txt)</p>" > dist/index.html\n')
    return site


def commit(site, message, fail=False):
    with open(f"{site}/message.txt", "w") as text:
        text.write(message)
    if fail:
        open(f"{site}/fail.txt", "w").close()
    git(site, "add", "-A")
    git(site, "commit", "-q", "-m", message)


def deploy(base, token, deployments, expected_state):
    """Creates a deployment of the production branch through the Cloudflare dialect and waits for its end."""
    status, created = call(base, token, "POST", deployments, {"branch": "main"})
    expect(status == 200, f"create answered {status}: {created}")
    identifier = created["result"]["id"]
    for _ in range(1200):
        status, shown = call(base, token, "GET", f"{deployments}/{identifier}")
        stage = shown["result"]["latest_stage"]
        if stage["status"] == "failure" or (stage["name"] == "deploy" and stage["status"] == "success"):
            break
        time.sleep(0.1)
    else:
        sys.exit(f"schemathesis_seed: deployment {identifier} did not end")
    expect(stage["status"] == expected_state, f"deployment {identifier} ended {stage}, expected {expected_state}")
    return identifier


def toml_string(value):
    return json.dumps(value)


def main():
    base, token, work = sys.argv[1:4]
    status, me = call(base, token, "GET", "/api/v1/me")
    expect(status == 200, f"/api/v1/me answered {status}: {me}")
    account = me["workspace"]["cloudflare_account_id"]

    site = make_site(work)
    commit(site, "first")
    for name in ["site", "scratch"]:
        status, body = call(base, token, "POST", "/api/v1/projects",
                            {"name": name, "repository": site, "build_command": "sh build.sh", "output_dir": "dist"})
        expect(status == 201, f"creating project {name} answered {status}: {body}")
    status, body = call(base, token, "PUT", "/api/v1/projects/site/env",
                        {"production": {"API_KEY": {"value": "s3cret", "secret": True}, "MODE": {"value": "ci", "secret": False}}})
    expect(status == 200, f"setting env vars answered {status}: {body}")

    deployments = f"/client/v4/accounts/{account}/pages/projects/site/deployments"
    older = deploy(base, token, deployments, "success")
    doomed = {dialect: deploy(base, token, deployments, "success") for dialect in ["cloudflare", "native", "dokploy"]}
    commit(site, "second")
    deploy(base, token, deployments, "success")
    commit(site, "broken", fail=True)
    failed = deploy(base, token, deployments, "failure")

    status, body = call(base, token, "GET", "/api/v1/projects/site/deployments?per_page=100")
    expect(status == 200, f"listing the native deployments answered {status}: {body}")
    native_id = {deployment["uid"]: deployment["id"] for deployment in body["data"]}
    status, project = call(base, token, "GET", "/api/v1/projects/site")
    expect(status == 200, f"reading the project answered {status}: {project}")
    project_uid = project["uid"]

    status, body = call(base, token, "POST", "/api/v1/tokens", {"name": "throwaway", "scopes": ["read"]})
    expect(status == 201, f"creating a token answered {status}: {body}")
    throwaway_token = body["id"]

    with open(f"{work}/schemathesis.toml", "w") as config:
        config.write(f"""# Written by .ci/schemathesis_seed.py for one run against a seeded server.
# Identifiers of real records, so that schemathesis reaches them instead of only 404s; every operation that
# deletes something gets a record of its own. (Several include-* keys in one entry are alternatives, so each
# entry names exactly one operation or one path pattern.)
[parameters]
account_id = {toml_string(account)}
project_name = "site"
project = "site"
deployment_id = {toml_string(older)}
deployment = {native_id[older]}
applicationId = {toml_string(project_uid)}
composeId = {toml_string(project_uid)}
project_uid = {toml_string(project_uid)}
serverId = "local"

[[operations]]
include-path = "/api/deployment.allByType"
parameters = {{ id = {toml_string(project_uid)} }}

[[operations]]
include-path-regex = "^/api/deploys/"
parameters = {{ deploy = {toml_string("dep_" + older.replace("-", ""))} }}

[[operations]]
include-name = "DELETE /api/v1/projects/{{project}}"
parameters = {{ project = "scratch" }}

[[operations]]
include-name = "DELETE /api/v1/tokens/{{id}}"
parameters = {{ id = {throwaway_token} }}

[[operations]]
include-name = "DELETE /client/v4/accounts/{{account_id}}/pages/projects/{{project_name}}/deployments/{{deployment_id}}"
parameters = {{ deployment_id = {toml_string(doomed["cloudflare"])} }}

[[operations]]
include-name = "DELETE /api/v1/deployments/{{deployment}}"
parameters = {{ deployment = {native_id[doomed["native"]]} }}

[[operations]]
include-path-regex = "^/client/v4/.*/(retry|cancel)$"
parameters = {{ deployment_id = {toml_string(failed)} }}

[[operations]]
include-path-regex = "^/api/v1/deployments/.*/(rerun|cancel|kill)$"
parameters = {{ deployment = {native_id[failed]} }}
""")
    print(f"seeded: account {account}, deployments {older} (older success), {failed} (failed); token {throwaway_token}")


if __name__ == "__main__":
    main()
