//! EXERCISE 1 and 2's rules, one table row each. Run `cargo test`.

use lab02::selector::{labels, parse_requirement, Operator, Requirement, Selector};

fn req(key: &str, operator: Operator, values: &[&str]) -> Requirement {
    Requirement {
        key: key.into(),
        operator,
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

#[test]
fn parse_requirement_reads_all_six_forms() {
    use Operator::*;
    let cases = [
        (
            "equality names a key and one value",
            "app=web",
            req("app", Equals, &["web"]),
        ),
        (
            "a double equals means the same",
            "app==web",
            req("app", Equals, &["web"]),
        ),
        ("inequality", "env!=prod", req("env", NotEquals, &["prod"])),
        (
            "an empty value is allowed",
            "app=",
            req("app", Equals, &[""]),
        ),
        (
            "spaces around the operator do not matter",
            "app = web",
            req("app", Equals, &["web"]),
        ),
        (
            "a set",
            "tier in (frontend,backend)",
            req("tier", In, &["frontend", "backend"]),
        ),
        (
            "spaces inside a set do not matter",
            "tier in ( a , b )",
            req("tier", In, &["a", "b"]),
        ),
        (
            "a set of one",
            "env notin (prod)",
            req("env", NotIn, &["prod"]),
        ),
        (
            "a bare key means the key exists",
            "canary",
            req("canary", Exists, &[]),
        ),
        (
            "a bang means the key does not exist",
            "!canary",
            req("canary", DoesNotExist, &[]),
        ),
        (
            "keys may have a prefix with dots and a slash",
            "app.kubernetes.io/name=web",
            req("app.kubernetes.io/name", Equals, &["web"]),
        ),
        (
            "a key that happens to contain `in` is still a key",
            "indigo in (x)",
            req("indigo", In, &["x"]),
        ),
    ];
    for (name, text, expected) in cases {
        assert_eq!(parse_requirement(text), Ok(expected), "{name}: {text:?}");
    }
}

#[test]
fn parse_requirement_rejects_what_is_not_a_requirement() {
    let cases = [
        ("a key with a space", "a b=c"),
        ("no key before the operator", "=web"),
        ("a value with a space", "app=we b"),
        ("a set operator without parentheses", "tier in frontend"),
        ("an empty set", "tier in ()"),
        ("an empty value in a set", "tier in (a,,b)"),
        ("an unknown set operator", "tier within (a)"),
        ("a bang alone", "!"),
    ];
    for (name, text) in cases {
        assert!(
            parse_requirement(text).is_err(),
            "{name}: {text:?} must be rejected"
        );
    }
}

#[test]
fn requirements_match_labels_as_upstream_does() {
    let web_prod = labels(&[("app", "web"), ("env", "prod")]);
    let web_dev = labels(&[("app", "web"), ("env", "dev")]);
    let no_env = labels(&[("app", "web")]);
    let cases = [
        ("equals matches the same value", "env=prod", &web_prod, true),
        (
            "equals does not match another value",
            "env=prod",
            &web_dev,
            false,
        ),
        ("equals needs the key", "env=prod", &no_env, false),
        (
            "not-equals matches another value",
            "env!=prod",
            &web_dev,
            true,
        ),
        (
            "not-equals does not match the value",
            "env!=prod",
            &web_prod,
            false,
        ),
        (
            "not-equals matches a missing key",
            "env!=prod",
            &no_env,
            true,
        ),
        (
            "in matches any value of the set",
            "env in (dev,test)",
            &web_dev,
            true,
        ),
        (
            "in does not match outside the set",
            "env in (dev,test)",
            &web_prod,
            false,
        ),
        ("in needs the key", "env in (dev,test)", &no_env, false),
        (
            "notin matches outside the set",
            "env notin (prod)",
            &web_dev,
            true,
        ),
        (
            "notin does not match inside the set",
            "env notin (prod)",
            &web_prod,
            false,
        ),
        (
            "notin matches a missing key",
            "env notin (prod)",
            &no_env,
            true,
        ),
        ("exists matches any value", "env", &web_dev, true),
        ("exists needs the key", "env", &no_env, false),
        (
            "does-not-exist matches a missing key",
            "!env",
            &no_env,
            true,
        ),
        (
            "does-not-exist does not match a present key",
            "!env",
            &web_prod,
            false,
        ),
    ];
    for (name, text, labels, expected) in cases {
        let requirement = parse_requirement(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            requirement.matches(labels),
            expected,
            "{name}: {text:?} on {labels:?}"
        );
    }
}

#[test]
fn a_selector_needs_every_requirement_and_the_empty_one_matches_everything() {
    let selector = Selector::parse("app=web, env notin (prod), !canary").expect("parses");
    assert_eq!(selector.requirements.len(), 3);
    assert!(selector.matches(&labels(&[("app", "web"), ("env", "dev")])));
    assert!(!selector.matches(&labels(&[("app", "web"), ("canary", "")])));
    assert!(!selector.matches(&labels(&[("app", "api")])));
    let everything = Selector::parse("").expect("parses");
    assert!(
        everything.matches(&labels(&[])),
        "the empty selector matches everything"
    );
    assert!(
        Selector::parse("app=web,").is_err(),
        "a trailing comma is an empty requirement"
    );
    assert!(
        Selector::parse("tier in (a,b").is_err(),
        "an unclosed parenthesis"
    );
}

#[test]
fn the_chapters_selector_picks_the_pods_the_checker_expects() {
    // The pods of labs/day02-objects-kubectl/pods.yaml and their labels.
    let pods = [
        ("web-prod", labels(&[("tier", "frontend"), ("env", "prod")])),
        ("web-dev", labels(&[("tier", "frontend"), ("env", "dev")])),
        (
            "smoke-test",
            labels(&[("tier", "frontend"), ("env", "test")]),
        ),
        ("api-test", labels(&[("tier", "backend"), ("env", "test")])),
        ("cache", labels(&[("tier", "backend")])),
        ("migrate", labels(&[("tier", "backend"), ("env", "prod")])),
        ("debug", labels(&[])),
    ];
    let selector = Selector::parse("tier in (frontend,backend),env!=prod").expect("parses");
    let picked: Vec<&str> = pods
        .iter()
        .filter(|(_, l)| selector.matches(l))
        .map(|(name, _)| *name)
        .collect();
    assert_eq!(picked, ["web-dev", "smoke-test", "api-test", "cache"]);
}
