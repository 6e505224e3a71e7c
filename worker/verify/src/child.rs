//! The inspection in a child process with a memory and a CPU limit.
//!
//! The decoders are bounded (image limits, the PDF decompression budget), but a bound we got
//! wrong, or a parser's own appetite, must cost one child process, not the worker with every
//! other job in it. The worker starts `ustaz-verify ACCEPTED_TYPES`, writes the file to its
//! stdin and reads the verdict from its stdout; the child first lowers its own limits, so the
//! kernel ends it when it asks for more. A child that dies, or answers nothing readable, gives
//! the document [`Reason::TooDemanding`].
//!
//! The answer is one JSON line (the verdict) followed by the cleaned copy and the preview,
//! whose lengths the line gives.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::{Outcome, Reason};

/// The child's address-space limit by default (`--memory-mb`): the image decoder's allocation limit
/// ([`crate::MAX_IMAGE_ALLOC`]) or the PDF budget ([`crate::MAX_PDF_DECOMPRESSED`]) with the
/// file, the re-encoded copy and the program itself.
pub const MEMORY_LIMIT: u64 = 1024 * 1024 * 1024;
/// The child's CPU-time limit; the kernel ends it after this many seconds of work.
pub const CPU_SECONDS: u64 = 60;
/// The largest file the child reads: above every programme's own size limit.
pub const MAX_INPUT: u64 = 128 * 1024 * 1024;

/// The verdict line.
#[derive(Debug, Serialize, Deserialize)]
struct Verdict {
    passed: bool,
    reasons: Vec<(String, Option<String>)>,
    detected_type: Option<String>,
    pages: Option<u32>,
    width: Option<u32>,
    height: Option<u32>,
    cleaned: Option<(u64, String)>,
    preview: Option<u64>,
}

/// The child's answer for `outcome`.
pub fn encode(outcome: &Outcome) -> Vec<u8> {
    let verdict = Verdict {
        passed: outcome.passed,
        reasons: outcome
            .reasons
            .iter()
            .map(|r| (r.as_str().to_owned(), r.detail()))
            .collect(),
        detected_type: outcome.detected_type.clone(),
        pages: outcome.pages,
        width: outcome.width,
        height: outcome.height,
        cleaned: outcome
            .cleaned
            .as_ref()
            .map(|(bytes, mime)| (bytes.len() as u64, (*mime).to_owned())),
        preview: outcome.preview.as_ref().map(|p| p.len() as u64),
    };
    let mut out = serde_json::to_vec(&verdict).expect("a verdict always serialises");
    out.push(b'\n');
    if let Some((bytes, _)) = &outcome.cleaned {
        out.extend_from_slice(bytes);
    }
    if let Some(preview) = &outcome.preview {
        out.extend_from_slice(preview);
    }
    out
}

/// Reads the child's answer back; `Err` says what was wrong with it.
pub fn decode(answer: &[u8]) -> Result<Outcome, String> {
    let end = answer
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("no verdict line")?;
    let verdict: Verdict =
        serde_json::from_slice(&answer[..end]).map_err(|e| format!("verdict: {e}"))?;
    let mut rest = &answer[end + 1..];
    let mut take = |len: u64| -> Result<Vec<u8>, String> {
        let len = usize::try_from(len).map_err(|_| "length")?;
        if len > rest.len() {
            return Err("the answer is shorter than its verdict says".into());
        }
        let (bytes, tail) = rest.split_at(len);
        rest = tail;
        Ok(bytes.to_vec())
    };
    let cleaned = match verdict.cleaned {
        Some((len, mime)) => {
            let mime = match mime.as_str() {
                "image/png" => "image/png",
                "image/jpeg" => "image/jpeg",
                other => return Err(format!("cleaned copy of type {other}")),
            };
            Some((take(len)?, mime))
        }
        None => None,
    };
    let preview = verdict.preview.map(&mut take).transpose()?;
    if !rest.is_empty() {
        return Err("bytes after the answer".into());
    }
    let reasons = verdict
        .reasons
        .iter()
        .map(|(code, detail)| {
            Reason::from_code(code, detail.as_deref()).ok_or(format!("unknown reason {code}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if verdict.passed != reasons.is_empty() {
        return Err("a verdict that passes with reasons".into());
    }
    Ok(Outcome {
        passed: verdict.passed,
        reasons,
        detected_type: verdict.detected_type,
        pages: verdict.pages,
        width: verdict.width,
        height: verdict.height,
        cleaned,
        preview,
    })
}

/// The exit status of a child that could not do its work for a reason of ours (bad arguments,
/// limits it cannot set, a closed pipe), not the file's.
pub const EXIT_OURS: i32 = 2;

/// The child's `main`: `ustaz-verify [--memory-mb N] ACCEPTED_TYPES < file`. Limits itself,
/// reads the file from stdin, inspects it against the comma-separated accepted types, and
/// writes the answer to stdout.
pub fn serve() -> std::process::ExitCode {
    let ours = |what: String| {
        eprintln!("ustaz-verify: {what}");
        std::process::ExitCode::from(EXIT_OURS as u8)
    };
    let mut args = std::env::args().skip(1);
    let mut memory = MEMORY_LIMIT;
    let mut accepted = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--memory-mb" => match args.next().and_then(|n| n.parse::<u64>().ok()) {
                Some(mb) => memory = mb.saturating_mul(1024 * 1024),
                None => return ours("--memory-mb takes a number".into()),
            },
            _ if accepted.is_none() => accepted = Some(arg),
            _ => return ours("usage: ustaz-verify [--memory-mb N] ACCEPTED_TYPES < file".into()),
        }
    }
    let Some(accepted) = accepted else {
        return ours("usage: ustaz-verify [--memory-mb N] ACCEPTED_TYPES < file".into());
    };
    if let Err(e) = limit_self(memory) {
        return ours(format!("cannot set its limits: {e}"));
    }
    let accepted: Vec<&str> = accepted.split(',').filter(|t| !t.is_empty()).collect();
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().take(MAX_INPUT).read_to_end(&mut bytes) {
        return ours(format!("reading the file: {e}"));
    }
    let outcome = crate::inspect(&bytes, &accepted);
    let mut out = std::io::stdout().lock();
    match out.write_all(&encode(&outcome)).and_then(|()| out.flush()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => ours(format!("writing the answer: {e}")),
    }
}

/// Lowers this process's address-space and CPU limits (never raises them).
#[cfg(unix)]
fn limit_self(memory: u64) -> std::io::Result<()> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    for (resource, to) in [(Resource::As, memory), (Resource::Cpu, CPU_SECONDS)] {
        let now = getrlimit(resource);
        let lower = |limit: Option<u64>| Some(limit.map_or(to, |l| l.min(to)));
        let limit = Rlimit {
            current: lower(now.current),
            maximum: lower(now.maximum),
        };
        setrlimit(resource, limit)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn limit_self(_memory: u64) -> std::io::Result<()> {
    Err(std::io::Error::other("limits are set on unix only"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::*;

    #[test]
    fn an_answer_reads_back_as_the_verdict_it_was() {
        for (bytes, accepted) in [
            (png(300, 240), &["image/png"][..]),
            (pdf(2), &["application/pdf"][..]),
            (pdf(1), &["image/png"][..]),
            (Vec::new(), &["application/pdf"][..]),
        ] {
            let outcome = crate::inspect(&bytes, accepted);
            let back = decode(&encode(&outcome)).unwrap();
            assert_eq!(back.passed, outcome.passed);
            assert_eq!(back.reasons, outcome.reasons);
            assert_eq!(back.detected_type, outcome.detected_type);
            assert_eq!(
                (back.pages, back.width, back.height),
                (outcome.pages, outcome.width, outcome.height)
            );
            assert_eq!(back.cleaned, outcome.cleaned);
            assert_eq!(back.preview, outcome.preview);
        }
    }

    #[test]
    fn every_reason_survives_the_trip() {
        for reason in [
            Reason::TypeNotAllowed {
                detected: "application/zip".into(),
            },
            Reason::PdfActiveContent { what: "javascript" },
            Reason::Infected {
                signature: "Eicar".into(),
            },
            Reason::TooDemanding,
        ] {
            assert_eq!(
                Reason::from_code(reason.as_str(), reason.detail().as_deref()),
                Some(reason)
            );
        }
    }

    #[test]
    fn a_cut_or_forged_answer_is_refused() {
        let answer = encode(&crate::inspect(&png(300, 240), &["image/png"]));
        assert!(decode(&answer[..answer.len() - 1]).is_err());
        assert!(decode(&answer[..10]).is_err());
        let mut longer = answer.clone();
        longer.push(0);
        assert!(decode(&longer).is_err());
        assert!(decode(b"{\"passed\":true,\"reasons\":[[\"empty\",null]],\"detected_type\":null,\"pages\":null,\"width\":null,\"height\":null,\"cleaned\":null,\"preview\":null}\n").is_err());
    }
}
