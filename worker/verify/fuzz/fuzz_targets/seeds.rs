//! The fuzzer's seed corpus: one small file of each kind the inspection knows (the tests'
//! sample documents), so the fuzzer starts inside every checker instead of finding the magic
//! bytes first.

use lopdf::dictionary;
use verify::fixtures::*;

/// Writes the seeds into `dir`.
pub fn write(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).expect("the corpus folder");
    let javascript = dictionary! {
        "S" => "JavaScript",
        "JS" => lopdf::Object::string_literal("app.alert(1)"),
    };
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("one-page.pdf", pdf(1)),
        ("three-pages.pdf", pdf(3)),
        ("encrypted.pdf", encrypted_pdf("secret")),
        (
            "javascript.pdf",
            pdf_with_catalog(&[("OpenAction", lopdf::Object::Dictionary(javascript))]),
        ),
        ("small.png", png(16, 12)),
        ("metadata.png", png_with_metadata()),
        ("small.jpeg", jpeg(16, 12)),
        ("rotated.jpeg", jpeg_with_exif(16, 12, 6)),
        ("small.webp", webp(16, 12)),
    ];
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).expect("a seed file");
    }
}

fn webp(width: u32, height: u32) -> Vec<u8> {
    use image::ImageEncoder;
    let pixels = noise((width * height * 3) as usize, 7);
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .write_image(&pixels, width, height, image::ExtendedColorType::Rgb8)
        .expect("a webp");
    out
}
