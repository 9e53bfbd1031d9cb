//! `Status`: what every plugin call returns.
//!
//! A Filter plugin does not answer "yes/no": it answers *how* no. `Unschedulable` means "not this
//! node right now, but preempting someone might help"; `UnschedulableAndUnresolvable` means
//! "preemption cannot help either" (the node is cordoned, the nodeSelector does not match).
//! PostFilter (preemption) only considers nodes that failed with the first kind.
//! Upstream: `pkg/scheduler/framework/interface.go` (`Code`, `Status`).

use std::fmt;

/// The outcome of a plugin call. Names and meanings as upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// The plugin ran and is happy.
    Success,
    /// Something went wrong inside the plugin (not the pod's fault); the pod is retried.
    Error,
    /// The pod does not fit, but preemption may make it fit.
    Unschedulable,
    /// The pod does not fit and preemption cannot change that.
    UnschedulableAndUnresolvable,
    /// A Permit plugin wants the pod to wait (e.g. for its gang).
    Wait,
    /// PreFilter/PreScore: "nothing for me to do for this pod", so the matching Filter/Score
    /// of the same plugin is skipped too.
    Skip,
}

impl Code {
    /// The name upstream prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Success => "Success",
            Code::Error => "Error",
            Code::Unschedulable => "Unschedulable",
            Code::UnschedulableAndUnresolvable => "UnschedulableAndUnresolvable",
            Code::Wait => "Wait",
            Code::Skip => "Skip",
        }
    }
}

/// A [`Code`], the human reasons behind it, and (filled by the framework) which plugin said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub code: Code,
    pub reasons: Vec<String>,
    /// The plugin that returned this status; set by the framework, not by plugins.
    pub plugin: Option<&'static str>,
}

impl Status {
    pub fn success() -> Status {
        Status::new(Code::Success, Vec::new())
    }

    pub fn new(code: Code, reasons: Vec<String>) -> Status {
        Status {
            code,
            reasons,
            plugin: None,
        }
    }

    /// `Unschedulable` with one reason, e.g. `"Insufficient cpu"`.
    pub fn unschedulable(reason: impl Into<String>) -> Status {
        Status::new(Code::Unschedulable, vec![reason.into()])
    }

    /// `UnschedulableAndUnresolvable` with one reason.
    pub fn unresolvable(reason: impl Into<String>) -> Status {
        Status::new(Code::UnschedulableAndUnresolvable, vec![reason.into()])
    }

    pub fn error(reason: impl Into<String>) -> Status {
        Status::new(Code::Error, vec![reason.into()])
    }

    pub fn skip() -> Status {
        Status::new(Code::Skip, Vec::new())
    }

    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }

    pub fn is_skip(&self) -> bool {
        self.code == Code::Skip
    }

    /// Either kind of "does not fit".
    pub fn is_rejected(&self) -> bool {
        matches!(
            self.code,
            Code::Unschedulable | Code::UnschedulableAndUnresolvable
        )
    }

    /// Record which plugin returned this status.
    pub fn with_plugin(mut self, plugin: &'static str) -> Status {
        self.plugin = Some(plugin);
        self
    }

    /// The reasons joined as upstream's `Status.Message()` does.
    pub fn message(&self) -> String {
        self.reasons.join(", ")
    }
}

impl Default for Status {
    fn default() -> Status {
        Status::success()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reasons.is_empty() {
            write!(f, "{}", self.code.as_str())
        } else {
            write!(f, "{}: {}", self.code.as_str(), self.message())
        }
    }
}
