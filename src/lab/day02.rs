//! Day 02's checks: objects, kubectl, labels and selectors (labs/day02-objects-kubectl/).
//!
//! What the chapter leaves behind, all in namespace `lab02`:
//!
//! ```text
//! Namespace  lab02      label lab=day02                        kubectl apply -f namespace.yaml
//! ConfigMap  settings   last-applied annotation, color=green   create, then apply an edited file
//!                       size=large, no `mode` key              a JSON merge patch (null deletes)
//! Deployment web        app image busybox:1.37, log-shipper    a strategic merge patch (merge by name)
//!                       replicas 3, annotation patched-by      a JSON patch (RFC 6902)
//! Pods (pods.yaml)      selected=yes on the pods matching      kubectl label -l '...'
//!                       `tier in (frontend,backend),env!=prod`
//!                       one-shot=true on backend pods with     kubectl annotate -l ... --field-selector
//!                       restartPolicy Never
//! ```
//!
//! Which pods should carry the label is computed from the pods' live labels with machinery's
//! label selector, the same code the API server filters `?labelSelector=` with.

use super::{data, fetch, Fetched, Task};
use machinery::client::Client;
use machinery::labels::Selector;
use serde_json::Value;
use std::collections::BTreeSet;

const NS: &str = "lab02";
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// The selector of step 6, as the chapter writes it.
pub const SELECTOR: &str = "tier in (frontend,backend),env!=prod";
const ONE_SHOT: &str = "lab.kubeling.dev/one-shot";
const PATCHED_BY: &str = "lab.kubeling.dev/patched-by";

/// The pods of `labs/day02-objects-kubectl/pods.yaml` and their labels.
const PODS: &[(&str, &[(&str, &str)])] = &[
    ("web-prod", &[("tier", "frontend"), ("env", "prod")]),
    ("web-dev", &[("tier", "frontend"), ("env", "dev")]),
    ("smoke-test", &[("tier", "frontend"), ("env", "test")]),
    ("api-test", &[("tier", "backend"), ("env", "test")]),
    ("cache", &[("tier", "backend")]),
    ("migrate", &[("tier", "backend"), ("env", "prod")]),
    ("debug", &[]),
];

pub async fn check(client: &Client) -> Vec<Task> {
    let namespace = fetch(client, &format!("/api/v1/namespaces/{NS}")).await;
    let settings = fetch(
        client,
        &format!("/api/v1/namespaces/{NS}/configmaps/settings"),
    )
    .await;
    let web = fetch(
        client,
        &format!("/apis/apps/v1/namespaces/{NS}/deployments/web"),
    )
    .await;
    let pods = fetch(client, &format!("/api/v1/namespaces/{NS}/pods")).await;
    let pods: Result<Vec<Value>, String> = match pods {
        Ok(Some(list)) => Ok(list["items"].as_array().cloned().unwrap_or_default()),
        Ok(None) => Ok(Vec::new()),
        Err(e) => Err(e),
    };
    vec![
        namespace_task(&namespace),
        apply_task(&settings),
        merge_patch_task(&settings),
        strategic_patch_task(&web),
        json_patch_task(&web),
        pods_task(&pods),
        label_task(&pods),
        field_selector_task(&pods),
    ]
}

fn present<'a>(fetched: &'a Fetched, missing: &str) -> Result<&'a Value, String> {
    match fetched {
        Ok(Some(object)) => Ok(object),
        Ok(None) => Err(missing.to_string()),
        Err(e) => Err(e.clone()),
    }
}

fn namespace_task(namespace: &Fetched) -> Task {
    let verdict = present(namespace, "kubectl apply -f namespace.yaml (step 1)").and_then(|ns| {
        match machinery::meta::labels(ns).get("lab").map(String::as_str) {
            Some("day02") => Ok(()),
            _ => {
                Err("give it the label lab=day02 in namespace.yaml and apply again (step 1)".into())
            }
        }
    });
    Task::judge("namespace lab02 exists, labelled lab=day02", 1, verdict)
}

fn settings_missing() -> &'static str {
    "kubectl create -f settings.yaml, then kubectl apply -f settings.yaml (step 2)"
}

fn apply_task(settings: &Fetched) -> Task {
    let verdict = present(settings, settings_missing()).and_then(|cm| {
        let annotations = machinery::meta::annotations(cm);
        let applied = annotations
            .get(LAST_APPLIED)
            .ok_or("created but never applied: run kubectl apply -f settings.yaml (step 2)")?;
        let applied: Value = serde_json::from_str(applied).map_err(|_| {
            format!("the {LAST_APPLIED} annotation is not JSON: apply again (step 2)")
        })?;
        match (data(&applied, "color"), data(cm, "color")) {
            (Some("green"), Some("green")) => Ok(()),
            _ => Err("edit settings.yaml to color: green and apply it again (step 2)".into()),
        }
    });
    Task::judge(
        "ConfigMap lab02/settings is managed by kubectl apply, with color green",
        2,
        verdict,
    )
}

fn merge_patch_task(settings: &Fetched) -> Task {
    let verdict = present(settings, settings_missing()).and_then(|cm| {
        if data(cm, "size") != Some("large") {
            return Err("merge-patch data.size to large (step 3)".into());
        }
        if !cm["data"]["mode"].is_null() {
            return Err("remove data.mode: in a merge patch, null deletes a key (step 3)".into());
        }
        Ok(())
    });
    Task::judge(
        "ConfigMap lab02/settings was merge-patched: size large, mode removed",
        2,
        verdict,
    )
}

/// `(name, image)` of each container of a Deployment's pod template.
fn containers(deployment: &Value) -> Vec<(String, String)> {
    deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|c| {
                    let text = |f: &str| c[f].as_str().unwrap_or_default().to_string();
                    (text("name"), text("image"))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn web_missing() -> &'static str {
    "kubectl apply -f web.yaml (step 4)"
}

fn strategic_patch_task(web: &Fetched) -> Task {
    let verdict = present(web, web_missing()).and_then(|deployment| {
        let containers = containers(deployment);
        let image = |name: &str| {
            containers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, i)| i.as_str())
        };
        if image("log-shipper").is_none() {
            return Err("the log-shipper container is gone: a merge patch replaces the whole list; apply web.yaml again and use a strategic merge patch (step 4)".into());
        }
        match image("app") {
            Some("busybox:1.37") => Ok(()),
            _ => Err("patch the app container's image to busybox:1.37 with a strategic merge patch (step 4)".into()),
        }
    });
    Task::judge(
        "Deployment lab02/web: app runs busybox:1.37 and log-shipper is still there",
        2,
        verdict,
    )
}

fn json_patch_task(web: &Fetched) -> Task {
    let verdict = present(web, web_missing()).and_then(|deployment| {
        if deployment["spec"]["replicas"].as_i64() != Some(3) {
            return Err("JSON-patch /spec/replicas to 3 (op replace) (step 5)".into());
        }
        match machinery::meta::annotations(deployment).get(PATCHED_BY).map(String::as_str) {
            Some("json-patch") => Ok(()),
            _ => Err(format!("add the annotation {PATCHED_BY}=json-patch with op add; a / in a key is written ~1 (step 5)")),
        }
    });
    Task::judge(
        "Deployment lab02/web was JSON-patched: 3 replicas, annotated patched-by",
        2,
        verdict,
    )
}

fn pod_named<'a>(pods: &'a [Value], name: &str) -> Option<&'a Value> {
    pods.iter().find(|p| machinery::meta::name(p) == name)
}

fn pods_task(pods: &Result<Vec<Value>, String>) -> Task {
    let verdict = pods.clone().and_then(|pods| {
        for (name, labels) in PODS {
            let Some(pod) = pod_named(&pods, name) else {
                return Err(format!(
                    "pod {name} is missing: kubectl apply -f pods.yaml (step 6)"
                ));
            };
            let have = machinery::meta::labels(pod);
            if labels
                .iter()
                .any(|(k, v)| have.get(*k).map(String::as_str) != Some(*v))
            {
                return Err(format!(
                    "pod {name} lost a label of pods.yaml: apply it again (step 6)"
                ));
            }
        }
        Ok(())
    });
    Task::judge(
        "the seven pods of pods.yaml exist in lab02 with their labels",
        1,
        verdict,
    )
}

/// Names of the pods for which `wanted` holds, and of those carrying `key=value` (a label if
/// `in_labels`, else an annotation). A task passes when both sets are equal and non-empty.
fn compare(
    pods: &[Value],
    wanted: impl Fn(&Value) -> bool,
    key: &str,
    value: &str,
    in_labels: bool,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let names = |keep: &dyn Fn(&Value) -> bool| -> BTreeSet<String> {
        pods.iter()
            .filter(|p| keep(p))
            .map(|p| machinery::meta::name(p).to_string())
            .collect()
    };
    let expected = names(&wanted);
    let carrying = names(&|p: &Value| {
        let map = if in_labels {
            machinery::meta::labels(p)
        } else {
            machinery::meta::annotations(p)
        };
        map.get(key).map(String::as_str) == Some(value)
    });
    (expected, carrying)
}

fn verdict_for(
    expected: BTreeSet<String>,
    carrying: BTreeSet<String>,
    how: &str,
) -> Result<(), String> {
    if expected.is_empty() {
        return Err("no pod matches yet: kubectl apply -f pods.yaml first (step 6)".into());
    }
    let missing: Vec<_> = expected.difference(&carrying).collect();
    let extra: Vec<_> = carrying.difference(&expected).collect();
    match (missing.is_empty(), extra.is_empty()) {
        (true, true) => Ok(()),
        (false, _) => Err(format!("{missing:?} should have it too: {how}")),
        (true, false) => Err(format!(
            "{extra:?} should not have it (remove it with KEY-): {how}"
        )),
    }
}

fn label_task(pods: &Result<Vec<Value>, String>) -> Task {
    let verdict = pods.clone().and_then(|pods| {
        let selector = Selector::parse(SELECTOR).map_err(|e| e.to_string())?;
        let wanted = |p: &Value| selector.matches_map(&machinery::meta::labels(p));
        let (expected, carrying) = compare(&pods, wanted, "selected", "yes", true);
        verdict_for(
            expected,
            carrying,
            &format!("kubectl label pods -n lab02 -l '{SELECTOR}' selected=yes (step 6)"),
        )
    });
    Task::judge(
        "exactly the pods matching `tier in (frontend,backend),env!=prod` are labelled selected=yes",
        2,
        verdict,
    )
}

fn field_selector_task(pods: &Result<Vec<Value>, String>) -> Task {
    let verdict = pods.clone().and_then(|pods| {
        let wanted = |p: &Value| {
            machinery::meta::labels(p).get("tier").map(String::as_str) == Some("backend")
                && p["spec"]["restartPolicy"].as_str() == Some("Never")
        };
        let (expected, carrying) = compare(&pods, wanted, ONE_SHOT, "true", false);
        verdict_for(
            expected,
            carrying,
            &format!("kubectl annotate pods -n lab02 -l tier=backend --field-selector spec.restartPolicy=Never {ONE_SHOT}=true (step 7)"),
        )
    });
    Task::judge(
        "exactly the backend pods with restartPolicy Never are annotated one-shot=true",
        2,
        verdict,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, labels: Value, annotations: Value, restart: &str) -> Value {
        json!({"metadata": {"name": name, "labels": labels, "annotations": annotations},
               "spec": {"restartPolicy": restart}})
    }

    fn chapter_pods(selected: &[&str], one_shot: &[&str]) -> Vec<Value> {
        PODS.iter()
            .map(|(name, labels)| {
                let mut labels: serde_json::Map<String, Value> = labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), json!(v)))
                    .collect();
                if selected.contains(name) {
                    labels.insert("selected".into(), json!("yes"));
                }
                let annotations = if one_shot.contains(name) {
                    json!({ONE_SHOT: "true"})
                } else {
                    json!({})
                };
                let restart = if matches!(*name, "migrate" | "smoke-test") {
                    "Never"
                } else {
                    "Always"
                };
                pod(name, Value::Object(labels), annotations, restart)
            })
            .collect()
    }

    #[test]
    fn the_label_task_wants_exactly_the_selected_pods_including_those_without_env() {
        let right = ["web-dev", "smoke-test", "api-test", "cache"];
        let cases: [(&str, &[&str], bool); 4] = [
            ("exactly the matching pods", &right, true),
            (
                "cache has no env label, so env!=prod selects it too",
                &["web-dev", "smoke-test", "api-test"],
                false,
            ),
            (
                "a prod pod labelled too",
                &["web-dev", "smoke-test", "api-test", "cache", "web-prod"],
                false,
            ),
            ("nothing labelled", &[], false),
        ];
        for (name, selected, pass) in cases {
            let pods = Ok(chapter_pods(selected, &[]));
            assert_eq!(label_task(&pods).hint.is_none(), pass, "{name}");
        }
    }

    #[test]
    fn the_field_selector_task_wants_backend_pods_that_never_restart() {
        assert!(field_selector_task(&Ok(chapter_pods(&[], &["migrate"])))
            .hint
            .is_none());
        assert!(
            field_selector_task(&Ok(chapter_pods(&[], &["migrate", "smoke-test"])))
                .hint
                .is_some()
        );
        assert!(field_selector_task(&Ok(chapter_pods(&[], &[])))
            .hint
            .is_some());
        assert!(
            field_selector_task(&Ok(vec![])).hint.is_some(),
            "no pods is no pass"
        );
    }

    #[test]
    fn the_strategic_patch_task_notices_a_lost_sidecar() {
        let web = |containers: Value| -> Fetched {
            Ok(Some(
                json!({"spec": {"template": {"spec": {"containers": containers}}}}),
            ))
        };
        let both = web(
            json!([{"name": "app", "image": "busybox:1.37"}, {"name": "log-shipper", "image": "busybox:1.36"}]),
        );
        let merged = web(json!([{"name": "app", "image": "busybox:1.37"}]));
        let old = web(
            json!([{"name": "app", "image": "busybox:1.36"}, {"name": "log-shipper", "image": "busybox:1.36"}]),
        );
        assert!(strategic_patch_task(&both).hint.is_none());
        assert!(strategic_patch_task(&merged).hint.is_some());
        assert!(strategic_patch_task(&old).hint.is_some());
    }

    #[test]
    fn the_settings_tasks_want_apply_then_a_merge_patch() {
        let applied = json!({"data": {"color": "green", "mode": "debug"}}).to_string();
        let settings = |data: Value, annotations: Value| -> Fetched {
            Ok(Some(
                json!({"metadata": {"annotations": annotations}, "data": data}),
            ))
        };
        let done = settings(
            json!({"color": "green", "size": "large"}),
            json!({LAST_APPLIED: applied}),
        );
        assert!(apply_task(&done).hint.is_none());
        assert!(merge_patch_task(&done).hint.is_none());
        let created_only = settings(json!({"color": "green", "size": "large"}), json!({}));
        assert!(apply_task(&created_only).hint.is_some());
        let mode_kept = settings(
            json!({"color": "green", "size": "large", "mode": "debug"}),
            json!({}),
        );
        assert!(merge_patch_task(&mode_kept).hint.is_some());
    }
}
