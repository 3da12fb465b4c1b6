"""Drives dokli (a Dokploy command-line client from PyPI, not written here) against a live Slipway.

Run by DokployPythonClientTests with the venv's python. Environment:
  SLIPWAY_BASE_URL, SLIPWAY_TOKEN  the server and an API token (dokli sends it as x-api-key)
  SLIPWAY_APPLICATION              an application's id (a project built by command)
  SLIPWAY_COMPOSE                  a compose's id (a project whose build type is compose)
  SLIPWAY_RUNNING                  the id of a deployment whose build prints "tick N" until it is killed
  HOME                             a temporary home: dokli's configuration and schema cache go there

Prints one JSON object: what each dokli command printed and how it exited. The follow step starts
`dokli logs <conn> --deployment-id <id> -f` (Dokploy's /listen-deployment WebSocket), waits for three
ticks, kills the deployment through Dokploy's deployment.killProcess, and reads dokli's output until
dokli exits by itself.
"""

import json
import os
import subprocess
import sys
import urllib.request

BASE = os.environ["SLIPWAY_BASE_URL"]
TOKEN = os.environ["SLIPWAY_TOKEN"]
DOKLI = os.path.join(os.path.dirname(sys.executable), "dokli")

# dokli's `api_key` must be exactly 64 characters long (the length of Dokploy's keys); Slipway's tokens are 44.
# `api_key_cmd`, dokli's other way to give the key, has no such rule: the key is read from the environment.
config_dir = os.path.join(os.environ["HOME"], ".config", "dokli")
os.makedirs(config_dir, exist_ok=True)
with open(os.path.join(config_dir, "dokli.yaml"), "w") as config:
    config.write(f"connections:\n  - name: slipway\n    url: {BASE}\n    api_key_cmd: printenv SLIPWAY_TOKEN\n")


def dokli(*arguments):
    done = subprocess.run([DOKLI, *arguments], capture_output=True, text=True, timeout=300)
    return {"status": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


report = {
    "version": dokli("--version"),
    "doctor": dokli("doctor", "slipway", "--format", "json"),
    # dokli builds these commands from settings.getOpenApiDocument; a required parameter is a positional argument.
    "all": dokli("api", "slipway", "deployment", "all", os.environ["SLIPWAY_APPLICATION"], "--format", "json"),
    "allByCompose": dokli("api", "slipway", "deployment", "all_by_compose", os.environ["SLIPWAY_COMPOSE"], "--format", "json"),
}

follower = subprocess.Popen(
    [DOKLI, "logs", "slipway", "--deployment-id", os.environ["SLIPWAY_RUNNING"], "-f"],
    stdout=subprocess.PIPE,
    stderr=subprocess.PIPE,
    text=True,
)
lines = []
killed = None
for line in follower.stdout:
    lines.append(line.rstrip("\n"))
    if killed is None and sum(1 for seen in lines if seen.startswith("tick ")) >= 3:
        request = urllib.request.Request(
            BASE + "/api/deployment.killProcess",
            data=json.dumps({"deploymentId": os.environ["SLIPWAY_RUNNING"]}).encode(),
            headers={"x-api-key": TOKEN, "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            killed = answer.status
try:
    status = follower.wait(timeout=120)
except subprocess.TimeoutExpired:
    follower.kill()
    status = "did not exit"
report["follow"] = {"status": status, "lines": lines, "killed": killed, "stderr": follower.stderr.read()}
print(json.dumps(report))
