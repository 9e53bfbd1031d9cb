//! Label selectors: parse `app=web,tier in (a,b),!canary` and match them against labels.
//!
//! Mirrors `k8s.io/apimachinery/pkg/labels/selector.go` (lexer, parser, matching) and
//! `pkg/selection/operator.go` (the operator set).
//!
//! Labels are the small key/value tags in every object's `metadata.labels`. A label selector
//! is how one object names a *group* of others without knowing their names: a Service finds
//! its Pods, a ReplicaSet counts the Pods it owns, a Deployment finds its ReplicaSets. The API
//! server accepts the same text on list and watch requests (`?labelSelector=app%3Dweb`), which
//! is what `kubectl get pods -l app=web` sends.
//!
//! ```text
//! app=web,tier in (a,b),!canary
//!   app=web          the label `app` exists and equals "web"
//!   tier in (a,b)    `tier` exists and is "a" or "b"
//!   !canary          there is no `canary` label at all
//! ```
//!
//! Every requirement must hold (there is no OR), and an empty selector matches everything.
//! Parsing is two steps, as upstream: a lexer cuts the text into tokens, then a small
//! recursive-descent parser follows this grammar:
//!
//! ```text
//! selector    := requirement ( "," requirement )*
//! requirement := "!" KEY | KEY | KEY ("in" | "notin") "(" VALUE ("," VALUE)* ")"
//!              | KEY ("=" | "==" | "!=" | ">" | "<") VALUE
//! ```
//!
//! Like upstream, the parsed requirements are sorted by key, so the canonical string of the
//! example above is `app=web,!canary,tier in (a,b)`.

use std::collections::BTreeMap;
use std::fmt;

/// How a requirement relates a label key to its values (`pkg/selection/operator.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `key=value`: the key exists and equals the value.
    Equals,
    /// `key==value`: same meaning as `=`, kept apart so the selector prints back as written.
    DoubleEquals,
    /// `key!=value`: the key is absent, or present with another value.
    NotEquals,
    /// `key in (a,b)`: the key exists and its value is one of the set.
    In,
    /// `key notin (a,b)`: the key is absent, or its value is none of the set.
    NotIn,
    /// `key`: the key exists, whatever its value.
    Exists,
    /// `!key`: the key does not exist.
    DoesNotExist,
    /// `key>5`: the key exists and its value is an integer greater than 5.
    GreaterThan,
    /// `key<5`: the key exists and its value is an integer less than 5.
    LessThan,
}

/// One condition on one label, e.g. `tier in (a,b)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    /// Empty for `Exists`/`DoesNotExist`, one value for `=`, `!=`, `>`, `<`; for `in`/`notin`
    /// a sorted, de-duplicated set (sorting is what makes the printed form canonical).
    pub values: Vec<String>,
}

/// A list of requirements that must all hold. Empty means "select everything".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

/// Why a selector string was rejected, worded like upstream's errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl Requirement {
    /// Does this one requirement hold? (upstream `Requirement.Matches`)
    pub fn matches(&self, labels: &dyn Fn(&str) -> Option<String>) -> bool {
        let actual = labels(&self.key);
        match self.operator {
            Operator::Equals | Operator::DoubleEquals | Operator::In => {
                actual.is_some_and(|v| self.values.contains(&v))
            }
            // The negative operators also match objects that lack the label entirely:
            // `env!=prod` must select a pod with no `env` label, it is certainly not prod.
            Operator::NotEquals | Operator::NotIn => match actual {
                None => true,
                Some(v) => !self.values.contains(&v),
            },
            Operator::Exists => actual.is_some(),
            Operator::DoesNotExist => actual.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                // Compare as integers, never as text ("10" > "9"). A label that is not a number
                // (or a missing label) simply does not match; it is not an error.
                let as_int = |s: &str| s.parse::<i64>().ok();
                let wanted = self.values.first().and_then(|v| as_int(v));
                match (actual.as_deref().and_then(as_int), wanted) {
                    (Some(a), Some(w)) if self.operator == Operator::GreaterThan => a > w,
                    (Some(a), Some(w)) => a < w,
                    _ => false,
                }
            }
        }
    }
}

impl Selector {
    /// Parse the text form. `""` and whitespace-only text give the empty selector.
    pub fn parse(s: &str) -> Result<Selector, ParseError> {
        let mut parser = Parser {
            tokens: tokenize(s),
            pos: 0,
        };
        let mut requirements = parser.parse_selector().map_err(ParseError)?;
        // Upstream sorts by key so equal selectors print (and compare) the same whatever order
        // they were typed in. `sort_by` is stable, so two requirements on one key keep their order.
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Selector { requirements })
    }

    /// The selector that matches every object.
    pub fn everything() -> Selector {
        Selector::default()
    }

    /// True when the selector does not restrict anything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Do all requirements hold? `labels` looks a label up by key, so callers can pass a
    /// serde_json map, a `BTreeMap`, or anything else without first copying the labels.
    pub fn matches(&self, labels: &dyn Fn(&str) -> Option<String>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// [`Selector::matches`] for labels already held in a `BTreeMap<String, String>`.
    pub fn matches_map(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches(&|key| labels.get(key).cloned())
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = &self.key;
        let value = self.values.first().map_or("", String::as_str);
        match self.operator {
            Operator::Exists => write!(f, "{key}"),
            Operator::DoesNotExist => write!(f, "!{key}"),
            Operator::Equals => write!(f, "{key}={value}"),
            Operator::DoubleEquals => write!(f, "{key}=={value}"),
            Operator::NotEquals => write!(f, "{key}!={value}"),
            Operator::GreaterThan => write!(f, "{key}>{value}"),
            Operator::LessThan => write!(f, "{key}<{value}"),
            Operator::In => write!(f, "{key} in ({})", set_text(&self.values)),
            Operator::NotIn => write!(f, "{key} notin ({})", set_text(&self.values)),
        }
    }
}

/// The inside of `(...)`. A set holding only "" would print as `()`, which we reject as an
/// empty set; `(,)` also means "just the empty value" and parses back to the same set.
fn set_text(values: &[String]) -> String {
    if values == [""] {
        ",".to_string()
    } else {
        values.join(",")
    }
}

/// The canonical string form, e.g. `app=web,!canary,tier in (a,b)`.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let terms: Vec<String> = self.requirements.iter().map(|r| r.to_string()).collect();
        f.write_str(&terms.join(","))
    }
}

// ---- Lexer (upstream: `Lexer`, `scanIDOrKeyword`, `scanSpecialSymbol`) -----------------------

/// The pieces the lexer cuts a selector into. `in` and `notin` are not special here: they
/// are words like any other, and only the parser decides, by position, that a word right
/// after a key is an operator. That is why `in in (in)` is a valid selector (upstream too).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A key, a value, or one of the operator words `in`, `notin`.
    Word(String),
    /// One of `,` `(` `)` `!` `=` `==` `!=` `>` `<`.
    Symbol(&'static str),
    End,
}

impl Token {
    /// How an error message names this token: `'foo'`, `'='`, or `end of string`.
    fn describe(&self) -> String {
        match self {
            Token::Word(text) => format!("'{text}'"),
            Token::Symbol(text) => format!("'{text}'"),
            Token::End => "end of string".to_string(),
        }
    }
}

/// The one-character symbols. Each also ends a word, which is why `a=b` needs no spaces.
fn symbol(c: char) -> Option<&'static str> {
    let all = [",", "(", ")", "!", "=", ">", "<"];
    all.into_iter().find(|s| s.starts_with(c))
}

/// Upstream's whitespace set. The word loop below must stop on exactly the characters the
/// main loop skips, or a character neither consumes would make the lexer spin forever.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Cut the input into tokens, always ending with `Token::End`. Lexing cannot fail: any
/// character that is not a symbol or whitespace belongs to a word, and words are checked
/// later, where the error message can say whether a key or a value was wrong.
fn tokenize(input: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if is_space(c) {
            chars.next();
        } else if let Some(mut sym) = symbol(c) {
            chars.next();
            // `!=` and `==` are the only two-character symbols: take them whole when we can.
            if (sym == "!" || sym == "=") && chars.peek() == Some(&'=') {
                chars.next();
                sym = if sym == "!" { "!=" } else { "==" };
            }
            tokens.push(Token::Symbol(sym));
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if symbol(c).is_some() || is_space(c) {
                    break;
                }
                word.push(c);
                chars.next();
            }
            tokens.push(Token::Word(word));
        }
    }
    tokens.push(Token::End);
    tokens
}

// ---- Parser (upstream: `Parser`, a recursive-descent parser over the token list) ----------

/// Returned by `peek` once we run past the last token, so looking ahead never panics.
static END: Token = Token::End;

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        self.tokens.get(self.pos).unwrap_or(&END)
    }

    fn peek_is(&self, sym: &str) -> bool {
        matches!(self.peek(), Token::Symbol(s) if *s == sym)
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        self.pos += 1;
        token
    }

    fn parse_selector(&mut self) -> Result<Vec<Requirement>, String> {
        let mut requirements = Vec::new();
        if *self.peek() == Token::End {
            return Ok(requirements);
        }
        loop {
            if !matches!(self.peek(), Token::Word(_) | Token::Symbol("!")) {
                let expected = if requirements.is_empty() {
                    "!, identifier, or 'end of string'"
                } else {
                    "identifier after ','" // e.g. a dangling comma: `a=b,`
                };
                let found = self.peek().describe();
                return Err(format!("found {found}, expected: {expected}"));
            }
            let requirement = self
                .parse_requirement()
                .map_err(|e| format!("unable to parse requirement: {e}"))?;
            requirements.push(requirement);
            match self.advance() {
                Token::End => return Ok(requirements),
                Token::Symbol(",") => continue,
                other => {
                    let found = other.describe();
                    return Err(format!("found {found}, expected: ',' or 'end of string'"));
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let negated = self.peek_is("!");
        if negated {
            self.advance();
        }
        let key = match self.advance() {
            Token::Word(key) => key,
            other => return Err(format!("found {}, expected: identifier", other.describe())),
        };
        validate_key(&key)?;
        // `!key` and a bare `key` take no values. Whatever follows them is checked by the
        // caller, which expects `,` or the end (so `!a=b` fails there, as upstream).
        if negated || self.peek_is(",") || *self.peek() == Token::End {
            let operator = if negated {
                Operator::DoesNotExist
            } else {
                Operator::Exists
            };
            return Ok(Requirement {
                key,
                operator,
                values: Vec::new(),
            });
        }
        let operator = match self.advance() {
            Token::Symbol("=") => Operator::Equals,
            Token::Symbol("==") => Operator::DoubleEquals,
            Token::Symbol("!=") => Operator::NotEquals,
            Token::Symbol(">") => Operator::GreaterThan,
            Token::Symbol("<") => Operator::LessThan,
            Token::Word(word) if word == "in" => Operator::In,
            Token::Word(word) if word == "notin" => Operator::NotIn,
            other => {
                let found = other.describe();
                return Err(format!(
                    "found {found}, expected: in, notin, =, ==, !=, >, <"
                ));
            }
        };
        let values = match operator {
            Operator::In | Operator::NotIn => self.parse_value_set()?,
            _ => vec![self.parse_exact_value()?],
        };
        validate_values(operator, &values)?;
        Ok(Requirement {
            key,
            operator,
            values,
        })
    }

    /// `(a,b,c)`. A missing word between delimiters, as in `(a,,b)` or `(a,)`, is the empty
    /// value "", which upstream allows; only a set with nothing in it at all is an error.
    fn parse_value_set(&mut self) -> Result<Vec<String>, String> {
        let open = self.advance();
        if open != Token::Symbol("(") {
            return Err(format!("found {}, expected: '('", open.describe()));
        }
        if self.peek_is(")") {
            return Err("values: for 'in', 'notin' operators, values set can't be empty".into());
        }
        let mut values = Vec::new();
        loop {
            match self.peek() {
                Token::Word(value) => {
                    values.push(value.clone());
                    self.advance();
                }
                Token::Symbol("," | ")") => values.push(String::new()),
                other => {
                    let found = other.describe();
                    return Err(format!("found {found}, expected: ',', ')' or identifier"));
                }
            }
            match self.advance() {
                Token::Symbol(",") => continue,
                Token::Symbol(")") => break,
                other => return Err(format!("found {}, expected: ',' or ')'", other.describe())),
            }
        }
        values.sort();
        values.dedup();
        Ok(values)
    }

    /// The single value after `=`, `!=`, `>`... Nothing at all (`a=` or `a=,b`) means "".
    fn parse_exact_value(&mut self) -> Result<String, String> {
        if self.peek_is(",") || *self.peek() == Token::End {
            return Ok(String::new());
        }
        match self.advance() {
            Token::Word(value) => Ok(value),
            other => Err(format!("found {}, expected: identifier", other.describe())),
        }
    }
}

// ---- Validation (upstream: pkg/util/validation/validation.go) --------------------------------

const NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start \
    and end with an alphanumeric character (e.g. 'MyName', 'my.name', or '123-abc')";
const TOO_MANY_SLASHES_MSG: &str = "a qualified name must consist of alphanumeric characters, \
    '-', '_' or '.', and must start and end with an alphanumeric character with an optional DNS \
    subdomain prefix and '/' (e.g. 'example.com/MyName')";
const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case \
    alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character \
    (e.g. 'example.com')";
const VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric \
    characters, '-', '_' or '.', and must start and end with an alphanumeric character \
    (e.g. 'MyValue', 'my_value', or '12345')";

/// Upstream's `field.Invalid` wording: `key: Invalid value: "a/b/c": why`.
fn invalid(path: &str, value: &str, why: &str) -> String {
    format!("{path}: Invalid value: {value:?}: {why}")
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, written out instead of using a regex crate.
fn is_name(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    s.starts_with(alnum)
        && s.ends_with(alnum)
        && s.chars().all(|c| alnum(c) || matches!(c, '-' | '_' | '.'))
}

/// A DNS-1123 subdomain: dot-separated lowercase labels like `example.com`.
fn is_dns_subdomain(s: &str) -> bool {
    let lower = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    s.split('.').all(|label| {
        label.starts_with(lower)
            && label.ends_with(lower)
            && label.chars().all(|c| lower(c) || c == '-')
    })
}

/// Keys are "qualified names": an optional DNS prefix and `/`, then a name of at most
/// 63 characters, e.g. `app` or `app.kubernetes.io/name` (upstream `IsQualifiedName`).
fn validate_key(key: &str) -> Result<(), String> {
    let mut problems = Vec::new();
    let name = match key.split('/').collect::<Vec<_>>().as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                problems.push("prefix part must be non-empty".to_string());
            } else if prefix.len() > 253 {
                problems.push("prefix part must be no more than 253 characters".to_string());
            } else if !is_dns_subdomain(prefix) {
                problems.push(format!("prefix part {SUBDOMAIN_MSG}"));
            }
            *name
        }
        _ => return Err(invalid("key", key, TOO_MANY_SLASHES_MSG)),
    };
    if name.is_empty() {
        problems.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        problems.push("name part must be no more than 63 characters".to_string());
    } else if !is_name(name) {
        problems.push(format!("name part {NAME_MSG}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(invalid("key", key, &problems.join("; ")))
    }
}

/// Values: empty, or a name of at most 63 characters (upstream `IsValidLabelValue`).
/// `>`/`<` additionally need an integer; note that makes `a>-1` invalid, as upstream,
/// because a label value may not start with '-'.
fn validate_values(operator: Operator, values: &[String]) -> Result<(), String> {
    for value in values {
        let is_comparison = matches!(operator, Operator::GreaterThan | Operator::LessThan);
        if is_comparison && value.parse::<i64>().is_err() {
            let why = "for 'Gt', 'Lt' operators, the value must be an integer";
            return Err(invalid("values", value, why));
        }
        if value.len() > 63 {
            return Err(invalid(
                "values",
                value,
                "must be no more than 63 characters",
            ));
        }
        if !value.is_empty() && !is_name(value) {
            return Err(invalid("values", value, VALUE_MSG));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn req(key: &str, operator: Operator, values: &[&str]) -> Requirement {
        let values = values.iter().map(|v| v.to_string()).collect();
        Requirement {
            key: key.into(),
            operator,
            values,
        }
    }

    #[test]
    fn every_operator_parses_into_one_requirement() {
        use Operator::*;
        let cases: &[(&str, Requirement)] = &[
            ("app=web", req("app", Equals, &["web"])),
            ("app==web", req("app", DoubleEquals, &["web"])),
            ("app!=web", req("app", NotEquals, &["web"])),
            ("tier in (b,a)", req("tier", In, &["a", "b"])),
            ("tier notin (a)", req("tier", NotIn, &["a"])),
            ("canary", req("canary", Exists, &[])),
            ("!canary", req("canary", DoesNotExist, &[])),
            ("replicas>2", req("replicas", GreaterThan, &["2"])),
            ("replicas<10", req("replicas", LessThan, &["10"])),
            ("app=", req("app", Equals, &[""])),
            (
                "example.com/app=web",
                req("example.com/app", Equals, &["web"]),
            ),
            ("x in (a,,b)", req("x", In, &["", "a", "b"])),
            ("x in (a,b,a)", req("x", In, &["a", "b"])),
            ("in in (in,notin)", req("in", In, &["in", "notin"])),
        ];
        for (input, want) in cases {
            let got = Selector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(got.requirements, vec![want.clone()], "{input:?}");
        }
    }

    #[test]
    fn whitespace_around_tokens_is_ignored() {
        let tight = Selector::parse("a=b,c in (d,e),!f").unwrap();
        let loose = Selector::parse("  a = b ,\tc in ( d , e ) , ! f \n").unwrap();
        assert_eq!(tight, loose);
    }

    #[test]
    fn empty_and_blank_input_select_everything() {
        for input in ["", "   ", "\t\n"] {
            let selector = Selector::parse(input).unwrap();
            assert!(selector.is_empty() && selector == Selector::everything());
            assert!(selector.matches_map(&labels(&[("any", "thing")])));
        }
    }

    #[test]
    fn requirements_are_sorted_by_key() {
        let selector = Selector::parse("tier in (a,b),app=web,!canary").unwrap();
        assert_eq!(selector.to_string(), "app=web,!canary,tier in (a,b)");
    }

    #[test]
    fn bad_input_is_rejected_with_a_readable_message() {
        let cases = [
            ("a in ()", "values set can't be empty"),
            (
                "a=b,",
                "found end of string, expected: identifier after ','",
            ),
            (
                ",a",
                "found ',', expected: !, identifier, or 'end of string'",
            ),
            ("a b", "found 'b', expected: in, notin"),
            ("a in b", "found 'b', expected: '('"),
            ("a in (b", "found end of string, expected: ',' or ')'"),
            ("a in (b c)", "found 'c', expected: ',' or ')'"),
            ("a=b c", "found 'c', expected: ',' or 'end of string'"),
            ("!a=b", "found '=', expected: ',' or 'end of string'"),
            (
                "-a=b",
                "unable to parse requirement: key: Invalid value: \"-a\": name part must",
            ),
            ("a/b/c", "a qualified name must consist of"),
            ("/a", "prefix part must be non-empty"),
            (
                "Example.com/a",
                "prefix part a lowercase RFC 1123 subdomain",
            ),
            (
                "a=-b",
                "values: Invalid value: \"-b\": a valid label must be",
            ),
            ("a=b/c", "a valid label must be"),
            ("a in (ok,bad_)", "Invalid value: \"bad_\""),
            (
                "a>x",
                "for 'Gt', 'Lt' operators, the value must be an integer",
            ),
            ("a>-1", "a valid label must be"),
            ("a=b=c", "found '=', expected: ',' or 'end of string'"),
        ];
        for (input, want) in cases {
            let err = Selector::parse(input).expect_err(input).to_string();
            assert!(err.contains(want), "{input:?}: got {err:?}, want {want:?}");
        }
    }

    #[test]
    fn keys_and_values_longer_than_63_characters_are_rejected() {
        let long = "a".repeat(64);
        let err = Selector::parse(&long).unwrap_err().to_string();
        assert!(
            err.contains("name part must be no more than 63 characters"),
            "{err}"
        );
        let err = Selector::parse(&format!("a={long}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("must be no more than 63 characters"), "{err}");
        assert!(Selector::parse(&format!("a={}", "a".repeat(63))).is_ok());
    }

    #[test]
    fn odd_input_never_panics() {
        let inputs = [
            "=", "==", "!=", "!", ",", "(", ")", "in", "notin", "a in (", "a in (,", "a notin",
            "a==b==c", "\\", "a=\\", "!!a", "a,,b", "é=ü", "a=\u{a0}", "\u{a0}", "a<", ">",
        ];
        for input in inputs {
            let _ = Selector::parse(input); // must return, Ok or Err, without panicking
        }
        // A few of these are valid on purpose: `in` is a key like any other word.
        assert!(Selector::parse("in").is_ok());
        for bad in [
            "=", "!", ",", "a in (", "a==b==c", "\\", "!!a", "a,,b", "é=ü",
        ] {
            assert!(Selector::parse(bad).is_err(), "{bad:?} should be an error");
        }
    }

    #[test]
    fn matching_follows_the_upstream_truth_table() {
        type Labels = &'static [(&'static str, &'static str)];
        let web: Labels = &[("app", "web")];
        let cases: &[(&str, Labels, bool)] = &[
            ("app=web", web, true),
            ("app=web", &[("app", "db")], false),
            ("app=web", &[], false),
            ("app==web", web, true),
            ("app!=web", web, false),
            ("app!=web", &[("app", "db")], true),
            ("app in (db,web)", web, true),
            ("app in (db)", web, false),
            ("app in (db,web)", &[], false),
            ("app notin (db)", web, true),
            ("app notin (web)", web, false),
            ("app notin (web)", &[], true),
            ("app", web, true),
            ("app", &[], false),
            ("!app", web, false),
            ("!app", &[], true),
            ("app=", &[("app", "")], true),
            ("app=", &[], false),
            ("x in (a,)", &[("x", "")], true),
            ("app=web,!canary", web, true),
            ("app=web,!canary", &[("app", "web"), ("canary", "1")], false),
        ];
        for (selector, pairs, want) in cases {
            let parsed = Selector::parse(selector).unwrap();
            assert_eq!(
                parsed.matches_map(&labels(pairs)),
                *want,
                "{selector:?} on {pairs:?}"
            );
        }
    }

    #[test]
    fn not_equals_matches_when_the_key_is_absent() {
        let selector = Selector::parse("env!=prod").unwrap();
        assert!(selector.matches(&|_| None));
    }

    #[test]
    fn greater_and_less_than_compare_integers_not_text() {
        let cases = [
            ("n>9", "10", true),
            ("n>10", "10", false),
            ("n<10", "9", true),
            ("n<10", "+9", true),
            ("n<10", "-20", true),
            ("n>1", "two", false),
            ("n>1", "", false),
        ];
        for (selector, value, want) in cases {
            let parsed = Selector::parse(selector).unwrap();
            assert_eq!(
                parsed.matches_map(&labels(&[("n", value)])),
                want,
                "{selector} {value}"
            );
        }
        assert!(!Selector::parse("n>1").unwrap().matches(&|_| None));
    }

    #[test]
    fn display_round_trips_through_parse() {
        let cases = [
            ("app=web", "app=web"),
            ("app == web", "app==web"),
            ("a!=b", "a!=b"),
            ("x in (c, a, b)", "x in (a,b,c)"),
            ("x notin (a)", "x notin (a)"),
            ("x in (,)", "x in (,)"),
            ("x in (a,)", "x in (,a)"),
            ("b,!a", "!a,b"),
            ("n>1,m<2", "m<2,n>1"),
            ("a=", "a="),
        ];
        for (input, canonical) in cases {
            let parsed = Selector::parse(input).unwrap();
            assert_eq!(parsed.to_string(), canonical, "{input:?}");
            assert_eq!(Selector::parse(canonical).unwrap(), parsed, "{canonical:?}");
        }
    }
}
