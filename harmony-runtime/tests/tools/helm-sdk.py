#!/usr/bin/env python3
"""A `helm`-compatible command for the subset Harmony uses, on Helm 4's own engine.

It runs the real Helm template engine through the PyPI package `helm-python-sdk` (Helm 4 built as
a shared library), offline: no cluster, no network, no `helm` binary. `helm.sh` (beside this file) installs
the package in a venv under ~/.cache/harmony-dsl and prints this script's path; when this script
runs under a Python without the package, it re-runs itself with that venv's Python.

Commands:
  template [NAME] CHART [-n|--namespace NS] [-f|--values FILE|-]... [--set K=V]...
           [--set-string K=V]... [--include-crds] [--skip-tests] [--skip-schema-validation]
      Renders CHART (a directory or a packaged .tgz) like `helm template`: one `---` document per
      object, each after a `# Source: <template>` comment, in Helm's install order (by kind).
  version [--short]
  create PATH                 scaffolds Helm's starter chart at PATH (named after its last part)
  package CHART [-d DIR]      packages the chart directory into DIR/<name>-<version>.tgz

Errors are printed as `Error: <Helm's message>` on stderr, with exit status 1.
"""

import os
import shutil
import sys
import tempfile

VENV = os.path.join(os.path.expanduser("~"), ".cache", "harmony-dsl", "helm-venv")
VENV_PYTHON = os.path.join(VENV, "bin", "python")

try:
    import helm_python as helm
except ImportError:
    if os.path.exists(VENV_PYTHON) and os.path.realpath(sys.prefix) != os.path.realpath(VENV):
        os.execv(VENV_PYTHON, [VENV_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])
    sys.stderr.write(
        "Error: the Python package helm-python-sdk is not installed; run harmony-runtime/tests/tools/helm.sh\n"
    )
    sys.exit(1)

# Helm's install order by kind (kinds it does not list come after, by kind name).
INSTALL_ORDER = [
    "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
    "PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
    "ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
    "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
    "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
    "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
    "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
    "APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
]


class UsageError(Exception):
    pass


def fail(message):
    sys.stderr.write("Error: %s\n" % str(message).rstrip())
    sys.exit(1)


def merge(base, override):
    """Helm's merge of values: nested maps merge, anything else is replaced."""
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def take_value(args, i, flag):
    if i + 1 >= len(args):
        raise UsageError("flag %s needs a value" % flag)
    return args[i + 1]


def parse_template_args(args):
    opts = {
        "positional": [],
        "namespace": None,
        "values": [],
        "include_crds": False,
        "skip_tests": False,
        "skip_schema": False,
    }
    i = 0
    while i < len(args):
        arg = args[i]
        flag, eq, inline = arg.partition("=")
        if arg.startswith("--") and eq and flag in ("--namespace", "--values", "--set", "--set-string"):
            arg, value, step = flag, inline, 1
        elif arg in ("-n", "--namespace", "-f", "--values", "--set", "--set-string"):
            value, step = take_value(args, i, arg), 2
        else:
            value, step = None, 1
        if arg in ("-n", "--namespace"):
            opts["namespace"] = value
        elif arg in ("-f", "--values"):
            opts["values"].append(("file", value))
        elif arg == "--set":
            opts["values"].append(("set", value))
        elif arg == "--set-string":
            opts["values"].append(("set-string", value))
        elif arg == "--include-crds":
            opts["include_crds"] = True
        elif arg == "--skip-tests":
            opts["skip_tests"] = True
        elif arg == "--skip-schema-validation":
            opts["skip_schema"] = True
        elif arg.startswith("-") and arg != "-":
            raise UsageError("unknown flag: %s" % arg)
        else:
            opts["positional"].append(arg)
        i += step
    if len(opts["positional"]) == 1:
        opts["positional"].insert(0, "release-name")
    if len(opts["positional"]) != 2:
        raise UsageError("template takes [NAME] CHART")
    return opts


def collect_values(sources):
    values = {}
    for kind, source in sources:
        if kind == "file":
            if source == "-":
                text = sys.stdin.read()
            else:
                try:
                    with open(source, encoding="utf-8") as f:
                        text = f.read()
                except OSError as e:
                    fail("open %s: %s" % (source, e.strerror))
            merge(values, helm.values_from_yaml(text) or {})
        elif kind == "set":
            merge(values, helm.parse_set_string(source))
        else:
            merge(values, helm.parse_set_string_values(source))
    return values


def load_chart(path, skip_schema, scratch):
    """The chart at `path`; with `skip_schema`, a copy without its values schemas (the SDK's
    render always checks them)."""
    if not os.path.exists(path):
        fail("path %r not found" % path)
    if not skip_schema:
        return helm.Chart.load(path)
    if os.path.isdir(path):
        copy = os.path.join(scratch, os.path.basename(os.path.normpath(path)))
        shutil.copytree(path, copy)
    else:
        helm.expand(scratch, path)
        copy = os.path.join(scratch, os.listdir(scratch)[0])
    for root, _dirs, files in os.walk(copy):
        if "values.schema.json" in files:
            os.remove(os.path.join(root, "values.schema.json"))
    return helm.Chart.load(copy)


def documents(source, text):
    """The non-empty YAML documents of one rendered template, as (source, text, parsed)."""
    out = []
    current = []
    for line in text.splitlines() + ["---"]:
        if line.rstrip() == "---" or line.startswith("--- "):
            doc = "\n".join(current).strip("\n")
            current = []
            meaningful = [l for l in doc.splitlines() if l.strip() and not l.lstrip().startswith("#")]
            if meaningful:
                try:
                    parsed = helm.values_from_yaml(doc)
                except helm.HelmError:
                    parsed = {}
                out.append((source, doc, parsed if isinstance(parsed, dict) else {}))
        else:
            current.append(line)
    return out


def is_test_hook(parsed):
    annotations = (parsed.get("metadata") or {}).get("annotations") or {}
    hooks = str(annotations.get("helm.sh/hook", ""))
    return any(h.strip().startswith("test") for h in hooks.split(","))


def kind_rank(parsed):
    kind = str(parsed.get("kind", ""))
    if kind in INSTALL_ORDER:
        return (INSTALL_ORDER.index(kind), "")
    return (len(INSTALL_ORDER), kind)


def template(args):
    opts = parse_template_args(args)
    name, chart_path = opts["positional"]
    values = collect_values(opts["values"])
    with tempfile.TemporaryDirectory(prefix="helm-sdk-") as scratch:
        try:
            chart = load_chart(chart_path, opts["skip_schema"], scratch)
            rendered = chart.render(
                values, name=name, namespace=opts["namespace"] or "default", is_install=True
            )
            crds = chart.crds if opts["include_crds"] else []
        except helm.HelmError as e:
            fail(e)
    docs = []
    for crd in crds:
        source = "%s/%s" % (chart.name, crd.get("filename") or crd.get("name"))
        docs.extend(documents(source, crd.get("data", "")))
    objects = []
    for source in sorted(rendered):
        base = os.path.basename(source)
        if base == "NOTES.txt" or base.startswith("_"):
            continue
        for doc in documents(source, rendered[source]):
            if opts["skip_tests"] and is_test_hook(doc[2]):
                continue
            objects.append(doc)
    objects.sort(key=lambda d: kind_rank(d[2]))
    out = []
    for source, text, _parsed in docs + objects:
        out.append("---\n# Source: %s\n%s\n" % (source, text))
    sys.stdout.write("".join(out))


def version(args):
    sdk = helm.helm_sdk_version()
    if "--short" in args:
        print(sdk)
    else:
        print('version.BuildInfo{Version:"%s", SDK:"helm-python-sdk %s"}' % (sdk, helm.__version__))


def create(args):
    if len(args) != 1:
        raise UsageError("create takes PATH")
    path = os.path.normpath(args[0])
    parent = os.path.dirname(path) or "."
    os.makedirs(parent, exist_ok=True)
    try:
        helm.Chart.create(os.path.basename(path), parent).close()
    except helm.HelmError as e:
        fail(e)
    print("Creating %s" % path)


def package(args):
    destination = None
    rest = []
    i = 0
    while i < len(args):
        if args[i] in ("-d", "--destination"):
            destination = take_value(args, i, args[i])
            i += 2
        else:
            rest.append(args[i])
            i += 1
    if len(rest) != 1:
        raise UsageError("package takes CHART [-d DIR]")
    try:
        archive = helm.package(rest[0], destination=destination or ".")
    except helm.HelmError as e:
        fail(e)
    print("Successfully packaged chart and saved it to: %s" % archive)


COMMANDS = {"template": template, "version": version, "create": create, "package": package}


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        sys.stderr.write(__doc__)
        return 2
    try:
        COMMANDS[argv[0]](argv[1:])
    except UsageError as e:
        fail(e)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
