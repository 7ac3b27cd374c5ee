#!/usr/bin/env python3
"""The article's checks against Dgraph Alpha, run from inside the cluster.

1. HTTP: GET /health on Alpha's HTTP port (8080).
2. gRPC: CheckVersion on Alpha's gRPC port (9080).
3. A tiny data set: set a schema, add three people, query them back.

Alpha's address comes from DGRAPH_ALPHA_SERVER (a Service name); the ports from
DGRAPH_HTTP_PORT and DGRAPH_GRPC_PORT. Exits 0 when every check passes, 1 on the
first failure, with a line saying which check failed and why.
"""

import json
import os
import sys

import pydgraph
import requests

TIMEOUT_SECONDS = 10

# Predicates under a prefix of their own, so the check never touches real data.
SCHEMA = """
check.name: string @index(exact) .
check.age: int .
check.friend: [uid] .
"""

PEOPLE = [
    {"uid": "_:alice", "check.name": "Alice", "check.age": 31, "check.friend": [{"uid": "_:bob"}, {"uid": "_:carol"}]},
    {"uid": "_:bob", "check.name": "Bob", "check.age": 27},
    {"uid": "_:carol", "check.name": "Carol", "check.age": 45},
]

QUERY = """
{
  people(func: eq(check.name, "Alice")) {
    check.name
    check.age
    check.friend(orderasc: check.name) { check.name }
  }
}
"""


class CheckFailed(Exception):
    pass


def check_health(server, port):
    url = f"http://{server}:{port}/health"
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as e:
        raise CheckFailed(f"GET {url}: {e}") from e
    if response.status_code != 200:
        raise CheckFailed(f"GET {url}: HTTP {response.status_code}: {response.text[:200]}")
    statuses = [entry.get("status") for entry in response.json()]
    if not statuses or any(s != "healthy" for s in statuses):
        raise CheckFailed(f"GET {url}: not healthy: {statuses}")
    return f"GET {url}: {statuses}"


def check_version(client):
    try:
        return f"CheckVersion: Dgraph {client.check_version(timeout=TIMEOUT_SECONDS)}"
    except Exception as e:  # grpc raises its own error types; report any of them
        raise CheckFailed(f"CheckVersion: {e}") from e


def load_and_query(client):
    try:
        for predicate in ("check.name", "check.age", "check.friend"):
            client.drop_predicate(predicate, timeout=TIMEOUT_SECONDS)
        client.set_schema(SCHEMA, timeout=TIMEOUT_SECONDS)
        client.txn().mutate(set_obj=PEOPLE, commit_now=True, timeout=TIMEOUT_SECONDS)
        result = json.loads(client.txn(read_only=True).query(QUERY, timeout=TIMEOUT_SECONDS).json)
    except Exception as e:
        raise CheckFailed(f"schema, mutation or query: {e}") from e
    people = result.get("people", [])
    friends = [f["check.name"] for f in people[0].get("check.friend", [])] if people else []
    if len(people) != 1 or people[0].get("check.age") != 31 or friends != ["Bob", "Carol"]:
        raise CheckFailed(f"query returned {result}, expected Alice (31) with friends Bob and Carol")
    return f"query: Alice (31), friends {', '.join(friends)}"


def main():
    server = os.environ.get("DGRAPH_ALPHA_SERVER")
    if not server:
        print("FAIL: DGRAPH_ALPHA_SERVER is not set (the Deployment sets it)", file=sys.stderr)
        return 1
    http_port = os.environ.get("DGRAPH_HTTP_PORT", "8080")
    grpc_port = os.environ.get("DGRAPH_GRPC_PORT", "9080")
    stub = pydgraph.DgraphClientStub(f"{server}:{grpc_port}")
    client = pydgraph.DgraphClient(stub)
    try:
        for check in (
            lambda: check_health(server, http_port),
            lambda: check_version(client),
            lambda: load_and_query(client),
        ):
            print(f"ok: {check()}")
    except CheckFailed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        stub.close()
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
