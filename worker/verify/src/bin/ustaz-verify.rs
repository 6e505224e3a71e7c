//! Inspects one file under memory and CPU limits: `ustaz-verify ACCEPTED_TYPES < file`.
//! The worker starts it for every uploaded document (`verify::child`).

fn main() -> std::process::ExitCode {
    verify::child::serve()
}
