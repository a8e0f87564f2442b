//! The simulation responses: `EvaluationResults` (with `ResourceSpecificResults`), and
//! `ContextKeyNames`.

use super::super::pagination::Page;
use crate::policy::{Evaluation, MatchedStatement, Position};
use crate::protocol::{WriteXml, XmlOut};

/// The decision for one action on one resource.
pub struct SimulationResult {
    pub action: String,
    pub resource: String,
    pub evaluation: Evaluation,
    /// Whether the request named its resources (`ResourceArns`): then the result carries
    /// `ResourceSpecificResults`, as AWS answers.
    pub per_resource: bool,
}

/// `SimulatePolicyResponse`: one page of results.
pub struct SimulationResults(pub Page<SimulationResult>);

impl WriteXml for SimulationResults {
    fn write(&self, w: &mut XmlOut) {
        w.list("EvaluationResults", &self.0.items, write_result);
        self.0.write_tail(w);
    }
}

fn write_result(w: &mut XmlOut, r: &SimulationResult) {
    let e = &r.evaluation;
    w.text("EvalActionName", &r.action);
    w.text("EvalResourceName", &r.resource);
    w.text("EvalDecision", e.decision.as_aws_str());
    write_statements(w, &e.matched_statements);
    write_missing(w, &e.missing_context_values);
    write_boundary(w, e.allowed_by_permissions_boundary);
    // "If the simulation evaluates policies within the same account and includes a resource ARN,
    // then the parameter is present but the response is empty. If [it] specifies all resources
    // (*), then the parameter is not returned." (IAM API reference, EvaluationResult.)
    if r.resource != "*" {
        w.elem("EvalDecisionDetails", |_| {});
    }
    if r.per_resource {
        w.list("ResourceSpecificResults", std::slice::from_ref(r), |w, r| {
            let e = &r.evaluation;
            w.text("EvalResourceName", &r.resource);
            w.text("EvalResourceDecision", e.decision.as_aws_str());
            write_statements(w, &e.matched_statements);
            write_missing(w, &e.missing_context_values);
            write_boundary(w, e.allowed_by_permissions_boundary);
        });
    }
}

fn write_statements(w: &mut XmlOut, statements: &[MatchedStatement]) {
    w.list("MatchedStatements", statements, |w, s| {
        w.text("SourcePolicyId", &s.source_policy_id);
        w.text("SourcePolicyType", &s.source_policy_type);
        write_position(w, "StartPosition", s.start_position);
        write_position(w, "EndPosition", s.end_position);
    });
}

fn write_position(w: &mut XmlOut, name: &str, p: Position) {
    w.elem(name, |w| {
        w.int("Line", i64::from(p.line));
        w.int("Column", i64::from(p.column));
    });
}

fn write_missing(w: &mut XmlOut, keys: &[String]) {
    w.list("MissingContextValues", keys, |w, k| w.text_only(k));
}

fn write_boundary(w: &mut XmlOut, allowed: Option<bool>) {
    if let Some(allowed) = allowed {
        w.elem("PermissionsBoundaryDecisionDetail", |w| w.bool("AllowedByPermissionsBoundary", allowed));
    }
}

/// `GetContextKeysForPolicyResponse`.
pub struct ContextKeyNames(pub Vec<String>);

impl WriteXml for ContextKeyNames {
    fn write(&self, w: &mut XmlOut) {
        w.list("ContextKeyNames", &self.0, |w, k| w.text_only(k));
    }
}
