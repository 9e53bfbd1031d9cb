//! Jobs: pods that run to completion.
//!
//! A Job's pods must be allowed to *finish*, so their restart policy is `OnFailure` or `Never`
//! (`Always` would restart a finished pod forever). Counts are never negative. Once a Job
//! exists, the pods it makes and the way it finds them are fixed: its selector, its template,
//! its completions and completion mode cannot change.
//!
//! Upstream: `ValidateJob`, `validateJobSpec`, `ValidateJobSpecUpdate` and
//! `validatePodTemplateUpdate` in `pkg/apis/batch/validation/validation.go`.
//!
//! Where we differ: upstream's Job strategy *generates* a selector (on the Job's uid) unless
//! `spec.manualSelector` is true, so a Job without one never reaches validation. kubeling does
//! not generate it yet (see `strategy/workloads.rs`), so a missing selector is only required
//! when `manualSelector` is true.

use super::apps::non_negative;
use super::pod;
use super::selector::{
    go_label_selector, selector_does_not_match, validate_label_selector, Selects,
};
use machinery::validation_causes::{self as cause, BadValue};
use machinery::StatusCause;
use serde_json::Value;

/// `spec` of a Job.
pub fn validate_job(obj: &Value) -> Vec<StatusCause> {
    let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
    let mut causes = Vec::new();
    for field in [
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
    ] {
        causes.extend(non_negative(
            &spec,
            &format!("/{field}"),
            &format!("spec.{field}"),
        ));
    }
    if let Some(mode) = spec.get("completionMode").and_then(Value::as_str) {
        match mode {
            "NonIndexed" => {}
            "Indexed" if !super::has(&spec, "/completions") => causes.push(cause::required(
                "spec.completions",
                "when completion mode is Indexed",
            )),
            "Indexed" => {}
            other => causes.push(cause::not_supported(
                "spec.completionMode",
                other,
                &["NonIndexed", "Indexed"],
            )),
        }
    }
    let template = spec.get("template").cloned().unwrap_or(Value::Null);
    causes.extend(pod::validate_pod_template(&template, "spec.template"));
    let restart = super::str_at(&template, "/spec/restartPolicy");
    if restart != "OnFailure" && restart != "Never" {
        causes.push(cause::not_supported(
            "spec.template.spec.restartPolicy",
            restart,
            &["OnFailure", "Never"],
        ));
    }
    let manual = spec.get("manualSelector").and_then(Value::as_bool) == Some(true);
    match spec.get("selector").filter(|s| !s.is_null()) {
        None if manual => causes.push(cause::required("spec.selector", "")),
        None => {}
        Some(sel) => {
            causes.extend(validate_label_selector(sel, "spec.selector"));
            let labels = super::string_map_at(&template, "/metadata/labels");
            if let sel @ Selects::Selector(_) = Selects::at(&spec, "/selector") {
                if sel.mismatches(&labels.clone().unwrap_or_default()) {
                    causes.push(selector_does_not_match("spec.template", labels.as_ref()));
                }
            }
        }
    }
    causes
}

/// What a Job update may not change.
pub fn validate_job_update(new: &Value, old: &Value) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let immutable = |field: &str, shown: fn(&Value) -> BadValue| -> Option<StatusCause> {
        let pointer = format!("/spec/{field}");
        let (n, o) = (new.pointer(&pointer), old.pointer(&pointer));
        (n != o).then(|| {
            let value = n.filter(|v| !v.is_null()).map_or(BadValue::Null, shown);
            cause::invalid(&format!("spec.{field}"), value, "field is immutable")
        })
    };
    let int = |v: &Value| BadValue::Int(v.as_i64().unwrap_or(0));
    let string = |v: &Value| BadValue::Str(v.as_str().unwrap_or("").to_string());
    // Completions may change only for Indexed Jobs (elastic indexed jobs); NonIndexed ones
    // keep theirs.
    if super::str_at(new, "/spec/completionMode") != "Indexed" {
        causes.extend(immutable("completions", int));
    }
    causes.extend(immutable("selector", |v| {
        BadValue::Go(go_label_selector(v))
    }));
    causes.extend(immutable("template", |v| {
        BadValue::Go(format!("core.PodTemplateSpec{v}"))
    }));
    causes.extend(immutable("completionMode", string));
    causes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::strategy::defaults;
    use serde_json::json;

    fn job(template_spec: Value) -> Value {
        let mut j = json!({"kind": "Job", "spec": {"template": {"spec": template_spec}}});
        defaults::job(&mut j);
        j
    }

    #[test]
    fn a_job_that_restarts_never_is_valid() {
        let j = job(json!({"restartPolicy": "Never", "containers": [{"name": "a", "image": "x"}]}));
        assert_eq!(validate_job(&j), vec![]);
    }

    #[test]
    fn a_job_must_not_restart_always() {
        let j = job(json!({"containers": [{"name": "a", "image": "x"}]}));
        assert_eq!(
            validate_job(&j),
            vec![cause::not_supported(
                "spec.template.spec.restartPolicy",
                "Always",
                &["OnFailure", "Never"]
            )]
        );
    }

    #[test]
    fn counts_are_never_negative() {
        let mut j =
            job(json!({"restartPolicy": "Never", "containers": [{"name": "a", "image": "x"}]}));
        j["spec"]["backoffLimit"] = json!(-1);
        j["spec"]["parallelism"] = json!(-2);
        let fields: Vec<String> = validate_job(&j).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, ["spec.parallelism", "spec.backoffLimit"]);
    }

    #[test]
    fn template_and_completions_are_immutable() {
        let old =
            job(json!({"restartPolicy": "Never", "containers": [{"name": "a", "image": "x"}]}));
        let mut new = old.clone();
        new["spec"]["completions"] = json!(3);
        new["spec"]["template"]["spec"]["containers"][0]["image"] = json!("y");
        let causes = validate_job_update(&new, &old);
        assert_eq!(
            causes[0],
            cause::invalid("spec.completions", 3, "field is immutable")
        );
        assert_eq!(causes[1].field, "spec.template");
        assert!(causes[1].message.ends_with(": field is immutable"));
    }
}
