//! Explanations: every filter verdict and every score of a scheduling decision, kept so a person
//! can ask afterwards "why did my pod land there?" or "why is it Pending?".
//!
//! Upstream has nothing like this: its decision is visible only as one Event message. kubeling
//! records, for the last pods it scheduled, each node's verdict per Filter plugin (in the order
//! they ran; a node's checks stop at the first rejection, so later plugins show as not run) and
//! each Score plugin's raw score, normalised score and weight. The scheduler serves them as JSON
//! at `/explain/NAMESPACE/NAME`; `kubeling explain pod NAME` prints them with [`render`].

use crate::framework::{runtime::FilterVerdicts, PluginScores, Status};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::fmt::Write;

/// One Filter plugin's verdict on one node.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FilterLine {
    pub plugin: Cow<'static, str>,
    /// `Success`, `Unschedulable`, `UnschedulableAndUnresolvable`, ...
    pub code: Cow<'static, str>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// One Score plugin's scores for one node.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ScoreLine {
    pub plugin: String,
    pub raw: i64,
    pub normalized: i64,
    pub weight: i64,
}

/// Everything about one node in one decision.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NodeExplanation {
    pub name: String,
    pub filters: Vec<FilterLine>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scores: Vec<ScoreLine>,
    /// Sum of normalised × weight; absent when the node was not scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

impl NodeExplanation {
    pub fn new(name: &str, verdicts: FilterVerdicts) -> NodeExplanation {
        NodeExplanation {
            name: name.to_string(),
            filters: verdicts
                .into_iter()
                .map(|(plugin, status)| FilterLine {
                    plugin: Cow::Borrowed(plugin),
                    code: Cow::Borrowed(status.code.as_str()),
                    reasons: status.reasons,
                })
                .collect(),
            scores: Vec::new(),
            total: None,
        }
    }

    /// Did every filter that ran pass?
    pub fn passed(&self) -> bool {
        self.filters.iter().all(|f| f.code == "Success")
    }
}

/// The whole story of one scheduling attempt of one pod.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// `namespace/name`.
    pub pod: String,
    pub profile: String,
    pub attempt: u32,
    /// RFC 3339 time of the attempt.
    pub time: String,
    pub total_nodes: usize,
    pub evaluated_nodes: usize,
    pub feasible_nodes: usize,
    /// The PreFilter outcome (`Success`, or the rejection that stopped everything).
    #[serde(with = "status_text")]
    pub pre_filter: Status,
    pub nodes: Vec<NodeExplanation>,
    /// `Scheduled`, `Unschedulable`, `Error` or `Nominated`.
    pub outcome: String,
    /// The chosen node, the FailedScheduling message, or the error.
    pub message: String,
}

impl Explanation {
    /// Attach scores to the nodes that were scored (`totals` and each plugin's lists share
    /// one order).
    pub fn record_scores(&mut self, totals: &[(String, i64)], scores: &[PluginScores]) {
        let position: HashMap<&str, usize> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.as_str(), i))
            .collect();
        let mut updates = Vec::with_capacity(totals.len());
        for (i, (name, total)) in totals.iter().enumerate() {
            if let Some(&at) = position.get(name.as_str()) {
                updates.push((at, *total, crate::schedule_one::score_lines(scores, i)));
            }
        }
        for (at, total, lines) in updates {
            self.nodes[at].total = Some(total);
            self.nodes[at].scores = lines;
        }
    }
}

/// Statuses travel as "Code: reasons" text in JSON.
mod status_text {
    use crate::framework::{Code, Status};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(s: &Status, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(&s.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Status, D::Error> {
        let text = String::deserialize(de)?;
        let (code, reasons) = text.split_once(": ").unwrap_or((text.as_str(), ""));
        let code = [
            Code::Success,
            Code::Error,
            Code::Unschedulable,
            Code::UnschedulableAndUnresolvable,
            Code::Wait,
            Code::Skip,
        ]
        .into_iter()
        .find(|c| c.as_str() == code)
        .unwrap_or(Code::Error);
        let reasons = if reasons.is_empty() {
            Vec::new()
        } else {
            vec![reasons.to_string()]
        };
        Ok(Status::new(code, reasons))
    }
}

/// The explanations of the most recent attempts, one per pod, at most `capacity` pods.
pub struct ExplainStore {
    capacity: usize,
    order: VecDeque<String>,
    by_pod: HashMap<String, Explanation>,
}

impl ExplainStore {
    pub fn new(capacity: usize) -> ExplainStore {
        ExplainStore {
            capacity: capacity.max(1),
            order: VecDeque::new(),
            by_pod: HashMap::new(),
        }
    }

    /// Keep `e` as the latest explanation of its pod, forgetting the oldest pod if full.
    pub fn insert(&mut self, e: Explanation) {
        let key = e.pod.clone();
        if self.by_pod.insert(key.clone(), e).is_none() {
            self.order.push_back(key);
            while self.order.len() > self.capacity {
                if let Some(old) = self.order.pop_front() {
                    self.by_pod.remove(&old);
                }
            }
        }
    }

    pub fn get(&self, pod_key: &str) -> Option<&Explanation> {
        self.by_pod.get(pod_key)
    }
}

/// Print an explanation as the tables `kubeling explain pod` shows.
pub fn render(e: &Explanation) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Pod {}: {} {}\n  profile {}, attempt {}, at {}; {} of {} nodes evaluated, {} feasible",
        e.pod,
        e.outcome,
        e.message,
        e.profile,
        e.attempt,
        e.time,
        e.evaluated_nodes,
        e.total_nodes,
        e.feasible_nodes
    );
    if !e.pre_filter.is_success() {
        let _ = writeln!(out, "\nPreFilter stopped the cycle: {}", e.pre_filter);
        return out;
    }
    if e.nodes.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "\nFilter (plugins in order; a node's checks stop at its first rejection):"
    );
    let mut rows = vec![vec![
        "NODE".to_string(),
        "VERDICT".to_string(),
        "PLUGIN".to_string(),
        "REASON".to_string(),
    ]];
    for n in &e.nodes {
        match n.filters.iter().find(|f| f.code != "Success") {
            Some(f) => rows.push(vec![
                n.name.clone(),
                "rejected".to_string(),
                f.plugin.to_string(),
                format!("{} ({})", f.reasons.join(", "), f.code),
            ]),
            None => rows.push(vec![
                n.name.clone(),
                "passed".to_string(),
                format!("{} plugins", n.filters.len()),
                String::new(),
            ]),
        }
    }
    out.push_str(&table(&rows));

    let scored: Vec<&NodeExplanation> = e.nodes.iter().filter(|n| n.total.is_some()).collect();
    if let Some(first) = scored.first() {
        let _ = writeln!(
            out,
            "\nScore (each cell: raw → normalized × weight; the highest total wins):"
        );
        let mut header = vec!["NODE".to_string()];
        header.extend(first.scores.iter().map(|s| s.plugin.clone()));
        header.push("TOTAL".to_string());
        let mut rows = vec![header];
        let mut sorted = scored.clone();
        sorted.sort_by_key(|n| std::cmp::Reverse(n.total.unwrap_or(0)));
        for n in sorted {
            let mut row = vec![n.name.clone()];
            row.extend(
                n.scores
                    .iter()
                    .map(|s| format!("{}→{}×{}", s.raw, s.normalized, s.weight)),
            );
            let chosen = e.outcome == "Scheduled" && e.message.ends_with(&n.name);
            row.push(format!(
                "{}{}",
                n.total.unwrap_or(0),
                if chosen { " ← chosen" } else { "" }
            ));
            rows.push(row);
        }
        out.push_str(&table(&rows));
    } else if e.feasible_nodes == 1 {
        let _ = writeln!(
            out,
            "\nOnly one node passed the filters, so nothing was scored."
        );
    }
    out
}

/// Left-aligned columns separated by three spaces, like kubectl's tables.
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c].saturating_sub(cell.chars().count());
            line.push_str(cell);
            if c + 1 < row.len() {
                line.push_str(&" ".repeat(pad + 3));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
