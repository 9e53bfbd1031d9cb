//! The string formats Kubernetes checks everywhere — DNS names, port names, environment
//! variable names, ConfigMap keys — each returning upstream's reasons, word for word.
//!
//! Upstream: `k8s.io/apimachinery/pkg/util/validation/validation.go` (`IsDNS1123Label`,
//! `IsDNS1123Subdomain`, `IsDNS1035Label`, `IsValidPortName`, `IsConfigMapKey`, ...). Like
//! upstream, each function returns a *list* of reasons (empty means valid), because one value
//! can be wrong in two ways at once: too long *and* badly formed.
//!
//! Upstream uses regular expressions; we spell each pattern out as a small function instead,
//! but quote the regex in the message exactly as upstream does, so students can compare.

/// `must be no more than N characters` (upstream `MaxLenError`).
pub fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

/// `must be between LO and HI, inclusive` (upstream `InclusiveRangeError`).
pub fn inclusive_range_error(lo: i64, hi: i64) -> String {
    format!("must be between {lo} and {hi}, inclusive")
}

/// Upstream's `RegexError`: the message, then examples and the regex in parentheses.
/// Note the examples are joined with `", "` *and* `" or "`, which gives the odd double space
/// (`'my-name',  or '123-abc'`) that every Kubernetes user has seen.
pub fn regex_error(msg: &str, regex: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{regex}')");
    }
    let mut out = format!("{msg} (e.g. ");
    for (i, example) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{example}', "));
    }
    out.push_str(&format!("regex used for validation is '{regex}')"));
    out
}

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, ignoring length.
fn matches_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Dot-separated DNS-1123 labels, ignoring length.
fn matches_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(matches_dns1123_label)
}

/// Whether `s` is a DNS-1123 label: 1-63 of `[a-z0-9-]`, alphanumeric at both ends.
pub fn is_dns1123_label(s: &str) -> bool {
    dns1123_label_errors(s).is_empty()
}

/// Whether `s` is a DNS-1123 subdomain: at most 253 characters of dot-separated labels.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    dns1123_subdomain_errors(s).is_empty()
}

/// Why `s` is not a DNS-1123 label (container names, port names of Services, namespaces).
pub fn dns1123_label_errors(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !matches_dns1123_label(s) {
        if matches_dns1123_subdomain(s) {
            // A valid subdomain that is not a label: the length is checked above, so the only
            // problem left is the dots.
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

/// Why `s` is not a DNS-1123 subdomain (the names of most objects).
pub fn dns1123_subdomain_errors(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push(max_len_error(253));
    }
    if !matches_dns1123_subdomain(s) {
        errs.push(regex_error(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// Why `s` is not a DNS-1035 label: like a DNS-1123 label, but it must start with a letter.
/// Service names are DNS-1035 labels, because they become DNS names that some resolvers would
/// otherwise read as IP addresses.
pub fn dns1035_label_errors(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !(matches_dns1123_label(s) && s.starts_with(|c: char| c.is_ascii_lowercase())) {
        errs.push(regex_error(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
            DNS1035_LABEL_FMT,
            &["my-name", "abc-123"],
        ));
    }
    errs
}

/// Why `port` is not a valid port number: 1 to 65535 (upstream `IsValidPortNum`).
pub fn port_num_errors(port: i64) -> Vec<String> {
    if (1..=65535).contains(&port) {
        Vec::new()
    } else {
        vec![inclusive_range_error(1, 65535)]
    }
}

/// Why `name` is not a port name (an IANA_SVC_NAME): at most 15 of `[-a-z0-9]`, at least one
/// letter, no `--`, no hyphen at either end. Upstream `IsValidPortName`.
pub fn port_name_errors(name: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if name.len() > 15 {
        errs.push(max_len_error(15));
    }
    if name.is_empty()
        || !name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into());
    }
    if !name.bytes().any(|c| c.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".into());
    }
    if name.contains("--") {
        errs.push("must not contain consecutive hyphens".into());
    }
    if name.starts_with('-') || name.ends_with('-') {
        errs.push("must not begin or end with a hyphen".into());
    }
    errs
}

/// Why `name` is not an environment variable name. Kubernetes 1.32 checks the *relaxed* rule
/// (the `RelaxedEnvironmentVariableValidation` feature, on by default since 1.32): any
/// printable ASCII character except `=`. Upstream `IsRelaxedEnvVarName`.
pub fn env_var_name_errors(name: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if name.is_empty() {
        errs.push("environment variable name must be non-empty".to_string());
    }
    if name.chars().any(|c| !(' '..='~').contains(&c) || c == '=') {
        errs.push(
            "a valid environment variable name must consist only of printable ASCII characters other than '='"
                .to_string(),
        );
    }
    errs
}

/// Why `key` is not a ConfigMap or Secret key: at most 253 of `[-._a-zA-Z0-9]`, and not `.`,
/// `..` or anything starting with `..` (the key becomes a file name in a volume).
/// Upstream `IsConfigMapKey`.
pub fn config_map_key_errors(key: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if key.len() > 253 {
        errs.push(max_len_error(253));
    }
    if key.is_empty()
        || !key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-._".contains(&c))
    {
        errs.push(regex_error(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
            "[-._a-zA-Z0-9]+",
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    if key == "." {
        errs.push("must not be '.'".into());
    } else if key == ".." {
        errs.push("must not be '..'".into());
    } else if key.starts_with("..") {
        errs.push("must not start with '..'".into());
    }
    errs
}

/// Why `pct` is not a percentage such as `25%` (upstream `IsValidPercent`).
pub fn percent_errors(pct: &str) -> Vec<String> {
    let digits = pct.strip_suffix('%').unwrap_or("");
    if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) {
        Vec::new()
    } else {
        vec![regex_error(
            "a valid percent string must be a numeric string followed by an ending '%'",
            "[0-9]+%",
            &["1%", "93%"],
        )]
    }
}

/// Why `ip` is not an IP address, in upstream's words (`IsValidIP`).
pub fn ip_errors(ip: &str) -> Vec<String> {
    if ip.parse::<std::net::IpAddr>().is_ok() {
        Vec::new()
    } else {
        vec!["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)".to_string()]
    }
}

/// Addresses an endpoint may not have, whatever its format (upstream `ValidateEndpointIP`,
/// a fix for CVE-2020-8554: a Service must not be pointed at the node itself).
pub fn endpoint_ip_errors(ip: &str) -> Vec<String> {
    let Ok(addr) = ip.parse::<std::net::IpAddr>() else {
        return vec!["must be a valid IP address".to_string()];
    };
    let mut errs = Vec::new();
    if addr.is_unspecified() {
        errs.push(format!("may not be unspecified ({ip})"));
    }
    if addr.is_loopback() {
        errs.push("may not be in the loopback range (127.0.0.0/8, ::1/128)".to_string());
    }
    let (link_local, link_local_multicast) = match addr {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            (v4.is_link_local(), o[0] == 224 && o[1] == 0 && o[2] == 0)
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            ((s[0] & 0xffc0) == 0xfe80, (s[0] & 0xff0f) == 0xff02)
        }
    };
    if link_local {
        errs.push("may not be in the link-local range (169.254.0.0/16, fe80::/10)".to_string());
    }
    if link_local_multicast {
        errs.push(
            "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)".to_string(),
        );
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains_allow_dots_but_labels_say_so() {
        assert!(is_dns1123_subdomain("web.example"));
        assert_eq!(
            dns1123_label_errors("web.example"),
            ["must not contain dots"]
        );
        assert!(is_dns1123_label("web-1"));
        for bad in ["Web", "-web", "web-", "", "a..b"] {
            assert!(!is_dns1123_subdomain(bad), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn label_messages_carry_upstreams_double_space_and_regex() {
        assert_eq!(
            dns1123_label_errors("Web")[0],
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        );
        assert_eq!(dns1123_label_errors(&"a".repeat(64)), [max_len_error(63)]);
    }

    #[test]
    fn service_names_must_start_with_a_letter() {
        assert!(dns1035_label_errors("web").is_empty());
        assert_eq!(dns1035_label_errors("1web").len(), 1);
    }

    #[test]
    fn port_names_follow_iana_svc_name() {
        assert!(port_name_errors("http").is_empty());
        assert_eq!(
            port_name_errors("HTTP"),
            [
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "must contain at least one letter (a-z)"
            ]
        );
        assert_eq!(
            port_name_errors("a--b"),
            ["must not contain consecutive hyphens"]
        );
        assert_eq!(port_name_errors("sixteen-letters1"), [max_len_error(15)]);
    }

    #[test]
    fn env_names_are_printable_ascii_without_equals() {
        assert!(env_var_name_errors("MY_VAR.1-x").is_empty());
        assert!(env_var_name_errors("1 starts with a digit").is_empty());
        assert_eq!(env_var_name_errors("A=B").len(), 1);
        assert_eq!(env_var_name_errors("tab\there").len(), 1);
    }

    #[test]
    fn config_keys_may_not_climb_out_of_their_volume() {
        assert!(config_map_key_errors("app.properties").is_empty());
        assert_eq!(config_map_key_errors(".."), ["must not be '..'"]);
        assert_eq!(config_map_key_errors("a/b").len(), 1);
    }

    #[test]
    fn endpoints_may_not_be_loopback_or_link_local() {
        assert!(endpoint_ip_errors("10.244.0.5").is_empty());
        assert_eq!(
            endpoint_ip_errors("127.0.0.1"),
            ["may not be in the loopback range (127.0.0.0/8, ::1/128)"]
        );
        assert_eq!(endpoint_ip_errors("169.254.1.1").len(), 1);
        assert_eq!(endpoint_ip_errors("nope"), ["must be a valid IP address"]);
    }
}
