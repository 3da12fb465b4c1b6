"""Drives Slipway's Cloudflare Pages dialect with Cloudflare's official Python client (`pip install cloudflare`).

Run by CloudflarePythonClientTests.swift against a live server, with these environment variables:
  SLIPWAY_BASE_URL     the server, e.g. http://127.0.0.1:8080 (the client gets BASE/client/v4)
  SLIPWAY_TOKEN        an API token with the deploy scope
  SLIPWAY_ACCOUNT_ID   the workspace's cloudflare_account_id
  SLIPWAY_PROJECT      a static project whose build runs `sh build.sh` and fails while fail.txt exists
  SLIPWAY_REPOSITORY   that project's git repository (the script commits to it to make a failing build)

Every check raises AssertionError with a sentence; the script then exits 1. Prints "ok: …" lines as it goes
and "all checks passed" at the end.
"""

import os
import re
import subprocess
import sys
import time

import cloudflare
import httpx
from cloudflare import Cloudflare

BASE_URL = os.environ["SLIPWAY_BASE_URL"]
ACCOUNT = os.environ["SLIPWAY_ACCOUNT_ID"]
PROJECT = os.environ["SLIPWAY_PROJECT"]
REPOSITORY = os.environ["SLIPWAY_REPOSITORY"]

requests_sent = []
http_client = httpx.Client(event_hooks={"request": [lambda request: requests_sent.append(f"{request.method} {request.url.path}")]})
client = Cloudflare(api_token=os.environ["SLIPWAY_TOKEN"], base_url=f"{BASE_URL}/client/v4", http_client=http_client)
deployments = client.pages.projects.deployments
place = {"account_id": ACCOUNT, "project_name": PROJECT}


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def ok(message):
    print(f"ok: {message}", flush=True)


def git(*arguments):
    result = subprocess.run(
        ["git", "-c", "user.name=Python client", "-c", "user.email=python@slipway.invalid", *arguments],
        cwd=REPOSITORY, check=True, capture_output=True, text=True)
    return result.stdout.strip()


def wait_for_end(deployment_id):
    """Polls `get` until the deployment has ended; answers it."""
    for _ in range(1200):
        deployment = deployments.get(deployment_id, **place)
        stage = deployment.latest_stage
        if stage.status in ("failure", "canceled") or (stage.name == "deploy" and stage.status == "success") or deployment.is_skipped:
            return deployment
        time.sleep(0.1)
    raise AssertionError(f"deployment {deployment_id} did not end within 120 seconds")


def check_successful_deployment(deployment, commit):
    """The fields a Cloudflare user reads, with the types the client's models declare."""
    check(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", deployment.id), f"id {deployment.id!r}")
    check(deployment.short_id == deployment.id.replace("-", "")[:8], f"short_id {deployment.short_id!r} of {deployment.id}")
    check(deployment.project_name == PROJECT and deployment.environment == "production", f"project/environment of {deployment.id}")
    check([stage.name for stage in deployment.stages] == ["queued", "initialize", "clone_repo", "build", "deploy"],
          f"stages {[stage.name for stage in deployment.stages]}")
    check(all(stage.status == "success" for stage in deployment.stages), f"stage statuses of {deployment.id}")
    check(all(stage.started_on is not None and stage.ended_on is not None for stage in deployment.stages), "stage timestamps")
    check(deployment.latest_stage.name == "deploy" and deployment.latest_stage.status == "success", f"latest_stage {deployment.latest_stage}")
    check(deployment.created_on.tzinfo is not None and deployment.modified_on >= deployment.created_on, "created_on/modified_on")
    trigger = deployment.deployment_trigger
    check(trigger.type == "ad_hoc" and trigger.metadata.branch == "main", f"deployment_trigger {trigger}")
    check(trigger.metadata.commit_hash == commit and trigger.metadata.commit_dirty is False, f"commit of {deployment.id}: {trigger.metadata}")
    check(deployment.build_config.build_command == "sh build.sh" and deployment.build_config.destination_dir == "dist", "build_config")
    check(deployment.env_vars["API_TOKEN"].type == "secret_text" and deployment.env_vars["API_TOKEN"].value == "•••", "secret env var")
    check(deployment.env_vars["API_URL"].type == "plain_text" and deployment.env_vars["API_URL"].value == "https://api.example", "env var")
    check(deployment.url.startswith(f"http://{deployment.short_id}.{PROJECT}."), f"url {deployment.url}")
    check(deployment.is_skipped is False and deployment.source.config.production_branch == "main", "is_skipped/source")


def create_and_list():
    """Create (multipart) and get, then more deployments than one page, listed through auto-pagination."""
    head = git("rev-parse", "HEAD")
    created = deployments.create(PROJECT, account_id=ACCOUNT, branch="main", commit_hash=head, commit_message="from python", commit_dirty="false")
    check(created.latest_stage.name in ("queued", "initialize", "clone_repo", "build", "deploy"), f"new deployment {created.latest_stage}")
    first = wait_for_end(created.id)
    check_successful_deployment(first, head)
    check(any(alias.startswith(f"http://{PROJECT}.") for alias in first.aliases), f"production alias in {first.aliases}")
    ok(f"create (multipart) and get: {first.id}")

    ids = [first.id]
    for _ in range(6):
        ids.append(deployments.create(PROJECT, account_id=ACCOUNT).id)
    ended = [wait_for_end(deployment_id) for deployment_id in ids[1:]]
    check(all(deployment.latest_stage.status == "success" for deployment in ended), "every created deployment succeeded")

    page = deployments.list(PROJECT, account_id=ACCOUNT, per_page=3)
    check(page.result_info.total_count == 7 and page.result_info.total_pages == 3, f"result_info {page.result_info}")
    check(page.result_info.page == 1 and page.result_info.per_page == 3 and page.result_info.count == 3, f"result_info {page.result_info}")
    requests_before = len(requests_sent)
    listed = [deployment.id for deployment in deployments.list(PROJECT, account_id=ACCOUNT, per_page=3)]
    check(len(listed) == len(set(listed)), f"auto-pagination answered an id twice: {listed}")
    check(listed == list(reversed(ids)), f"auto-pagination answered {listed}, expected newest first {list(reversed(ids))}")
    check(len(requests_sent) - requests_before == 4, f"auto-pagination sent {requests_sent[requests_before:]}, expected pages 1-3 and an empty 4")
    check([d.id for d in deployments.list(PROJECT, account_id=ACCOUNT, env="production", per_page=100)] == listed, "env=production")
    check(list(deployments.list(PROJECT, account_id=ACCOUNT, env="preview")) == [], "env=preview lists nothing")
    ok(f"list: {len(listed)} deployments over 3 pages, each once, newest first")
    return ids


def logs(deployment_id):
    answer = deployments.history.logs.get(deployment_id, **place)
    check(answer.total == len(answer.data) and answer.total > 0, f"logs total {answer.total} for {len(answer.data)} lines")
    check(any("building" in line.line for line in answer.data), "the build's own output is in the log")
    check(all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", line.ts) for line in answer.data), "log timestamps")
    check(answer.includes_container_logs is False, "includes_container_logs")
    ok(f"logs: {answer.total} lines")


def retry(successful):
    """A failed deployment retried is a new deployment of the same commit; a successful one too."""
    again = wait_for_end(deployments.retry(successful, **place).id)
    check(again.id != successful and again.latest_stage.status == "success", f"retry of a successful deployment: {again.latest_stage}")
    check(again.deployment_trigger.metadata.commit_hash == deployments.get(successful, **place).deployment_trigger.metadata.commit_hash,
          "the retry of a successful deployment builds its commit")
    ok(f"retry of a successful deployment: {again.id}")

    with open(os.path.join(REPOSITORY, "fail.txt"), "w") as marker:
        marker.write("x")
    git("add", "fail.txt")
    git("commit", "-q", "-m", "break the build")
    broken = git("rev-parse", "HEAD")
    failed = wait_for_end(deployments.create(PROJECT, account_id=ACCOUNT, branch="main").id)
    check(failed.latest_stage.name == "build" and failed.latest_stage.status == "failure", f"failed build: {failed.latest_stage}")
    retried = deployments.retry(failed.id, **place)
    check(retried.id != failed.id, "retry is a new deployment")
    retried = wait_for_end(retried.id)
    check(retried.deployment_trigger.metadata.commit_hash == broken, "retry builds the same commit")
    check(retried.latest_stage.status == "failure", "the same broken commit fails again")
    git("rm", "-q", "fail.txt")
    git("commit", "-q", "-m", "repair the build")
    ok(f"retry of a failed deployment: {retried.id}")
    return failed.id


def rollback(target, failed):
    rolled_back = deployments.rollback(target, **place)
    check(rolled_back.id != target, "rollback is a new deployment")
    rolled_back = wait_for_end(rolled_back.id)
    check(rolled_back.latest_stage.status == "success", f"rollback ended {rolled_back.latest_stage}")
    check(any(alias.startswith(f"http://{PROJECT}.") for alias in rolled_back.aliases), "the rollback is the production deployment")
    check(rolled_back.deployment_trigger.metadata.commit_hash == deployments.get(target, **place).deployment_trigger.metadata.commit_hash,
          "the rollback serves the target's commit")
    ok(f"rollback to {target}: {rolled_back.id}")

    requests_before = len(requests_sent)
    try:
        deployments.rollback(failed, **place)
        raise AssertionError("a rollback to a failed deployment was accepted")
    except cloudflare.ConflictError as error:
        check(error.status_code == 409 and error.body["success"] is False, f"409 body {error.body}")
        check(error.body["errors"][0]["code"] >= 1000, f"error code in {error.body}")
    check(len(requests_sent) - requests_before == 1, f"the client retried a business-rule 409: {requests_sent[requests_before:]}")
    ok("rollback to a failed deployment: 409, not retried")
    return rolled_back.id


def delete(deployment_id, active):
    answer = deployments.delete(deployment_id, **place, force=True)
    check(answer in ({}, None), f"delete answered {answer!r}")
    try:
        deployments.get(deployment_id, **place)
        raise AssertionError(f"deployment {deployment_id} still answers after delete")
    except cloudflare.NotFoundError as error:
        check(error.body["success"] is False and error.body["errors"][0]["code"] == 8000009, f"404 body {error.body}")
    check(deployment_id not in [d.id for d in deployments.list(PROJECT, account_id=ACCOUNT, per_page=100)], "a deleted deployment is not listed")
    try:
        deployments.delete(active, **place)
        raise AssertionError("the active production deployment was deleted")
    except cloudflare.ConflictError:
        pass
    ok(f"delete of {deployment_id}; the active production deployment is refused")


def unknown_path():
    try:
        client.get(f"/accounts/{ACCOUNT}/pages/projects/{PROJECT}/no-such-thing", cast_to=object)
        raise AssertionError("an unknown path answered 2xx")
    except cloudflare.NotFoundError as error:
        check(error.body["success"] is False and error.body["messages"] == [], f"unknown path body {error.body}")
        check(error.body["errors"][0]["code"] == 7000, f"unknown path error {error.body}")
    ok("an unknown path answers 404 in the Cloudflare envelope")


def main():
    print(f"cloudflare {cloudflare.__version__} against {BASE_URL}", flush=True)
    ids = create_and_list()
    logs(ids[0])
    failed = retry(ids[-1])
    active = rollback(ids[0], failed)
    delete(ids[1], active)
    unknown_path()
    print("all checks passed", flush=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print(f"FAILED: {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
