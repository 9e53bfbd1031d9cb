//! Validation over HTTP: for every served kind, objects a real API server refuses get a 422
//! whose causes carry upstream's field path, reason and message, and nothing is stored; and
//! fields that may not change on update are refused with upstream's words.

mod common;

use common::TestServer;
use serde_json::{json, Value};

api_suite!(window = 10_000;
    bad_objects_of_every_kind_are_refused_with_upstreams_causes,
    the_whole_message_reads_like_upstreams,
    a_deployment_keeps_its_selector,
    a_pod_may_change_its_image_but_not_the_rest_of_its_spec,
    a_bound_pod_keeps_its_node,
    a_service_keeps_its_cluster_ip,
    immutable_config_maps_and_secrets_keep_their_data,
    a_job_keeps_its_template_and_a_priority_class_its_value,
);

const NS: &str = "/api/v1/namespaces/default";
const APPS: &str = "/apis/apps/v1/namespaces/default";

/// A cause as the tests write it: (field, reason, message).
type Cause<'a> = (&'a str, &'a str, &'a str);

fn causes_of(status: &Value) -> Vec<(String, String, String)> {
    status["details"]["causes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
            (s("field"), s("reason"), s("message"))
        })
        .collect()
}

/// POST `body` to `collection`: expect a 422 Invalid with exactly these causes, in order, and
/// no object stored under the body's name.
async fn refused(s: &TestServer, collection: &str, body: Value, expected: &[Cause<'_>]) {
    let name = body["metadata"]["name"].as_str().unwrap_or("").to_string();
    let (code, status) = s.api.post(collection, body).await;
    assert_eq!(
        (code, status["reason"].as_str()),
        (422, Some("Invalid")),
        "{name}: {status}"
    );
    let want: Vec<(String, String, String)> = expected
        .iter()
        .map(|(f, r, m)| (f.to_string(), r.to_string(), m.to_string()))
        .collect();
    assert_eq!(causes_of(&status), want, "{name}");
    let (code, _) = s.api.get(&format!("{collection}/{name}")).await;
    assert_eq!(code, 404, "{name} must not have been stored");
}

fn pod(name: &str, containers: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"containers": containers}})
}

fn deployment(name: &str, selector: Value, labels: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"selector": selector, "template": {"metadata": {"labels": labels},
            "spec": {"containers": [{"name": "web", "image": "busybox"}]}}}})
}

const PORT_RANGE: &str = "must be between 1 and 65535, inclusive";

async fn bad_objects_of_every_kind_are_refused_with_upstreams_causes(s: &TestServer) {
    let pods = format!("{NS}/pods");
    refused(
        s,
        &pods,
        pod("no-image", json!([{"name": "web"}])),
        &[(
            "spec.containers[0].image",
            "FieldValueRequired",
            "Required value",
        )],
    )
    .await;
    refused(
        s,
        &pods,
        pod(
            "twins",
            json!([{"name": "web", "image": "a"}, {"name": "web", "image": "b"}]),
        ),
        &[(
            "spec.containers[1].name",
            "FieldValueDuplicate",
            "Duplicate value: \"web\"",
        )],
    )
    .await;
    refused(
        s,
        &pods,
        pod("no-containers", json!([])),
        &[("spec.containers", "FieldValueRequired", "Required value")],
    )
    .await;
    refused(s, &pods, pod("bad-name", json!([{"name": "Web_1", "image": "a"}])),
        &[("spec.containers[0].name", "FieldValueInvalid", "Invalid value: \"Web_1\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")]).await;
    refused(s, &pods, pod("ports", json!([{"name": "web", "image": "a", "ports": [
            {"containerPort": 70000},
            {"containerPort": 80, "protocol": "HTTP"},
            {"containerPort": 81, "name": "Http"},
            {"containerPort": 82, "name": "web"}, {"containerPort": 83, "name": "web"}]}])),
        &[
            ("spec.containers[0].ports[0].containerPort", "FieldValueInvalid", &format!("Invalid value: 70000: {PORT_RANGE}")),
            ("spec.containers[0].ports[1].protocol", "FieldValueNotSupported", "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""),
            ("spec.containers[0].ports[2].name", "FieldValueInvalid", "Invalid value: \"Http\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"),
            ("spec.containers[0].ports[4].name", "FieldValueDuplicate", "Duplicate value: \"web\""),
        ]).await;
    refused(s, &pods, pod("env", json!([{"name": "web", "image": "a", "env": [{"name": "A=B", "value": "1"}]}])),
        &[("spec.containers[0].env[0].name", "FieldValueInvalid", "Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='")]).await;
    refused(
        s,
        &pods,
        pod(
            "greedy",
            json!([{"name": "web", "image": "a",
            "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}]),
        ),
        &[(
            "spec.containers[0].resources.requests",
            "FieldValueInvalid",
            "Invalid value: \"2\": must be less than or equal to cpu limit of 1",
        )],
    )
    .await;
    refused(
        s,
        &pods,
        pod(
            "mount",
            json!([{"name": "web", "image": "a",
            "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]),
        ),
        &[(
            "spec.containers[0].volumeMounts[0].name",
            "FieldValueNotFound",
            "Not found: \"data\"",
        )],
    )
    .await;
    let mut policies = pod("policies", json!([{"name": "web", "image": "a"}]));
    policies["spec"]["restartPolicy"] = json!("Sometimes");
    policies["spec"]["dnsPolicy"] = json!("Google");
    policies["spec"]["terminationGracePeriodSeconds"] = json!(-1);
    refused(s, &pods, policies, &[
        ("spec.terminationGracePeriodSeconds", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"),
        ("spec.restartPolicy", "FieldValueNotSupported", "Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""),
        ("spec.dnsPolicy", "FieldValueNotSupported", "Unsupported value: \"Google\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\""),
    ]).await;
    let mut labelled = pod("labelled", json!([{"name": "web", "image": "a"}]));
    labelled["metadata"]["labels"] = json!({"app": "a b"});
    refused(s, &pods, labelled,
        &[("metadata.labels", "FieldValueInvalid", "Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")]).await;

    let deploys = format!("{APPS}/deployments");
    refused(s, &deploys, deployment("mismatch", json!({"matchLabels": {"app": "web"}}), json!({"app": "x"})),
        &[("spec.template.metadata.labels", "FieldValueInvalid", "Invalid value: map[string]string{\"app\":\"x\"}: `selector` does not match template `labels`")]).await;
    // A Deployment sent without a selector decodes (through k8s-openapi, whose selector field
    // is not optional) as an *empty* selector: upstream, which sees a nil one, answers
    // `spec.selector: Required value` plus the template mismatch instead.
    let mut no_selector = deployment("no-selector", json!(null), json!({"app": "x"}));
    no_selector["spec"]
        .as_object_mut()
        .expect("spec")
        .remove("selector");
    refused(s, &deploys, no_selector, &[(
        "spec.selector",
        "FieldValueInvalid",
        "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
    )]).await;
    let mut numbers = deployment(
        "numbers",
        json!({"matchLabels": {"app": "web"}}),
        json!({"app": "web"}),
    );
    numbers["spec"]["replicas"] = json!(-1);
    numbers["spec"]["revisionHistoryLimit"] = json!(-1);
    numbers["spec"]["strategy"] =
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}});
    refused(
        s,
        &deploys,
        numbers,
        &[
            (
                "spec.replicas",
                "FieldValueInvalid",
                "Invalid value: -1: must be greater than or equal to 0",
            ),
            (
                "spec.strategy.rollingUpdate.maxUnavailable",
                "FieldValueInvalid",
                "Invalid value: 0: may not be 0 when `maxSurge` is 0",
            ),
            (
                "spec.revisionHistoryLimit",
                "FieldValueInvalid",
                "Invalid value: -1: must be greater than or equal to 0",
            ),
        ],
    )
    .await;
    let mut never = deployment(
        "never",
        json!({"matchLabels": {"app": "web"}}),
        json!({"app": "web"}),
    );
    never["spec"]["template"]["spec"]["restartPolicy"] = json!("Never");
    refused(
        s,
        &deploys,
        never,
        &[(
            "spec.template.spec.restartPolicy",
            "FieldValueNotSupported",
            "Unsupported value: \"Never\": supported values: \"Always\"",
        )],
    )
    .await;
    let mut template_port = deployment(
        "tport",
        json!({"matchLabels": {"app": "web"}}),
        json!({"app": "web"}),
    );
    template_port["spec"]["template"]["spec"]["containers"][0]["ports"] =
        json!([{"containerPort": 0}]);
    refused(
        s,
        &deploys,
        template_port,
        &[(
            "spec.template.spec.containers[0].ports[0].containerPort",
            "FieldValueRequired",
            "Required value",
        )],
    )
    .await;

    let mut rs = deployment(
        "rs",
        json!({"matchLabels": {"app": "web"}}),
        json!({"app": "db"}),
    );
    rs["kind"] = json!("ReplicaSet");
    refused(s, &format!("{APPS}/replicasets"), rs,
        &[("spec.template.metadata.labels", "FieldValueInvalid", "Invalid value: map[string]string{\"app\":\"db\"}: `selector` does not match template `labels`")]).await;

    let jobs = "/apis/batch/v1/namespaces/default/jobs";
    let job = |name: &str| {
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}}})
    };
    refused(
        s,
        jobs,
        job("always"),
        &[(
            "spec.template.spec.restartPolicy",
            "FieldValueNotSupported",
            "Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"",
        )],
    )
    .await;
    let mut negative = job("negative");
    negative["spec"]["template"]["spec"]["restartPolicy"] = json!("Never");
    negative["spec"]["backoffLimit"] = json!(-1);
    refused(
        s,
        jobs,
        negative,
        &[(
            "spec.backoffLimit",
            "FieldValueInvalid",
            "Invalid value: -1: must be greater than or equal to 0",
        )],
    )
    .await;

    let svcs = format!("{NS}/services");
    let svc = |name: &str, spec: Value| json!({"metadata": {"name": name}, "spec": spec});
    refused(
        s,
        &svcs,
        svc("no-ports", json!({})),
        &[("spec.ports", "FieldValueRequired", "Required value")],
    )
    .await;
    refused(
        s,
        &svcs,
        svc(
            "two-ports",
            json!({"ports": [{"port": 80}, {"port": 0, "name": "b"}]}),
        ),
        &[
            ("spec.ports[0].name", "FieldValueRequired", "Required value"),
            (
                "spec.ports[1].port",
                "FieldValueInvalid",
                &format!("Invalid value: 0: {PORT_RANGE}"),
            ),
            (
                "spec.ports[1].targetPort",
                "FieldValueInvalid",
                &format!("Invalid value: 0: {PORT_RANGE}"),
            ),
        ],
    )
    .await;
    refused(s, &svcs, svc("typed", json!({"type": "Public", "ports": [{"port": 80}]})),
        &[("spec.type", "FieldValueNotSupported", "Unsupported value: \"Public\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"")]).await;
    refused(
        s,
        &svcs,
        svc("np", json!({"ports": [{"port": 80, "nodePort": 30080}]})),
        &[(
            "spec.ports[0].nodePort",
            "FieldValueForbidden",
            "Forbidden: may not be used when `type` is 'ClusterIP'",
        )],
    )
    .await;
    refused(s, &svcs, svc("1web", json!({"ports": [{"port": 80}]})),
        &[("metadata.name", "FieldValueInvalid", "Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")]).await;

    refused(s, &format!("{NS}/configmaps"), json!({"metadata": {"name": "cm"}, "data": {"a/b": "1"}}),
        &[("data[a/b]", "FieldValueInvalid", "Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")]).await;
    refused(s, &format!("{NS}/secrets"), json!({"metadata": {"name": "tls"}, "type": "kubernetes.io/tls", "data": {"tls.crt": "eA=="}}),
        &[("data[tls.key]", "FieldValueRequired", "Required value")]).await;
    refused(s, &format!("{NS}/endpoints"), json!({"metadata": {"name": "ep"}, "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": 80}]}]}),
        &[("subsets[0].addresses[0].ip", "FieldValueInvalid", "Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)")]).await;
    refused(s, &format!("{NS}/events"), json!({"metadata": {"name": "ev"}, "involvedObject": {"kind": "Pod", "name": "p", "namespace": "other"}}),
        &[("involvedObject.namespace", "FieldValueInvalid", "Invalid value: \"other\": does not match event.namespace")]).await;
    refused(s, "/api/v1/nodes", json!({"metadata": {"name": "n1"}, "spec": {"taints": [{"key": "k", "effect": "Sometimes"}]}}),
        &[("metadata.taints[0].effect", "FieldValueNotSupported", "Unsupported value: \"Sometimes\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"")]).await;
    refused(
        s,
        "/apis/coordination.k8s.io/v1/namespaces/default/leases",
        json!({"metadata": {"name": "l"}, "spec": {"leaseDurationSeconds": 0}}),
        &[(
            "spec.leaseDurationSeconds",
            "FieldValueInvalid",
            "Invalid value: 0: must be greater than 0",
        )],
    )
    .await;
    refused(
        s,
        "/apis/scheduling.k8s.io/v1/priorityclasses",
        json!({"metadata": {"name": "vip"}, "value": 2_000_000_000}),
        &[(
            "value",
            "FieldValueForbidden",
            "Forbidden: maximum allowed value of a user defined priority is 1000000000",
        )],
    )
    .await;
    refused(
        s,
        "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
        json!({"metadata": {"name": "es"}, "addressType": "IPv5"}),
        &[(
            "addressType",
            "FieldValueNotSupported",
            "Unsupported value: \"IPv5\": supported values: \"FQDN\", \"IPv4\", \"IPv6\"",
        )],
    )
    .await;
}

async fn the_whole_message_reads_like_upstreams(s: &TestServer) {
    let (_, status) = s
        .api
        .post(&format!("{NS}/pods"), pod("p", json!([{"name": "web"}])))
        .await;
    assert_eq!(
        status["message"],
        "Pod \"p\" is invalid: spec.containers[0].image: Required value"
    );
    assert_eq!(
        (
            status["details"]["kind"].as_str(),
            status["details"]["name"].as_str()
        ),
        (Some("Pod"), Some("p"))
    );
}

/// PUT `body` to `path`: expect a 422 with exactly these causes, and the stored object
/// untouched (same resourceVersion).
async fn update_refused(s: &TestServer, path: &str, body: Value, expected: &[Cause<'_>]) {
    let (_, before) = s.api.get(path).await;
    let (code, status) = s.api.put(path, body).await;
    assert_eq!(code, 422, "{status}");
    let got = causes_of(&status);
    let want: Vec<(String, String, String)> = expected
        .iter()
        .map(|(f, r, m)| (f.to_string(), r.to_string(), m.to_string()))
        .collect();
    assert_eq!(got, want, "{path}");
    let (_, after) = s.api.get(path).await;
    assert_eq!(
        after["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );
}

async fn a_deployment_keeps_its_selector(s: &TestServer) {
    let deploys = format!("{APPS}/deployments");
    let d = deployment(
        "web",
        json!({"matchLabels": {"app": "x"}}),
        json!({"app": "x"}),
    );
    assert_eq!(s.api.post(&deploys, d).await.0, 201);
    let changed = deployment(
        "web",
        json!({"matchLabels": {"app": "y"}}),
        json!({"app": "y"}),
    );
    update_refused(s, &format!("{deploys}/web"), changed, &[(
        "spec.selector",
        "FieldValueInvalid",
        "Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"y\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable",
    )]).await;
    // Everything else may change: a new image, more replicas.
    let mut scaled = deployment(
        "web",
        json!({"matchLabels": {"app": "x"}}),
        json!({"app": "x"}),
    );
    scaled["spec"]["replicas"] = json!(3);
    assert_eq!(s.api.put(&format!("{deploys}/web"), scaled).await.0, 200);
}

async fn a_pod_may_change_its_image_but_not_the_rest_of_its_spec(s: &TestServer) {
    let pods = format!("{NS}/pods");
    assert_eq!(
        s.api
            .post(
                &pods,
                pod("p", json!([{"name": "web", "image": "busybox:1"}]))
            )
            .await
            .0,
        201
    );
    let (code, updated) = s
        .api
        .put(
            &format!("{pods}/p"),
            pod("p", json!([{"name": "web", "image": "busybox:2"}])),
        )
        .await;
    assert_eq!(
        (code, &updated["spec"]["containers"][0]["image"]),
        (200, &json!("busybox:2"))
    );
    let mut never = pod("p", json!([{"name": "web", "image": "busybox:2"}]));
    never["spec"]["restartPolicy"] = json!("Never");
    let (_, before) = s.api.get(&format!("{pods}/p")).await;
    let (code, status) = s.api.put(&format!("{pods}/p"), never).await;
    assert_eq!(code, 422);
    let causes = causes_of(&status);
    assert_eq!(causes.len(), 1);
    assert_eq!(
        (causes[0].0.as_str(), causes[0].1.as_str()),
        ("spec", "FieldValueForbidden")
    );
    assert!(causes[0].2.starts_with("Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"), "{}", causes[0].2);
    let (_, after) = s.api.get(&format!("{pods}/p")).await;
    assert_eq!(after, before, "a refused update changes nothing");
    update_refused(
        s,
        &format!("{pods}/p"),
        pod(
            "p",
            json!([{"name": "web", "image": "a"}, {"name": "b", "image": "b"}]),
        ),
        &[(
            "spec.containers",
            "FieldValueForbidden",
            "Forbidden: pod updates may not add or remove containers",
        )],
    )
    .await;
}

async fn a_bound_pod_keeps_its_node(s: &TestServer) {
    let pods = format!("{NS}/pods");
    assert_eq!(
        s.api
            .post(
                &pods,
                pod("b", json!([{"name": "web", "image": "busybox"}]))
            )
            .await
            .0,
        201
    );
    let binding = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "b"}, "target": {"kind": "Node", "name": "n1"}});
    let (code, body) = s.api.post(&format!("{pods}/b/binding"), binding).await;
    assert_eq!(code, 201, "a binding sets the node once: {body}");
    let (code, status) = s
        .api
        .merge_patch(&format!("{pods}/b"), json!({"spec": {"nodeName": "n2"}}))
        .await;
    assert_eq!(code, 422, "{status}");
    assert_eq!(causes_of(&status)[0].0, "spec");
}

async fn a_service_keeps_its_cluster_ip(s: &TestServer) {
    let svcs = format!("{NS}/services");
    let (code, created) = s
        .api
        .post(
            &svcs,
            json!({"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}}),
        )
        .await;
    assert_eq!(code, 201);
    let ip = created["spec"]["clusterIP"]
        .as_str()
        .expect("an ip")
        .to_string();
    // Changing `clusterIPs` alone reaches the Service's validate_update, with upstream's words.
    let (code, status) = s
        .api
        .merge_patch(
            &format!("{svcs}/s"),
            json!({"spec": {"clusterIPs": ["10.96.7.7"]}}),
        )
        .await;
    assert_eq!(code, 422, "{status}");
    assert_eq!(
        causes_of(&status),
        [(
            "spec.clusterIPs[0]".to_string(),
            "FieldValueInvalid".to_string(),
            "Invalid value: []string{\"10.96.7.7\"}: may not change once set".to_string()
        )]
    );
    // Changing `clusterIP` is refused by registry/services.rs before validation runs.
    let (code, status) = s
        .api
        .merge_patch(
            &format!("{svcs}/s"),
            json!({"spec": {"clusterIP": "10.96.7.7"}}),
        )
        .await;
    assert_eq!(code, 422, "{status}");
    assert!(status["message"]
        .as_str()
        .unwrap_or("")
        .contains("may not change once set"));
    assert_eq!(
        s.api.get(&format!("{svcs}/s")).await.1["spec"]["clusterIP"],
        json!(ip)
    );
}

async fn immutable_config_maps_and_secrets_keep_their_data(s: &TestServer) {
    let cms = format!("{NS}/configmaps");
    let cm = json!({"metadata": {"name": "frozen"}, "immutable": true, "data": {"a": "1"}});
    assert_eq!(s.api.post(&cms, cm).await.0, 201);
    update_refused(
        s,
        &format!("{cms}/frozen"),
        json!({"metadata": {"name": "frozen"}, "immutable": true, "data": {"a": "2"}}),
        &[(
            "data",
            "FieldValueForbidden",
            "Forbidden: field is immutable when `immutable` is set",
        )],
    )
    .await;
    update_refused(
        s,
        &format!("{cms}/frozen"),
        json!({"metadata": {"name": "frozen"}, "data": {"a": "1"}}),
        &[(
            "immutable",
            "FieldValueForbidden",
            "Forbidden: field is immutable when `immutable` is set",
        )],
    )
    .await;
    // Labels are metadata, not data: they may still change.
    let (code, _) = s
        .api
        .merge_patch(
            &format!("{cms}/frozen"),
            json!({"metadata": {"labels": {"a": "b"}}}),
        )
        .await;
    assert_eq!(code, 200);

    let secrets = format!("{NS}/secrets");
    assert_eq!(
        s.api
            .post(
                &secrets,
                json!({"metadata": {"name": "s"}, "data": {"a": "eA=="}})
            )
            .await
            .0,
        201
    );
    update_refused(
        s,
        &format!("{secrets}/s"),
        json!({"metadata": {"name": "s"}, "type": "example.com/other", "data": {"a": "eA=="}}),
        &[(
            "type",
            "FieldValueInvalid",
            "Invalid value: \"example.com/other\": field is immutable",
        )],
    )
    .await;
}

async fn a_job_keeps_its_template_and_a_priority_class_its_value(s: &TestServer) {
    let jobs = "/apis/batch/v1/namespaces/default/jobs";
    let job = |image: &str| {
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": image}]}}}})
    };
    assert_eq!(s.api.post(jobs, job("a")).await.0, 201);
    let (code, status) = s.api.put(&format!("{jobs}/j"), job("b")).await;
    assert_eq!(code, 422);
    let causes = causes_of(&status);
    assert_eq!(causes.len(), 1, "{causes:?}");
    assert_eq!(causes[0].0, "spec.template");
    assert!(causes[0].2.ends_with(": field is immutable"));

    let pcs = "/apis/scheduling.k8s.io/v1/priorityclasses";
    assert_eq!(
        s.api
            .post(pcs, json!({"metadata": {"name": "high"}, "value": 1000}))
            .await
            .0,
        201
    );
    update_refused(
        s,
        &format!("{pcs}/high"),
        json!({"metadata": {"name": "high"}, "value": 2000}),
        &[(
            "value",
            "FieldValueForbidden",
            "Forbidden: may not be changed in an update.",
        )],
    )
    .await;
}
