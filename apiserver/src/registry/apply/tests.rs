//! The field manager's rules, without a server: updates record ownership, applies merge,
//! prune and conflict. (Over HTTP, on both stores: `apiserver/tests/api_apply.rs`.)

use super::*;
use crate::resources;
use serde_json::json;

fn deployments() -> &'static Resource {
    resources::find("apps", "v1", "deployments").expect("served")
}

fn configmaps() -> &'static Resource {
    resources::find("", "v1", "configmaps").expect("served")
}

fn fm(res: &'static Resource, manager: &str) -> FieldManager {
    FieldManager::new(res, manager, Endpoint::Main)
}

fn deployment(replicas: i64, image: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": image}]}}}})
}

/// The entry of `manager` in `obj`'s managedFields.
fn entry<'a>(obj: &'a Value, manager: &str) -> Option<&'a Value> {
    obj["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager)
}

#[test]
fn a_creator_owns_what_it_set_with_new_maps_and_items_marked_as_owned_themselves() {
    let mut obj = deployment(2, "nginx");
    fm(deployments(), "kubectl-create").update(None, &mut obj);
    let e = entry(&obj, "kubectl-create").expect("an entry");
    assert_eq!(e["operation"], "Update");
    assert_eq!(e["apiVersion"], "apps/v1");
    assert_eq!(e["fieldsType"], "FieldsV1");
    assert!(e["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(
        e["fieldsV1"],
        json!({"f:spec": {"f:replicas": {}, "f:selector": {}, "f:template": {
            "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}})
    );
}

#[test]
fn an_update_takes_what_it_changes_and_a_removed_field_leaves_every_owner() {
    let d = deployments();
    let mut live = deployment(2, "nginx");
    fm(d, "kubectl-create").update(None, &mut live);
    let mut new = live.clone();
    new["spec"]["replicas"] = json!(5);
    new["spec"]["template"]["spec"]["containers"][0]
        .as_object_mut()
        .map(|c| c.remove("image"));
    fm(d, "kubectl-edit").update(Some(&live), &mut new);
    assert_eq!(
        entry(&new, "kubectl-edit").expect("editor")["fieldsV1"],
        json!({"f:spec": {"f:replicas": {}}})
    );
    let creator = &entry(&new, "kubectl-create").expect("creator")["fieldsV1"];
    assert!(creator["f:spec"].get("f:replicas").is_none());
    assert!(
        creator["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"]
            .get("f:image")
            .is_none()
    );
}

#[test]
fn untracked_objects_stay_untracked_and_an_empty_entry_clears_managed_fields() {
    let d = deployments();
    let live = deployment(1, "nginx");
    let mut new = deployment(3, "nginx");
    fm(d, "kubectl").update(Some(&live), &mut new);
    assert!(new["metadata"].get("managedFields").is_none());

    let mut tracked = deployment(1, "nginx");
    fm(d, "kubectl-create").update(None, &mut tracked);
    let mut reset = tracked.clone();
    reset["metadata"]["managedFields"] = json!([{}]);
    fm(d, "kubectl").update(Some(&tracked), &mut reset);
    assert!(reset["metadata"].get("managedFields").is_none());
    // A client that sends none keeps the live object's.
    let mut plain = deployment(1, "nginx");
    fm(d, "kubectl").update(Some(&tracked), &mut plain);
    assert_eq!(
        plain["metadata"]["managedFields"],
        tracked["metadata"]["managedFields"]
    );
}

#[test]
fn apply_creates_owning_only_what_it_sent() {
    let obj = fm(deployments(), "kubectl")
        .apply(None, &deployment(2, "nginx"), false)
        .expect("applied");
    let e = entry(&obj, "kubectl").expect("applier");
    assert_eq!(e["operation"], "Apply");
    assert!(e["fieldsV1"]["f:spec"].get("f:replicas").is_some());
    assert!(
        e["fieldsV1"].get("f:metadata").is_none(),
        "name is never owned"
    );
}

#[test]
fn applying_a_value_another_manager_owns_conflicts_unless_forced_or_equal() {
    let d = deployments();
    let live = fm(d, "kubectl")
        .apply(None, &deployment(2, "nginx"), false)
        .unwrap();
    let mut scaled = live.clone();
    scaled["spec"]["replicas"] = json!(5);
    FieldManager::new(d, "kubectl-scale", Endpoint::Scale).update(Some(&live), &mut scaled);

    let err = fm(d, "kubectl")
        .apply(Some(&scaled), &deployment(3, "nginx"), false)
        .unwrap_err();
    assert_eq!(err.code, 409);
    assert_eq!(
        err.message,
        "Apply failed with 1 conflict: conflict with \"kubectl-scale\" with subresource \"scale\" using apps/v1: .spec.replicas"
    );

    // The same value: no conflict, the field is shared.
    let shared = fm(d, "kubectl")
        .apply(Some(&scaled), &deployment(5, "nginx"), false)
        .unwrap();
    for manager in ["kubectl", "kubectl-scale"] {
        let fields = &entry(&shared, manager).expect(manager)["fieldsV1"];
        assert!(fields["f:spec"].get("f:replicas").is_some(), "{manager}");
    }

    // Forced: the applier takes the field, and the scaler, owning nothing else, is gone.
    let forced = fm(d, "kubectl")
        .apply(Some(&scaled), &deployment(3, "nginx"), true)
        .unwrap();
    assert_eq!(forced["spec"]["replicas"], 3);
    assert!(entry(&forced, "kubectl-scale").is_none());
}

#[test]
fn a_field_the_applier_stops_sending_is_removed_unless_someone_else_owns_it() {
    let cms = configmaps();
    let first = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
        "data": {"a": "1", "b": "2"}});
    let live = fm(cms, "ops").apply(None, &first, false).unwrap();
    let second = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
        "data": {"a": "1"}});
    let pruned = fm(cms, "ops").apply(Some(&live), &second, false).unwrap();
    assert_eq!(pruned["data"], json!({"a": "1"}));

    // A second applier that also sets b keeps it alive.
    let other = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
        "data": {"b": "2"}});
    let both = fm(cms, "other").apply(Some(&live), &other, false).unwrap();
    let kept = fm(cms, "ops").apply(Some(&both), &second, false).unwrap();
    assert_eq!(kept["data"], json!({"a": "1", "b": "2"}));
}

#[test]
fn reapplying_the_same_configuration_changes_nothing_not_even_the_time() {
    let d = deployments();
    let mut live = fm(d, "kubectl")
        .apply(None, &deployment(2, "nginx"), false)
        .unwrap();
    // Pretend the first apply happened long ago.
    live["metadata"]["managedFields"][0]["time"] = json!("2020-01-01T00:00:00Z");
    let again = fm(d, "kubectl")
        .apply(Some(&live), &deployment(2, "nginx"), false)
        .unwrap();
    assert_eq!(again, live);
}

#[test]
fn the_main_endpoint_never_owns_status() {
    let d = deployments();
    let mut config = deployment(1, "nginx");
    config["status"] = json!({"replicas": 9});
    let obj = fm(d, "kubectl").apply(None, &config, false).unwrap();
    assert!(entry(&obj, "kubectl").unwrap()["fieldsV1"]
        .get("f:status")
        .is_none());
}

#[test]
fn kubectl_takes_over_unchanged_client_side_applied_fields_without_conflict() {
    let d = deployments();
    // Created by client-side apply: the last-applied annotation holds replicas 2.
    let mut live = deployment(2, "nginx");
    let last = deployment(2, "nginx").to_string();
    live["metadata"]["annotations"] = json!({LAST_APPLIED: last});
    fm(d, "kubectl-client-side-apply").update(None, &mut live);

    let taken = fm(d, "kubectl")
        .apply(Some(&live), &deployment(3, "nginx"), false)
        .unwrap();
    assert_eq!(taken["spec"]["replicas"], 3);
    // ... and keeps the annotation current.
    let note = taken["metadata"]["annotations"][LAST_APPLIED]
        .as_str()
        .unwrap();
    assert!(note.contains("\"replicas\":3"), "{note}");

    // Another manager gets no such pass.
    let err = fm(d, "ops")
        .apply(Some(&live), &deployment(3, "nginx"), false)
        .unwrap_err();
    assert_eq!(
        err.message,
        "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"
    );
}

#[test]
fn configurations_that_do_not_fit_the_kind_are_bad_requests() {
    let d = deployments();
    let mut typo = deployment(1, "nginx");
    typo["spec"]["replicaz"] = json!(1);
    let err = fm(d, "kubectl").apply(None, &typo, false).unwrap_err();
    assert_eq!(err.code, 400);
    assert_eq!(
        err.message,
        "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.replicaz: field not declared in schema"
    );
    let mut wrong = deployment(1, "nginx");
    wrong["apiVersion"] = json!("apps/v2");
    assert_eq!(
        fm(d, "kubectl")
            .apply(None, &wrong, false)
            .unwrap_err()
            .message,
        "invalid object type: apps/v2, Kind=Deployment"
    );
    let mut owned = deployment(1, "nginx");
    owned["metadata"]["managedFields"] = json!([]);
    assert_eq!(
        fm(d, "kubectl")
            .apply(None, &owned, false)
            .unwrap_err()
            .message,
        "metadata.managedFields must be nil"
    );
    let mut nameless = deployment(1, "nginx");
    nameless["spec"]["template"]["spec"]["containers"] = json!([{"image": "x"}]);
    assert!(fm(d, "kubectl")
        .apply(None, &nameless, false)
        .unwrap_err()
        .message
        .ends_with("element 0: associative list with keys has an element that omits key field \"name\" (and doesn't have default value)"));
}
