#!/usr/bin/env python3
"""Checks deploy/k8s without a cluster; run by scripts/test.

1. Every manifest is valid against the Kubernetes versions in KUBERNETES,
   strictly (an unknown field fails), with the schemas that
   kubernetes-validate bundles (no network). A kind it has no schema for
   fails too (its command line only warns).
2. The facts that span manifests, which no schema sees: the agents'
   replicas equal the coordinator's --agents; the Service's port, the
   container port, --listen and every URL naming the coordinator agree;
   the probes ask /readyz and /healthz on that port; each Secret and
   ConfigMap key referenced exists; the Job runs a script that its
   ConfigMap mount holds (the example is examples/ byte for byte) and is
   never retried; every container runs one of the image's binaries as an
   exec array; the agents' K6R_MAX_VUS fits their memory limit by the
   agent's own rule and by the measured cost per VU (bench/RESULTS.md);
   kustomization.yaml lists every manifest but job.yaml.
3. With kubectl on PATH, `kubectl kustomize` renders the kustomization.

    python3 deploy/k8s/validate.py   # pip install kubernetes-validate==1.37.0
"""

import os
import re
import shutil
import subprocess
import sys

import kubernetes_validate
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# The oldest version these manifests are meant for and the newest that
# kubernetes-validate 1.37.0 knows.
KUBERNETES = ("1.31.0", "1.37.0")
# Started by hand once the coordinator is ready, so not in the kustomization.
STANDALONE = {"job.yaml"}
# What the agent needs besides its VUs: the process (~13 MiB with no VU
# measured) and a run's files (agents.yaml states the same budget).
AGENT_BASE_BYTES = 64 << 20

failures = []
passes = 0


def check(ok, message):
    """Records one fact: `message` says what is wrong when `ok` is false."""
    global passes
    if ok:
        passes += 1
    else:
        failures.append(message)
    return ok


def load():
    """{file: [objects]} for every manifest here."""
    manifests = {}
    for name in sorted(os.listdir(HERE)):
        if name.endswith(".yaml") and name != "kustomization.yaml":
            with open(os.path.join(HERE, name)) as f:
                manifests[name] = [doc for doc in yaml.safe_load_all(f) if doc]
    return manifests


def validate_schemas(manifests):
    for name, docs in manifests.items():
        for doc in docs:
            what = f"{name}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            for version in KUBERNETES:
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                    check(True, "")
                except kubernetes_validate.ValidationError as e:
                    path = ".".join(str(p) for p in e.path)
                    check(False, f"{what} is not valid Kubernetes {version}: {path}: {e.message}")
                except Exception as e:  # no schema for the kind, a bad apiVersion...
                    check(False, f"{what} cannot be validated for {version}: "
                                 f"{getattr(e, 'message', e)}")


def quantity(text):
    """Bytes of a memory quantity such as 512Mi or 1Gi."""
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "k": 10**3, "M": 10**6, "G": 10**9}
    m = re.fullmatch(r"(\d+)([KMG]i?|k)?", str(text))
    if not m:
        raise ValueError(f"cannot read memory quantity {text!r}")
    return int(m.group(1)) * units.get(m.group(2) or "", 1)


def flag(command, name):
    """The value after `name` in an exec array (or `name=value`)."""
    for i, arg in enumerate(command):
        if arg == name and i + 1 < len(command):
            return command[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def env(container, name):
    """The env entry `name` of `container`, or None."""
    return next((e for e in container.get("env", []) if e["name"] == name), None)


def image_binaries():
    """The binaries deploy/build.sh puts in the image."""
    text = open(os.path.join(ROOT, "deploy", "build.sh")).read()
    return set(re.search(r"^bins=\(([^)]*)\)", text, re.M).group(1).split())


def agent_rule():
    """(bytes per VU, memory share %) of k6r-core's default VU limit."""
    text = open(os.path.join(ROOT, "core", "src", "capacity.rs")).read()
    per_vu = re.search(r"BYTES_PER_VU: u64 = (\d+) \* 1024;", text).group(1)
    share = re.search(r"MEMORY_SHARE: u64 = (\d+);", text).group(1)
    return int(per_vu) * 1024, int(share)


def measured_bytes_per_vu():
    """k6r's resident memory per VU in bench/RESULTS.md's memory bar."""
    text = open(os.path.join(ROOT, "bench", "RESULTS.md")).read()
    return float(re.search(r"RSS/VU KB ([\d.]+)", text).group(1)) * 1024


def check_cluster(manifests):
    objects = {}
    for docs in manifests.values():
        for doc in docs:
            objects[(doc["kind"], doc["metadata"]["name"])] = doc

    def get(kind, name):
        obj = objects.get((kind, name))
        check(obj is not None, f"no {kind} {name}")
        return obj

    namespace = get("Namespace", "k6r")
    for (kind, name), obj in objects.items():
        if kind != "Namespace":
            check(obj["metadata"].get("namespace") == namespace["metadata"]["name"],
                  f"{kind} {name} is not in namespace {namespace['metadata']['name']}")

    pods = {}  # "Kind/name" -> pod spec
    for (kind, name), obj in objects.items():
        if kind in ("Deployment", "Job"):
            pods[f"{kind}/{name}"] = obj["spec"]["template"]

    # The image: k6r:latest, no shell, so an exec array of one of its binaries.
    binaries = image_binaries()
    for owner, template in pods.items():
        for c in template["spec"]["containers"]:
            check(c["image"] == "k6r:latest" and c.get("imagePullPolicy") == "IfNotPresent",
                  f"{owner}: image {c['image']} ({c.get('imagePullPolicy')}), "
                  "want k6r:latest, IfNotPresent")
            command = c.get("command", [])
            check(bool(command) and command[0] in binaries,
                  f"{owner}: command {command} does not start with one of {sorted(binaries)}")

    # Every Secret and ConfigMap key a container reads exists.
    for owner, template in pods.items():
        for c in template["spec"]["containers"]:
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    secret = get("Secret", ref["name"])
                    if secret:
                        keys = {**secret.get("data", {}), **secret.get("stringData", {})}
                        check(ref["key"] in keys,
                              f"{owner}: Secret {ref['name']} has no key {ref['key']}")

    coordinator = get("Deployment", "k6r-coordinator")
    agents = get("Deployment", "k6r-agent")
    service = get("Service", "k6r-coordinator")
    job = get("Job", "k6r-run")
    if not (coordinator and agents and service and job):
        return
    co = coordinator["spec"]["template"]["spec"]["containers"][0]
    ag = agents["spec"]["template"]["spec"]["containers"][0]
    cli = job["spec"]["template"]["spec"]["containers"][0]

    # One coordinator; --agents agents.
    check(coordinator["spec"]["replicas"] == 1, "the coordinator must have 1 replica")
    check(coordinator["spec"].get("strategy", {}).get("type") == "Recreate",
          "the coordinator's update strategy must be Recreate (never two at once)")
    wanted = flag(co["command"], "--agents")
    check(wanted is not None and int(wanted) == agents["spec"]["replicas"],
          f"the coordinator's --agents {wanted} is not the agents' replicas "
          f"{agents['spec']['replicas']}")

    # The port: --listen, the container port, the Service and the URLs agree.
    listen = flag(co["command"], "--listen") or ""
    check(listen.startswith("0.0.0.0:"), f"the coordinator listens on {listen!r}, "
          "not on every address (0.0.0.0:PORT)")
    port = int(listen.rsplit(":", 1)[-1]) if ":" in listen else None
    named = {p.get("name"): p["containerPort"] for p in co.get("ports", [])}
    check(port in named.values(), f"no container port {port} for --listen {listen}")
    svc_ports = service["spec"]["ports"]
    check(len(svc_ports) == 1, "the coordinator's Service has one port (REST and gRPC share it)")
    sp = svc_ports[0]
    target = sp.get("targetPort", sp["port"])
    target = named.get(target) if isinstance(target, str) else target
    check(sp["port"] == port and target == port,
          f"the Service maps {sp['port']} to {sp.get('targetPort')}, not to the coordinator's {port}")
    selector = service["spec"]["selector"]
    for owner, template in pods.items():
        labels = template["metadata"].get("labels", {})
        selected = all(labels.get(k) == v for k, v in selector.items())
        check(selected == (owner == "Deployment/k6r-coordinator"),
              f"the coordinator's Service {'selects' if selected else 'misses'} {owner}'s pods")
    check(service["spec"].get("publishNotReadyAddresses") is True,
          "the coordinator's Service must publish the pod before /readyz passes "
          "(publishNotReadyAddresses), or the agents can never connect")
    url = f"http://{service['metadata']['name']}:{sp['port']}"
    coordinator_env = env(ag, "K6R_COORDINATOR") or {}
    check(coordinator_env.get("value") == url,
          f"the agents' K6R_COORDINATOR is {coordinator_env.get('value')}, want {url}")
    check(flag(cli["command"], "--coordinator") == url,
          f"the Job's --coordinator is {flag(cli['command'], '--coordinator')}, want {url}")

    # The probes: HTTP GETs of the open health paths on that port.
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get_ = co.get(probe, {}).get("httpGet", {})
        probe_port = named.get(get_.get("port"), get_.get("port"))
        check(get_.get("path") == path and probe_port == port,
              f"the coordinator's {probe} gets {get_.get('path')} on {get_.get('port')}, "
              f"want {path} on {port}")

    # The token, from one Secret, in all three.
    refs = set()
    for owner, c in (("coordinator", co), ("agents", ag), ("Job", cli)):
        ref = (env(c, "K6R_TOKEN") or {}).get("valueFrom", {}).get("secretKeyRef")
        check(ref is not None, f"{owner}: K6R_TOKEN is not read from a Secret")
        if ref:
            refs.add((ref["name"], ref["key"]))
    check(len(refs) == 1, f"K6R_TOKEN comes from different Secrets: {sorted(refs)}")

    # The agents: named after their pod, sized from the measured cost per VU.
    name_ref = (env(ag, "K6R_AGENT_NAME") or {}).get("valueFrom", {}).get("fieldRef", {})
    check(name_ref.get("fieldPath") == "metadata.name",
          "the agents' K6R_AGENT_NAME must come from the pod's name (fieldRef metadata.name)")
    max_vus = int((env(ag, "K6R_MAX_VUS") or {}).get("value", 0))
    resources = ag.get("resources", {})
    limit = quantity(resources.get("limits", {}).get("memory", "0"))
    per_vu, share = agent_rule()
    check(0 < max_vus <= limit * share // 100 // per_vu,
          f"K6R_MAX_VUS {max_vus} is over the agent's own limit for {limit >> 20} MiB "
          f"({share} % at {per_vu >> 10} KiB per VU: {limit * share // 100 // per_vu})")
    measured = measured_bytes_per_vu()
    need = AGENT_BASE_BYTES + max_vus * measured
    check(need <= limit, f"{max_vus} VUs at {measured / 1024:.1f} KiB plus "
          f"{AGENT_BASE_BYTES >> 20} MiB need {need / 2**20:.0f} MiB, over the {limit >> 20} MiB limit")
    check(resources.get("requests") == resources.get("limits"),
          "the agents' requests must equal their limits (the budget is reserved whole)")

    # The Job: run once, its exit code the run's; its script is mounted.
    check(job["spec"].get("backoffLimit") == 0, "the Job's backoffLimit must be 0")
    pod = job["spec"]["template"]["spec"]
    check(pod.get("restartPolicy") == "Never", "the Job's restartPolicy must be Never")
    script = cli["command"][-1]
    mount = next((m for m in cli.get("volumeMounts", [])
                  if script.startswith(m["mountPath"].rstrip("/") + "/")), None)
    if check(mount is not None, f"the Job's script {script} is under no volume mount"):
        volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
        cm_name = volume.get("configMap", {}).get("name")
        cm = get("ConfigMap", cm_name)
        key = script[len(mount["mountPath"].rstrip("/")) + 1:]
        if cm and check(key in cm.get("data", {}), f"ConfigMap {cm_name} has no key {key}"):
            example = os.path.join(ROOT, "examples", key)
            if os.path.exists(example):
                check(cm["data"][key] == open(example).read(),
                      f"ConfigMap {cm_name}'s {key} differs from examples/{key}")
    for before, value in zip(cli["command"], cli["command"][1:]):
        if before != "-e":
            continue
        if value.startswith("K6R_TARGET=http://"):
            host, _, target_port = value.split("//", 1)[1].partition(":")
            svc = objects.get(("Service", host))
            if svc:  # a Service of this cluster: it must have that port
                check(int(target_port or 80) in [p["port"] for p in svc["spec"]["ports"]],
                      f"the Job's {value}: Service {host} has no such port")


def check_kustomization(manifests):
    with open(os.path.join(HERE, "kustomization.yaml")) as f:
        kustomization = yaml.safe_load(f)
    listed = kustomization.get("resources", [])
    for name in listed:
        check(name in manifests, f"kustomization.yaml lists {name}, which is not here")
    for name in manifests:
        check((name in listed) != (name in STANDALONE),
              f"kustomization.yaml should {'not ' if name in STANDALONE else ''}list {name}")
    check(kustomization.get("namespace") == "k6r", "kustomization.yaml's namespace is not k6r")
    kubectl = shutil.which("kubectl")
    if not kubectl:
        print("validate.py: no kubectl here, kustomization.yaml not rendered", file=sys.stderr)
        return
    out = subprocess.run([kubectl, "kustomize", HERE], capture_output=True, text=True)
    if check(out.returncode == 0, f"kubectl kustomize failed: {out.stderr.strip()}"):
        rendered = [d for d in yaml.safe_load_all(out.stdout) if d]
        expected = sum(len(manifests[name]) for name in listed if name in manifests)
        check(len(rendered) == expected,
              f"kubectl kustomize renders {len(rendered)} objects, want {expected}")


def main():
    manifests = load()
    validate_schemas(manifests)
    check_cluster(manifests)
    check_kustomization(manifests)
    for failure in failures:
        print(f"FAIL {failure}")
    versions = " and ".join(KUBERNETES)
    print(f"deploy/k8s: {len(manifests)} manifests, strict schemas of Kubernetes {versions} "
          f"(kubernetes-validate {kubernetes_validate.__version__})")
    print(f"k8s: {passes} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
