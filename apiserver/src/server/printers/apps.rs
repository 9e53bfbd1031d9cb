//! Workloads: deployments, replicasets (group `apps`) and jobs (group `batch`).
//!
//! Upstream: `printDeployment`, `printReplicaSet` and `printJob` in
//! `pkg/printers/internalversion/printers.go`. The default columns answer "is it done yet?"
//! (READY 2/3, COMPLETIONS 1/1); `-o wide` adds what the pods run and how they are selected.

use super::duration::human_duration;
use super::{int_at, list_at, str_at, Column, Printer, AGE, CONTAINERS, IMAGES, NAME, SELECTOR};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

pub const DEPLOYMENTS: Printer = Printer::new(
    &[
        NAME,
        Column::new("Ready", "string", "Number of the pod with ready state"),
        Column::new("Up-to-date", "string", "Total number of non-terminating pods targeted by this deployment that have the desired template spec."),
        Column::new("Available", "string", "Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment."),
        AGE,
        CONTAINERS,
        IMAGES,
        SELECTOR,
    ],
    deployment_row,
);

pub const REPLICASETS: Printer = Printer::new(
    &[
        NAME,
        Column::new("Desired", "integer", "Replicas is the number of desired pods."),
        Column::new("Current", "integer", "Replicas is the most recently observed number of non-terminating pods."),
        Column::new("Ready", "integer", "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition."),
        AGE,
        CONTAINERS,
        IMAGES,
        SELECTOR,
    ],
    replicaset_row,
);

pub const JOBS: Printer = Printer::new(
    &[
        NAME,
        Column::new("Status", "string", "Status of the job."),
        Column::new(
            "Completions",
            "string",
            "The number of pods which reached phase Succeeded.",
        ),
        Column::new("Duration", "string", "Time required to complete the job."),
        AGE,
        CONTAINERS,
        IMAGES,
        SELECTOR,
    ],
    job_row,
);

/// `spec.replicas` (defaulting stores 1 when a client leaves it out; 0 if it is still missing,
/// as upstream's `ptr.Deref(replicas, 0)`).
fn desired_replicas(obj: &Value) -> i64 {
    obj.pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// NAME READY UP-TO-DATE AVAILABLE AGE CONTAINERS IMAGES SELECTOR.
pub fn deployment_row(obj: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let ready = int_at(obj, "/status/readyReplicas");
    let (containers, images) =
        super::containers_and_images(obj.pointer("/spec/template/spec").unwrap_or(&Value::Null));
    vec![
        json!(super::name(obj)),
        json!(format!("{ready}/{}", desired_replicas(obj))),
        json!(int_at(obj, "/status/updatedReplicas")),
        json!(int_at(obj, "/status/availableReplicas")),
        super::age(obj, now),
        containers,
        images,
        // A deployment prints an empty selector as "", not "<none>", as upstream does.
        json!(super::label_selector(obj.pointer("/spec/selector"))),
    ]
}

/// NAME DESIRED CURRENT READY AGE CONTAINERS IMAGES SELECTOR.
pub fn replicaset_row(obj: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let (containers, images) =
        super::containers_and_images(obj.pointer("/spec/template/spec").unwrap_or(&Value::Null));
    vec![
        json!(super::name(obj)),
        json!(desired_replicas(obj)),
        json!(int_at(obj, "/status/replicas")),
        json!(int_at(obj, "/status/readyReplicas")),
        super::age(obj, now),
        containers,
        images,
        json!(super::format_label_selector(obj.pointer("/spec/selector"))),
    ]
}

/// Whether the job's first condition of `kind` is "True".
fn job_condition(job: &Value, kind: &str) -> bool {
    list_at(job, "/status/conditions")
        .iter()
        .find(|c| str_at(c, "/type") == kind)
        .is_some_and(|c| str_at(c, "/status") == "True")
}

fn parse_time(obj: &Value, pointer: &str) -> Option<DateTime<Utc>> {
    let text = obj.pointer(pointer).and_then(Value::as_str)?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// NAME STATUS COMPLETIONS DURATION AGE CONTAINERS IMAGES SELECTOR.
///
/// COMPLETIONS is `succeeded/completions`; a job without `completions` runs until one pod
/// succeeds (`0/1`), or, with parallel workers, `0/1 of 3`. DURATION runs from the start to
/// the completion time, or to now while the job still runs.
pub fn job_row(job: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let succeeded = int_at(job, "/status/succeeded");
    let completions = match job.pointer("/spec/completions").and_then(Value::as_i64) {
        Some(wanted) => format!("{succeeded}/{wanted}"),
        None => match int_at(job, "/spec/parallelism") {
            p if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let duration = match (
        parse_time(job, "/status/startTime"),
        parse_time(job, "/status/completionTime"),
    ) {
        (None, _) => String::new(),
        (Some(start), None) => human_duration(now - start),
        (Some(start), Some(end)) => human_duration(end - start),
    };
    let deleting = job
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|d| !d.is_null());
    let status = if job_condition(job, "Complete") {
        "Complete"
    } else if job_condition(job, "Failed") {
        "Failed"
    } else if deleting {
        "Terminating"
    } else if job_condition(job, "Suspended") {
        "Suspended"
    } else if job_condition(job, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (containers, images) =
        super::containers_and_images(job.pointer("/spec/template/spec").unwrap_or(&Value::Null));
    vec![
        json!(super::name(job)),
        json!(status),
        json!(completions),
        json!(duration),
        super::age(job, now),
        containers,
        images,
        json!(super::format_label_selector(job.pointer("/spec/selector"))),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::test_now;
    use super::*;

    fn workload(spec: Value, status: Value) -> Value {
        json!({"metadata": {"name": "web", "creationTimestamp": "2025-01-01T00:00:00Z"},
            "spec": spec, "status": status})
    }

    fn template() -> Value {
        json!({"spec": {"containers": [{"name": "web", "image": "nginx"}, {"name": "log", "image": "busybox"}]}})
    }

    #[test]
    fn a_deployment_shows_ready_of_desired_then_up_to_date_and_available() {
        let cases: &[(&str, Value, Value, Value)] = &[
            (
                "a new deployment has nothing ready yet",
                json!({"replicas": 3}),
                json!({}),
                json!(["0/3", 0, 0]),
            ),
            (
                "a rolled-out deployment is all ready",
                json!({"replicas": 2}),
                json!({"readyReplicas": 2, "updatedReplicas": 2, "availableReplicas": 2}),
                json!(["2/2", 2, 2]),
            ),
            (
                "a deployment scaled to zero is 0/0",
                json!({"replicas": 0}),
                json!({}),
                json!(["0/0", 0, 0]),
            ),
        ];
        for (sentence, spec, status, want) in cases {
            let cells = deployment_row(&workload(spec.clone(), status.clone()), test_now());
            assert_eq!(json!(cells[1..4]), *want, "{sentence}");
            assert_eq!(cells[4], "60m", "{sentence}");
        }
    }

    #[test]
    fn the_wide_workload_cells_list_containers_images_and_the_selector() {
        let spec = json!({"replicas": 2, "template": template(), "selector": {"matchLabels": {"app": "web"}}});
        let deploy = deployment_row(&workload(spec.clone(), json!({})), test_now());
        assert_eq!(
            json!(deploy[5..]),
            json!(["web,log", "nginx,busybox", "app=web"])
        );
        let rs = replicaset_row(
            &workload(spec, json!({"replicas": 2, "readyReplicas": 1})),
            test_now(),
        );
        assert_eq!(json!(rs[1..4]), json!([2, 2, 1]));
        assert_eq!(
            json!(rs[5..]),
            json!(["web,log", "nginx,busybox", "app=web"])
        );
        let bare = replicaset_row(&workload(json!({}), json!({})), test_now());
        assert_eq!(json!(bare[5..]), json!(["", "", "<none>"]));
    }

    #[test]
    fn a_jobs_status_completions_and_duration_follow_its_conditions_and_times() {
        let started = json!({"startTime": "2025-01-01T00:50:00Z"});
        let cases: &[(&str, Value, Value, [&str; 3])] = &[
            (
                "a job not yet started runs with no duration",
                json!({}),
                json!({}),
                ["Running", "0/1", ""],
            ),
            (
                "a running job's duration grows until now",
                json!({"completions": 3}),
                started.clone(),
                ["Running", "0/3", "10m"],
            ),
            (
                "parallel workers without completions",
                json!({"parallelism": 3}),
                json!({"succeeded": 1}),
                ["Running", "1/1 of 3", ""],
            ),
            (
                "a complete job stops its clock at the completion time",
                json!({"completions": 1}),
                json!({"succeeded": 1, "startTime": "2025-01-01T00:50:00Z", "completionTime": "2025-01-01T00:50:42Z",
                    "conditions": [{"type": "Complete", "status": "True"}]}),
                ["Complete", "1/1", "42s"],
            ),
            (
                "a failed job is Failed",
                json!({}),
                json!({"conditions": [{"type": "Failed", "status": "True"}]}),
                ["Failed", "0/1", ""],
            ),
            (
                "a suspended job is Suspended",
                json!({}),
                json!({"conditions": [{"type": "Suspended", "status": "True"}]}),
                ["Suspended", "0/1", ""],
            ),
            (
                "a job about to fail is FailureTarget",
                json!({}),
                json!({"conditions": [{"type": "FailureTarget", "status": "True"}]}),
                ["FailureTarget", "0/1", ""],
            ),
            (
                "a condition that is not True does not count",
                json!({}),
                json!({"conditions": [{"type": "Complete", "status": "False"}]}),
                ["Running", "0/1", ""],
            ),
        ];
        for (sentence, spec, status, want) in cases {
            let cells = job_row(&workload(spec.clone(), status.clone()), test_now());
            let got: Vec<&str> = cells[1..4]
                .iter()
                .map(|c| c.as_str().unwrap_or("?"))
                .collect();
            assert_eq!(got, want, "{sentence}");
        }
        let mut deleting = workload(json!({}), json!({}));
        deleting["metadata"]["deletionTimestamp"] = json!("2025-01-01T00:59:00Z");
        assert_eq!(job_row(&deleting, test_now())[1], "Terminating");
    }
}
