//! From selector text to [`Requirement`]s: a lexer cuts the text into tokens, then a small
//! recursive-descent parser turns the tokens into requirements.
//!
//! Mirrors the `Lexer` and `Parser` halves of `k8s.io/apimachinery/pkg/labels/selector.go`.
//! The grammar is in the parent module's doc; which words are allowed as keys and values is
//! decided in the sibling `validation` module. Errors are plain `String`s here; the parent wraps
//! them in [`super::ParseError`] so callers see one error type.

use super::validation::{validate_key, validate_values};
use super::{Operator, Requirement};

/// Parse selector text into its requirements, in the order written (the caller sorts them).
pub(super) fn parse(input: &str) -> Result<Vec<Requirement>, String> {
    let mut parser = Parser {
        tokens: tokenize(input),
        pos: 0,
    };
    parser.parse_selector()
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

#[cfg(test)]
mod tests {
    use super::super::Selector;
    use super::*;

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
            ("a=b=c", "found '=', expected: ',' or 'end of string'"),
        ];
        for (input, want) in cases {
            let err = Selector::parse(input).expect_err(input).to_string();
            assert!(err.contains(want), "{input:?}: got {err:?}, want {want:?}");
        }
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
}
