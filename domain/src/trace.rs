//! The W3C trace context across the queue. A job carries the `traceparent` of the span that
//! committed it (the request that uploaded a document, or the job that sends an e-mail at its
//! end), and the worker's span for the job continues that trace: one upload is one trace, from
//! the request through the verification to the e-mail, whichever processes run them.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

const TRACEPARENT: &str = "traceparent";

/// The current span's `traceparent`, or `None` when spans are not exported (no trace to join).
pub fn traceparent() -> Option<String> {
    let mut carrier: HashMap<String, String> = HashMap::new();
    TraceContextPropagator::new().inject_context(&tracing::Span::current().context(), &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// Makes `span` a child of the span `traceparent` names. A missing or malformed value (a job
/// queued before traces travelled, or a payload edited by hand) leaves `span` a new trace.
pub fn follow(span: &tracing::Span, traceparent: Option<&str>) {
    let Some(value) = traceparent else { return };
    let carrier = HashMap::from([(TRACEPARENT.to_string(), value.to_string())]);
    let parent = TraceContextPropagator::new().extract(&carrier);
    if let Err(e) = span.set_parent(parent) {
        tracing::debug!(error = %e, "the job's span could not join its trace");
    }
}
