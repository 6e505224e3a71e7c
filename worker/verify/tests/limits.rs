//! The inspecting program as the worker runs it: a file in, a verdict out, and a file that
//! needs more memory than it may take ends the program, not its parent.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use verify::fixtures;

fn run(args: &[&str], file: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ustaz-verify"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // A child that dies early closes the pipe; its status says why.
    let _ = stdin.write_all(file);
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// A plain image of `side`² pixels: small as a file, `3 × side²` bytes once decoded.
fn plain_png(side: u32) -> Vec<u8> {
    use image::ImageEncoder;
    let pixels = vec![200u8; (side * side * 3) as usize];
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&pixels, side, side, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

#[test]
fn a_file_goes_in_and_its_verdict_comes_out() {
    let out = run(&["image/png,application/pdf"], &fixtures::png(300, 240));
    assert!(out.status.success(), "{out:?}");
    let outcome = verify::child::decode(&out.stdout).unwrap();
    assert!(outcome.passed, "{:?}", outcome.reasons);
    assert_eq!((outcome.width, outcome.height), (Some(300), Some(240)));
    assert!(outcome.cleaned.is_some() && outcome.preview.is_some());

    let out = run(&["image/png"], &fixtures::pdf(1));
    let outcome = verify::child::decode(&out.stdout).unwrap();
    assert_eq!(outcome.reasons[0].as_str(), "type_not_allowed");
}

/// An image inside every decoding bound (36 megapixels, about 100 MB decoded) against a 64 MB
/// limit: the program does not pass it; it ends, or answers that it could not read it.
#[test]
fn a_file_that_needs_more_memory_than_allowed_never_passes() {
    let png = plain_png(6000);
    assert!(
        png.len() < 2 * 1024 * 1024,
        "small as a file: {}",
        png.len()
    );
    let out = run(&["--memory-mb", "64", "image/png"], &png);
    if out.status.success() {
        let outcome = verify::child::decode(&out.stdout).unwrap();
        assert!(!outcome.passed);
    } else {
        assert_ne!(out.status.code(), Some(verify::child::EXIT_OURS), "{out:?}");
    }
    // With the default limit the same file passes: the limit, not the file, stopped it.
    let out = run(&["image/png"], &png);
    assert!(out.status.success(), "{out:?}");
    assert!(verify::child::decode(&out.stdout).unwrap().passed);
}

#[test]
fn bad_arguments_are_the_callers_fault_not_the_files() {
    for args in [
        &[][..],
        &["--memory-mb", "lots", "image/png"][..],
        &["a", "b"][..],
    ] {
        let out = run(args, b"%PDF-1.4");
        assert_eq!(
            out.status.code(),
            Some(verify::child::EXIT_OURS),
            "{args:?}"
        );
    }
}
