//! Self-contained HTML reports: a timeline (one lane per process, one bar
//! per operation) around the failure, and the partial linearization.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::{CheckResult, Explanation, Op, OpStatus, Verdict};

/// At most this many operations are drawn in one timeline.
const MAX_DRAWN: usize = 120;
const LANE: f64 = 30.0;
const STEP: f64 = 26.0;
const LEFT: f64 = 110.0;
const TOP: f64 = 30.0;

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}\
h1{font-size:20px}section{border-top:1px solid #ccc;margin-top:24px}\
.bad{color:#b00020}.good{color:#1b7f3b}.unknown{color:#a66a00}\
pre{background:#f6f6f6;padding:12px;overflow-x:auto;font-size:12px;white-space:pre-wrap}\
.legend span{display:inline-block;margin-right:16px}.sw{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:middle}\
ol li.blocked{color:#b00020}svg text{font:11px monospace}table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}";

/// Renders one report covering several checked histories, each under its
/// name (e.g. the file it came from).
pub fn html_report(results: &[(&str, &CheckResult)]) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>sandtable-check report</title>");
    let _ = write!(
        out,
        "<style>{STYLE}</style></head><body><h1>sandtable-check report</h1>"
    );
    for (name, result) in results {
        section(&mut out, name, result);
    }
    out.push_str("</body></html>\n");
    out
}

fn section(out: &mut String, name: &str, r: &CheckResult) {
    let class = match r.verdict {
        Verdict::Linearizable => "good",
        Verdict::NotLinearizable => "bad",
        Verdict::Unknown => "unknown",
    };
    let _ = write!(
        out,
        "<section><h2>{} &mdash; <span class=\"{class}\">{}</span></h2><p>{} model &middot; {} operations &middot; {} keys &middot; {} search steps</p>",
        esc(name),
        r.verdict,
        esc(&r.model),
        r.ops,
        r.keys,
        r.steps
    );
    match &r.explanation {
        Some(e) => failure(out, r, e),
        None => {
            let _ = write!(out, "<pre>{}</pre>", esc(&r.to_string()));
            let key = r.partitions.first().and_then(|p| p.key.clone());
            let ops: Vec<&Op> = r
                .history
                .ops()
                .iter()
                .filter(|op| op.key == key)
                .take(MAX_DRAWN)
                .collect();
            out.push_str("<h3>Timeline (first operations)</h3>");
            timeline(out, &ops, &Marks::default());
        }
    }
    out.push_str("</section>");
}

fn failure(out: &mut String, r: &CheckResult, e: &Explanation) {
    let _ = write!(out, "<h3>Why not</h3><pre>{}</pre>", esc(&e.to_string()));
    let marks = Marks::new(e);
    let ops = window_ops(r, e);
    let subject = e.key.as_ref().map_or(String::new(), |k| {
        format!(" of key {}", esc(&k.to_string()))
    });
    let _ = write!(out, "<h3>Timeline{subject} around the failure</h3>");
    out.push_str(LEGEND);
    timeline(out, &ops, &marks);
    linearization(out, e);
}

const LEGEND: &str = "<p class=\"legend\">\
<span><i class=\"sw\" style=\"background:#8fd19e\"></i>linearized (number = order, dot = a possible linearization point)</span>\
<span><i class=\"sw\" style=\"background:#f4a3a8\"></i>cannot be linearized next</span>\
<span><i class=\"sw\" style=\"background:#fff;border:2px solid #b00020\"></i>deadline: returns before anything can be placed</span>\
<span><i class=\"sw\" style=\"background:#ddd\"></i>other</span>\
<span><i class=\"sw\" style=\"background:#fff;border:1px dashed #888\"></i>info (unknown outcome) / fail</span>\
Hover a bar for details. The x axis is event order.</p>";

/// How each drawn operation is marked.
#[derive(Default)]
struct Marks {
    order: BTreeMap<usize, usize>,
    blocked: BTreeMap<usize, String>,
    deadline: Option<usize>,
}

impl Marks {
    fn new(e: &Explanation) -> Marks {
        let first = e.prefix_len - e.prefix.len();
        Marks {
            order: e
                .prefix
                .iter()
                .enumerate()
                .map(|(i, s)| (s.op.id, first + i + 1))
                .collect(),
            blocked: e
                .blocked
                .iter()
                .map(|b| (b.op.id, b.reason.clone()))
                .collect(),
            deadline: Some(e.deadline.id),
        }
    }
}

/// The failing key's operations that overlap the failure window.
fn window_ops<'a>(r: &'a CheckResult, e: &Explanation) -> Vec<&'a Op> {
    let end = e.deadline.complete_index.unwrap_or(usize::MAX);
    let start = e
        .blocked
        .iter()
        .map(|b| b.op.invoke_index)
        .min()
        .unwrap_or(end);
    let in_key: Vec<&Op> = r
        .history
        .ops()
        .iter()
        .filter(|op| op.key == e.key)
        .collect();
    // Everything touching [start, end], plus up to a few dozen earlier ops for context.
    let overlaps =
        |op: &&Op| op.invoke_index <= end && op.complete_index.unwrap_or(usize::MAX) >= start;
    let last_before = in_key
        .iter()
        .rposition(|op| op.invoke_index < start && !overlaps(op));
    let context_from = last_before.map_or(0, |i| (i + 1).saturating_sub(20));
    let mut ops: Vec<&Op> = in_key[context_from..]
        .iter()
        .copied()
        .filter(|op| op.invoke_index <= end)
        .collect();
    if ops.len() > MAX_DRAWN {
        ops.drain(..ops.len() - MAX_DRAWN);
    }
    ops
}

fn timeline(out: &mut String, ops: &[&Op], marks: &Marks) {
    if ops.is_empty() {
        out.push_str("<p>(no operations)</p>");
        return;
    }
    let points: BTreeSet<usize> = ops
        .iter()
        .flat_map(|op| [Some(op.invoke_index), op.complete_index])
        .flatten()
        .collect();
    let rank: BTreeMap<usize, usize> = points.iter().enumerate().map(|(i, &p)| (p, i)).collect();
    let lanes: BTreeMap<u64, usize> = ops
        .iter()
        .map(|op| op.process)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, p)| (p, i))
        .collect();
    let x = |p: usize| LEFT + rank[&p] as f64 * STEP;
    let right = LEFT + points.len() as f64 * STEP + 40.0;
    let height = TOP + lanes.len() as f64 * LANE + 10.0;
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{right}\" height=\"{height}\">"
    );
    for (process, lane) in &lanes {
        let y = TOP + *lane as f64 * LANE;
        let _ = write!(
            out,
            "<text x=\"4\" y=\"{}\">process {process}</text>",
            y + 15.0
        );
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{right}\" y1=\"{}\" y2=\"{}\" stroke=\"#eee\"/>",
            y + LANE - 2.0,
            y + LANE - 2.0
        );
    }
    let mut dots = Vec::new();
    for op in ops {
        let x0 = x(op.invoke_index);
        let x1 = op.complete_index.map_or(right - 10.0, x).max(x0 + 8.0);
        let y = TOP + lanes[&op.process] as f64 * LANE;
        bar(out, op, (x0, x1, y), marks);
        if let Some(&n) = marks.order.get(&op.id) {
            dots.push((n, x0, x1, y));
        }
    }
    linearization_points(out, &mut dots);
    out.push_str("</svg>");
}

fn bar(out: &mut String, op: &Op, (x0, x1, y): (f64, f64, f64), marks: &Marks) {
    let (fill, stroke) = if marks.blocked.contains_key(&op.id) {
        ("#f4a3a8", "#b00020")
    } else if marks.order.contains_key(&op.id) {
        ("#8fd19e", "#1b7f3b")
    } else {
        ("#ddd", "#999")
    };
    let dashed = if op.status == OpStatus::Ok {
        ""
    } else {
        " stroke-dasharray=\"4 3\" fill-opacity=\"0.35\""
    };
    let width = if marks.deadline == Some(op.id) { 3 } else { 1 };
    let mut tip = op.to_string();
    if let Some(reason) = marks.blocked.get(&op.id) {
        let _ = write!(tip, "\ncannot be linearized next: {reason}");
    }
    if let Some(n) = marks.order.get(&op.id) {
        let _ = write!(tip, "\nlinearized #{n}");
    }
    let _ = write!(
        out,
        "<g><title>{}</title><rect x=\"{x0}\" y=\"{}\" width=\"{}\" height=\"20\" rx=\"3\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{width}\"{dashed}/>",
        esc(&tip),
        y + 2.0,
        x1 - x0
    );
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\">#{} {}</text></g>",
        x0 + 3.0,
        y + 16.0,
        op.id,
        esc(&op.summary())
    );
}

/// Dots at a monotone choice of linearization points, joined in order.
fn linearization_points(out: &mut String, dots: &mut [(usize, f64, f64, f64)]) {
    dots.sort_by_key(|d| d.0);
    let mut last = f64::MIN;
    let mut path = String::new();
    for (n, x0, x1, y) in dots.iter() {
        let px = last.max(*x0 + 4.0).min(*x1 - 2.0);
        last = px + 3.0;
        let cy = y + 12.0;
        let _ = write!(
            path,
            "{}{px},{cy} ",
            if path.is_empty() { "M" } else { "L" }
        );
        let _ = write!(out, "<circle cx=\"{px}\" cy=\"{cy}\" r=\"3\" fill=\"#1b7f3b\"><title>linearized #{n}</title></circle>");
    }
    if !path.is_empty() {
        let _ = write!(
            out,
            "<path d=\"{path}\" fill=\"none\" stroke=\"#1b7f3b\" stroke-opacity=\"0.5\"/>"
        );
    }
}

fn linearization(out: &mut String, e: &Explanation) {
    if e.impossible {
        // No prefix: the pre-check or the zone analysis found the operations no order fits.
        out.push_str("<h3>Operations involved</h3><ol>");
        blocked_list(out, e);
        return;
    }
    let first = e.prefix_len - e.prefix.len();
    let _ = write!(
        out,
        "<h3>Partial linearization ({} ops{})</h3>",
        e.prefix_len,
        if first > 0 {
            format!(", last {} shown", e.prefix.len())
        } else {
            String::new()
        }
    );
    out.push_str("<table><tr><th>#</th><th>operation</th><th>state after</th></tr>");
    for (i, s) in e.prefix.iter().enumerate() {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            first + i + 1,
            esc(&s.op.to_string()),
            esc(&s.state)
        );
    }
    out.push_str("</table>");
    let _ = write!(
        out,
        "<p>Then, in state <b>{}</b>, none of these can come next:</p><ol>",
        esc(&e.state)
    );
    blocked_list(out, e);
}

/// The blocked operations as list items, and the end of the list.
fn blocked_list(out: &mut String, e: &Explanation) {
    for b in &e.blocked {
        let _ = write!(
            out,
            "<li class=\"blocked\">{}: {}</li>",
            esc(&b.op.to_string()),
            esc(&b.reason)
        );
    }
    out.push_str("</ol>");
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
