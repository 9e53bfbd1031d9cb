//! Defaulting: the fields a server fills in when the client leaves them out.
//!
//! `kubectl get pod web -o yaml` shows `restartPolicy: Always`, `dnsPolicy: ClusterFirst`,
//! `imagePullPolicy: IfNotPresent` ... that nobody wrote: the API server defaults every object
//! it decodes, on create and on every update. Upstream does it in generated code from
//! `pkg/apis/core/v1/defaults.go`, `pkg/apis/apps/v1/defaults.go` and
//! `pkg/apis/batch/v1/defaults.go`; these functions are the part of it for the kinds we serve.
//! Defaults fill only what is missing: a value the client gave always wins.

use serde_json::{json, Value};

/// Set `obj[key] = value` unless the key is already there (and not null).
fn default_field(obj: &mut Value, key: &str, value: Value) {
    if let Some(map) = obj.as_object_mut() {
        if map.get(key).is_none_or(Value::is_null) {
            map.insert(key.to_string(), value);
        }
    }
}

/// The object at `path` (dotted), created as `{}` along the way.
fn object_at<'a>(obj: &'a mut Value, path: &str) -> &'a mut Value {
    let mut cur = obj;
    for part in path.split('.') {
        if !cur.is_object() {
            *cur = json!({});
        }
        cur = cur
            .as_object_mut()
            .expect("made an object above")
            .entry(part.to_string())
            .or_insert_with(|| json!({}));
    }
    cur
}

/// `IfNotPresent` for a pinned tag or digest, `Always` for `:latest` or no tag
/// (upstream `SetDefaults_Container`).
pub fn image_pull_policy(image: &str) -> &'static str {
    if image.contains('@') {
        return "IfNotPresent";
    }
    // The tag is after the last ':' that comes after the last '/' (a registry may have a port).
    let name = image.rsplit('/').next().unwrap_or(image);
    match name.rsplit_once(':') {
        Some((_, tag)) if tag != "latest" => "IfNotPresent",
        _ => "Always",
    }
}

/// Defaults of a PodSpec (a Pod's `spec`, or a template's `spec`).
pub fn pod_spec(spec: &mut Value) {
    default_field(spec, "restartPolicy", json!("Always"));
    default_field(spec, "dnsPolicy", json!("ClusterFirst"));
    default_field(spec, "terminationGracePeriodSeconds", json!(30));
    default_field(spec, "schedulerName", json!("default-scheduler"));
    default_field(spec, "securityContext", json!({}));
    default_field(spec, "enableServiceLinks", json!(true));
    for list in ["containers", "initContainers"] {
        if let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) {
            containers.iter_mut().for_each(container);
        }
    }
}

fn container(c: &mut Value) {
    let image = c
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    default_field(c, "imagePullPolicy", json!(image_pull_policy(&image)));
    default_field(c, "terminationMessagePath", json!("/dev/termination-log"));
    default_field(c, "terminationMessagePolicy", json!("File"));
    default_field(c, "resources", json!({}));
    if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
        for port in ports {
            default_field(port, "protocol", json!("TCP"));
        }
    }
    // `fieldRef.apiVersion` says which version's field names `fieldPath` uses
    // (`SetDefaults_ObjectFieldSelector`).
    if let Some(env) = c.get_mut("env").and_then(Value::as_array_mut) {
        for var in env {
            if let Some(field_ref) = var.pointer_mut("/valueFrom/fieldRef") {
                default_field(field_ref, "apiVersion", json!("v1"));
            }
        }
    }
}

/// A Pod.
pub fn pod(obj: &mut Value) {
    pod_spec(object_at(obj, "spec"));
}

/// A Deployment: one replica, rolling updates of 25%/25%, ten old ReplicaSets kept, ten
/// minutes to make progress (`SetDefaults_Deployment`).
pub fn deployment(obj: &mut Value) {
    let spec = object_at(obj, "spec");
    default_field(spec, "replicas", json!(1));
    default_field(spec, "revisionHistoryLimit", json!(10));
    default_field(spec, "progressDeadlineSeconds", json!(600));
    default_field(spec, "strategy", json!({"type": "RollingUpdate"}));
    let strategy = object_at(spec, "strategy");
    default_field(strategy, "type", json!("RollingUpdate"));
    if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
        let rolling = object_at(strategy, "rollingUpdate");
        default_field(rolling, "maxUnavailable", json!("25%"));
        default_field(rolling, "maxSurge", json!("25%"));
    }
    pod_spec(object_at(obj, "spec.template.spec"));
}

/// A ReplicaSet: one replica.
pub fn replica_set(obj: &mut Value) {
    default_field(object_at(obj, "spec"), "replicas", json!(1));
    pod_spec(object_at(obj, "spec.template.spec"));
}

/// A Job: one pod to completion, six retries (`SetDefaults_Job`). Its template is defaulted
/// like any PodSpec, so a template without a `restartPolicy` gets `Always`, exactly as upstream
/// does, and the Job's validation then refuses it: a Job's pods must be allowed to finish
/// (`Unsupported value: "Always": supported values: "OnFailure", "Never"`).
pub fn job(obj: &mut Value) {
    let spec = object_at(obj, "spec");
    default_field(spec, "parallelism", json!(1));
    default_field(spec, "completions", json!(1));
    default_field(spec, "backoffLimit", json!(6));
    default_field(spec, "completionMode", json!("NonIndexed"));
    default_field(spec, "suspend", json!(false));
    pod_spec(object_at(obj, "spec.template.spec"));
}

/// A Service: `ClusterIP`, no session affinity, TCP ports whose targetPort defaults to the
/// port (`SetDefaults_Service`).
pub fn service(obj: &mut Value) {
    let spec = object_at(obj, "spec");
    default_field(spec, "type", json!("ClusterIP"));
    default_field(spec, "sessionAffinity", json!("None"));
    default_field(spec, "internalTrafficPolicy", json!("Cluster"));
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for port in ports {
            default_field(port, "protocol", json!("TCP"));
            if let Some(p) = port.get("port").cloned() {
                default_field(port, "targetPort", p);
            }
        }
    }
}

/// Endpoints: ports are TCP unless said otherwise (`SetDefaults_EndpointPort`).
pub fn endpoints(obj: &mut Value) {
    if let Some(subsets) = obj.get_mut("subsets").and_then(Value::as_array_mut) {
        for subset in subsets {
            if let Some(ports) = subset.get_mut("ports").and_then(Value::as_array_mut) {
                for port in ports {
                    default_field(port, "protocol", json!("TCP"));
                }
            }
        }
    }
}

/// An EndpointSlice: ports are unnamed and TCP unless said otherwise
/// (discovery/v1 `SetDefaults_EndpointPort`).
pub fn endpoint_slice(obj: &mut Value) {
    if let Some(ports) = obj.get_mut("ports").and_then(Value::as_array_mut) {
        for port in ports {
            default_field(port, "name", json!(""));
            default_field(port, "protocol", json!("TCP"));
        }
    }
}

/// A Secret: `Opaque`.
pub fn secret(obj: &mut Value) {
    default_field(obj, "type", json!("Opaque"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pull_policy_follows_the_tag() {
        for (image, policy) in [
            ("busybox", "Always"),
            ("busybox:latest", "Always"),
            ("busybox:1.36", "IfNotPresent"),
            ("localhost:5000/busybox", "Always"),
            ("localhost:5000/busybox:1", "IfNotPresent"),
            ("busybox@sha256:abc", "IfNotPresent"),
        ] {
            assert_eq!(image_pull_policy(image), policy, "{image}");
        }
    }

    #[test]
    fn a_bare_pod_gets_upstreams_defaults_and_keeps_what_it_said() {
        let mut p = json!({"spec": {"restartPolicy": "Never", "containers": [
            {"name": "a", "image": "busybox:1", "ports": [{"containerPort": 80}]}]}});
        pod(&mut p);
        let s = &p["spec"];
        assert_eq!(s["restartPolicy"], "Never", "the client's value wins");
        assert_eq!(
            (
                s["dnsPolicy"].clone(),
                s["terminationGracePeriodSeconds"].clone()
            ),
            (json!("ClusterFirst"), json!(30))
        );
        assert_eq!(s["containers"][0]["imagePullPolicy"], "IfNotPresent");
        assert_eq!(s["containers"][0]["ports"][0]["protocol"], "TCP");
        assert_eq!(s["containers"][0]["terminationMessagePolicy"], "File");
    }

    #[test]
    fn a_deployment_gets_rolling_update_25_percent_and_a_defaulted_template() {
        let mut d =
            json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x"}]}}}});
        deployment(&mut d);
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(
            d["spec"]["strategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
        );
        assert_eq!(
            (
                d["spec"]["revisionHistoryLimit"].clone(),
                d["spec"]["progressDeadlineSeconds"].clone()
            ),
            (json!(10), json!(600))
        );
        assert_eq!(d["spec"]["template"]["spec"]["restartPolicy"], "Always");
    }

    #[test]
    fn a_recreate_deployment_gets_no_rolling_update_block() {
        let mut d = json!({"spec": {"strategy": {"type": "Recreate"}, "template": {"spec": {"containers": []}}}});
        deployment(&mut d);
        assert_eq!(d["spec"]["strategy"], json!({"type": "Recreate"}));
    }

    #[test]
    fn service_ports_default_to_tcp_and_target_their_own_port() {
        let mut s = json!({"spec": {"ports": [{"port": 80}, {"port": 53, "protocol": "UDP", "targetPort": 5353}]}});
        service(&mut s);
        assert_eq!(s["spec"]["type"], "ClusterIP");
        assert_eq!(
            s["spec"]["ports"][0],
            json!({"port": 80, "protocol": "TCP", "targetPort": 80})
        );
        assert_eq!(
            s["spec"]["ports"][1],
            json!({"port": 53, "protocol": "UDP", "targetPort": 5353})
        );
    }

    #[test]
    fn a_job_gets_one_completion_and_six_retries_and_a_template_defaulted_like_any_other() {
        let mut j =
            json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x"}]}}}});
        job(&mut j);
        assert_eq!(
            (
                j["spec"]["completions"].clone(),
                j["spec"]["backoffLimit"].clone()
            ),
            (json!(1), json!(6))
        );
        assert_eq!(j["spec"]["template"]["spec"]["restartPolicy"], "Always");
    }
}
