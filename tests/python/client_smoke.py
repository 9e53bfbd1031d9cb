"""The official Kubernetes Python client against kubeling: CRUD, list, watch, errors and
the DynamicClient's discovery. Run by tests/python_client.rs with a kubeconfig path."""
import sys

from kubernetes import client, config, watch
from kubernetes.dynamic import DynamicClient

config.load_kube_config(sys.argv[1])
v1 = client.CoreV1Api()
apps = client.AppsV1Api()

# create, get, list with a selector
cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py", labels={"app": "py"}), data={"a": "1"})
created = v1.create_namespaced_config_map("default", cm)
assert created.metadata.uid and created.metadata.resource_version, created
assert v1.read_namespaced_config_map("py", "default").data == {"a": "1"}
listed = v1.list_namespaced_config_map("default", label_selector="app=py")
assert [i.metadata.name for i in listed.items] == ["py"], listed.items

# patch (the client sends a merge or strategic patch for a dict body)
v1.patch_namespaced_config_map("py", "default", {"data": {"a": "2"}})
assert v1.read_namespaced_config_map("py", "default").data["a"] == "2"

# watch from the list's resourceVersion: sees the patch and a later create, in order
v1.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py2")))
seen = [(e["type"], e["object"].metadata.name)
        for e in watch.Watch().stream(v1.list_namespaced_config_map, "default",
                                      resource_version=listed.metadata.resource_version, timeout_seconds=2)]
assert seen == [("MODIFIED", "py"), ("ADDED", "py2")], seen

# a deployment through apps/v1, with server-side defaults
dep = client.V1Deployment(
    metadata=client.V1ObjectMeta(name="web"),
    spec=client.V1DeploymentSpec(
        selector=client.V1LabelSelector(match_labels={"app": "web"}),
        template=client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels={"app": "web"}),
            spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="busybox")]))))
made = apps.create_namespaced_deployment("default", dep)
assert made.spec.replicas == 1 and made.spec.strategy.type == "RollingUpdate", made.spec

# delete, and a typed 404 afterwards
v1.delete_namespaced_config_map("py", "default")
try:
    v1.read_namespaced_config_map("py", "default")
    raise AssertionError("expected a 404")
except client.exceptions.ApiException as e:
    assert e.status == 404 and e.reason == "Not Found", (e.status, e.reason)

# the DynamicClient discovers resources from the legacy discovery documents
dyn = DynamicClient(client.ApiClient())
pods = dyn.resources.get(api_version="v1", kind="Pod")
assert pods.namespaced and pods.name == "pods"
deployments = dyn.resources.get(api_version="apps/v1", kind="Deployment")
assert [d.metadata.name for d in deployments.get(namespace="default").items] == ["web"]

print("python client OK")
