//! Automatic verification of an uploaded applicant document.
//!
//! [`inspect`] looks at the bytes only — never the file name or the browser's content type, both of
//! which the applicant controls — and decides whether the document is fit for a human reviewer:
//! a PDF that opens without a password and has pages, or an image that decodes and is large
//! enough to read. Images come back re-encoded without metadata (phones put GPS positions in EXIF)
//! and with a small JPEG preview. The worker asks a ClamAV daemon about the same bytes, and runs
//! [`inspect`] in a child process with memory and CPU limits ([`child`]).
//!
//! Everything here works on untrusted input, so every decoder is bounded (image size and memory
//! limits, lopdf's decompression limit) and a panic inside a parser is turned into an "unreadable"
//! verdict instead of failing the job again on every retry. [`inspect`] is CPU-bound: call it from
//! `tokio::task::spawn_blocking`.

use std::fmt;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use lopdf::xref::XrefRecovery;
use lopdf::{Document, LoadOptions};

pub mod child;
pub mod fixtures;

/// Images narrower or shorter than this cannot hold a legible scan of a document.
pub const MIN_IMAGE_SIDE: u32 = 200;
/// Longest side of [`Outcome::preview`].
pub const PREVIEW_MAX_SIDE: u32 = 480;
/// Larger images are refused before any pixel is decoded (600 dpi A3 is about 7000×9900).
pub const MAX_IMAGE_SIDE: u32 = 12_000;
/// Bound on what the image decoder may allocate, so a decompression bomb fails instead of
/// exhausting the worker's memory.
pub const MAX_IMAGE_ALLOC: u64 = 320 * 1024 * 1024;
/// Larger pictures are refused from their header, before any pixel is decoded: 40 megapixels
/// is an A4 page scanned at 600 dpi with room to spare. Decoded, turned upright and re-encoded,
/// a picture is held up to three times over, so this bounds a document's memory too.
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;
/// Bound on any single PDF stream lopdf decompresses while loading (object and xref streams).
pub const MAX_PDF_STREAM: usize = 64 * 1024 * 1024;
/// Bound on all the streams of one PDF together: each stream's own bound is this shared among
/// the streams the loader will decompress, so a file of many streams each inflating to the
/// single-stream bound cannot take the worker's memory.
pub const MAX_PDF_DECOMPRESSED: usize = 256 * 1024 * 1024;
/// Quality of the cleaned JPEG: high, because it replaces the original for the reviewer.
const CLEANED_JPEG_QUALITY: u8 = 90;
const PREVIEW_JPEG_QUALITY: u8 = 80;

/// Machine-readable reasons; `as_str()` returns snake_case codes such as "type_not_allowed".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The upload has no bytes.
    Empty,
    /// The magic bytes match no known file type.
    UnknownType,
    /// A known type, but not one the programme accepts for this document.
    TypeNotAllowed { detected: String },
    /// Not a well-formed PDF, or a truncated one (lopdf would "repair" it; we do not).
    PdfUnreadable,
    /// The PDF carries an `/Encrypt` dictionary: a password or a security handler stands between
    /// the reviewer (and the virus scanner) and its content.
    PdfEncrypted,
    /// The PDF parses but has no page.
    PdfNoPages,
    /// The PDF carries something a desktop reader runs or opens by itself: JavaScript, a launch
    /// or import action, an embedded file, an XFA form, rich media. A coordinator opens these
    /// files; it is refused, and the applicant is asked for a plain scan or print to PDF.
    PdfActiveContent { what: &'static str },
    /// The image does not decode completely, or exceeds the decoding limits.
    ImageUnreadable,
    /// Below [`MIN_IMAGE_SIDE`] on either side.
    ImageTooSmall,
    /// Over [`MAX_IMAGE_PIXELS`]: refused from the header, nothing decoded.
    ImageTooLarge,
    /// ClamAV found the named signature.
    Infected { signature: String },
    /// ClamAV could not be asked; the document waits for a rescan rather than passing unscanned.
    ScanUnavailable,
    /// The inspection went over its memory or time limit ([`child`]), or its process died.
    TooDemanding,
}

/// What [`Reason::PdfActiveContent`] names: the kinds [`active_in`] finds.
const ACTIVE_KINDS: [&str; 8] = [
    "nesting",
    "javascript",
    "launch",
    "action",
    "rich_media",
    "embedded_file",
    "xfa",
    "unreadable",
];

impl Reason {
    /// The stable code stored with the verdict and used as the translation key.
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::Empty => "empty",
            Reason::UnknownType => "unknown_type",
            Reason::TypeNotAllowed { .. } => "type_not_allowed",
            Reason::PdfUnreadable => "pdf_unreadable",
            Reason::PdfEncrypted => "pdf_encrypted",
            Reason::PdfNoPages => "pdf_no_pages",
            Reason::PdfActiveContent { .. } => "pdf_active_content",
            Reason::ImageUnreadable => "image_unreadable",
            Reason::ImageTooSmall => "image_too_small",
            Reason::ImageTooLarge => "image_too_large",
            Reason::Infected { .. } => "infected",
            Reason::ScanUnavailable => "scan_unavailable",
            Reason::TooDemanding => "too_demanding",
        }
    }

    /// What the reason names beyond its code (the type found, the active content, the
    /// signature).
    pub fn detail(&self) -> Option<String> {
        match self {
            Reason::TypeNotAllowed { detected } => Some(detected.clone()),
            Reason::PdfActiveContent { what } => Some((*what).to_owned()),
            Reason::Infected { signature } => Some(signature.clone()),
            _ => None,
        }
    }

    /// The reason with this code and detail, as [`Reason::as_str`] and [`Reason::detail`] gave
    /// them; `None` for anything else.
    pub fn from_code(code: &str, detail: Option<&str>) -> Option<Reason> {
        Some(match (code, detail) {
            ("empty", None) => Reason::Empty,
            ("unknown_type", None) => Reason::UnknownType,
            ("type_not_allowed", Some(d)) => Reason::TypeNotAllowed {
                detected: d.to_owned(),
            },
            ("pdf_unreadable", None) => Reason::PdfUnreadable,
            ("pdf_encrypted", None) => Reason::PdfEncrypted,
            ("pdf_no_pages", None) => Reason::PdfNoPages,
            ("pdf_active_content", Some(d)) => Reason::PdfActiveContent {
                what: ACTIVE_KINDS.into_iter().find(|k| *k == d)?,
            },
            ("image_unreadable", None) => Reason::ImageUnreadable,
            ("image_too_small", None) => Reason::ImageTooSmall,
            ("image_too_large", None) => Reason::ImageTooLarge,
            ("infected", Some(d)) => Reason::Infected {
                signature: d.to_owned(),
            },
            ("scan_unavailable", None) => Reason::ScanUnavailable,
            ("too_demanding", None) => Reason::TooDemanding,
            _ => return None,
        })
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::TypeNotAllowed { detected } => write!(f, "{} ({detected})", self.as_str()),
            Reason::Infected { signature } => write!(f, "{} ({signature})", self.as_str()),
            Reason::PdfActiveContent { what } => write!(f, "{} ({what})", self.as_str()),
            other => f.write_str(other.as_str()),
        }
    }
}

/// What the bytes really are: MIME type from the magic bytes (e.g. "application/pdf", "image/png",
/// "image/jpeg", "image/webp"), never the file name.
///
/// Any type `infer` knows is named, so a ZIP or a GIF is reported as what it is
/// ([`Reason::TypeNotAllowed`]) rather than as unknown.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    infer::get(bytes).map(|kind| kind.mime_type())
}

/// The verdict on one document, with what was learned on the way.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// True iff `reasons` is empty.
    pub passed: bool,
    pub reasons: Vec<Reason>,
    pub detected_type: Option<String>,
    /// PDFs: number of pages.
    pub pages: Option<u32>,
    /// Images: size after applying the EXIF orientation, i.e. as the reviewer sees it.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// For images: the image re-encoded (same format as detected for png/jpeg; webp may be
    /// re-encoded as png) so EXIF/GPS and every other metadata chunk is gone. None for PDFs.
    pub cleaned: Option<(Vec<u8>, &'static str /*mime*/)>,
    /// A JPEG preview at most 480 px on the long side, for images. None for PDFs.
    pub preview: Option<Vec<u8>>,
}

impl Outcome {
    /// Adds a reason and keeps `passed` in step with it.
    pub fn fail(&mut self, reason: Reason) {
        self.reasons.push(reason);
        self.passed = false;
    }

    /// Folds the result of a clamd scan into the verdict: a signature fails the document, an
    /// unreachable scanner fails it with [`Reason::ScanUnavailable`] so it is never passed unscanned.
    pub fn record_scan(&mut self, scan: &Result<Option<String>, String>) {
        match scan {
            Ok(None) => {}
            Ok(Some(signature)) => self.fail(Reason::Infected {
                signature: signature.clone(),
            }),
            Err(_) => self.fail(Reason::ScanUnavailable),
        }
    }
}

/// `accepted` is a list of MIME types the programme accepts for this document (e.g.
/// ["application/pdf","image/jpeg","image/png"]).
///
/// PDFs, PNG, JPEG and WebP are checked in depth. Another type the programme accepts (say
/// "image/gif") passes on its magic bytes alone, without `cleaned` or `preview`.
pub fn inspect(bytes: &[u8], accepted: &[&str]) -> Outcome {
    let mut outcome = Outcome::default();
    if bytes.is_empty() {
        outcome.fail(Reason::Empty);
        return outcome;
    }
    let Some(detected) = sniff(bytes) else {
        outcome.fail(Reason::UnknownType);
        return outcome;
    };
    outcome.detected_type = Some(detected.to_owned());
    if !accepted
        .iter()
        .any(|a| a.trim().eq_ignore_ascii_case(detected))
    {
        outcome.fail(Reason::TypeNotAllowed {
            detected: detected.to_owned(),
        });
        return outcome;
    }
    match detected {
        "application/pdf" => inspect_pdf(bytes, &mut outcome),
        "image/png" => inspect_image(bytes, ImageFormat::Png, &mut outcome),
        "image/jpeg" => inspect_image(bytes, ImageFormat::Jpeg, &mut outcome),
        "image/webp" => inspect_image(bytes, ImageFormat::WebP, &mut outcome),
        _ => {}
    }
    outcome.passed = outcome.reasons.is_empty();
    outcome
}

/// Runs a parser on untrusted bytes; a panic becomes `None` (the parser could not read them).
fn guarded<T>(parse: impl FnOnce() -> T) -> Option<T> {
    catch_unwind(AssertUnwindSafe(parse)).ok()
}

/// The bound on each stream the loader decompresses (object and cross-reference streams):
/// [`MAX_PDF_DECOMPRESSED`] shared among them, between 1 MB and [`MAX_PDF_STREAM`]. Their
/// dictionaries are never compressed, so the raw bytes tell how many there are.
fn pdf_stream_bound(bytes: &[u8]) -> usize {
    let count = |needle: &[u8]| bytes.windows(needle.len()).filter(|w| *w == needle).count();
    let streams = (count(b"/ObjStm") + count(b"/XRef")).max(1);
    (MAX_PDF_DECOMPRESSED / streams).clamp(1024 * 1024, MAX_PDF_STREAM)
}

fn inspect_pdf(bytes: &[u8], outcome: &mut Outcome) {
    let options = LoadOptions {
        max_decompressed_size: Some(pdf_stream_bound(bytes)),
        ..LoadOptions::default()
    };
    let loaded = guarded(|| Document::load_mem_with_options(bytes, options)).and_then(Result::ok);
    let Some(doc) = loaded else {
        // lopdf gave up; still tell the applicant about a password, the fix they can act on.
        outcome.fail(if mentions_encrypt(bytes) {
            Reason::PdfEncrypted
        } else {
            Reason::PdfUnreadable
        });
        return;
    };
    // Before anything that reads pages: lopdf loads an encrypted file without complaint, with
    // `/Encrypt` still in the trailer (password unknown) or, if the user password is empty,
    // silently decrypted (`was_encrypted`). Either way the file itself is encrypted.
    if doc.trailer.has(b"Encrypt") || doc.was_encrypted() {
        outcome.fail(Reason::PdfEncrypted);
        return;
    }
    // Lenient loading rebuilds a lost cross-reference table by scanning for objects, which turns
    // a truncated upload into a document with pages missing. Refuse both that and a file whose
    // end is gone: readers require `%%EOF` within the last 1024 bytes.
    let rebuilt = doc.xref_recovery == Some(XrefRecovery::Reconstructed);
    if rebuilt || !ends_with_eof_marker(bytes) {
        // A rebuilt trailer may have lost `/Encrypt`; look at the raw bytes again.
        outcome.fail(if mentions_encrypt(bytes) {
            Reason::PdfEncrypted
        } else {
            Reason::PdfUnreadable
        });
        return;
    }
    if let Some(what) = guarded(|| active_content(&doc)).unwrap_or(Some("unreadable")) {
        outcome.fail(Reason::PdfActiveContent { what });
        return;
    }
    let Some(pages) = guarded(|| doc.get_pages().len()) else {
        outcome.fail(Reason::PdfUnreadable);
        return;
    };
    outcome.pages = Some(u32::try_from(pages).unwrap_or(u32::MAX));
    if pages == 0 {
        outcome.fail(Reason::PdfNoPages);
    }
}

/// The first kind of active content anywhere in the document, if any: every object is looked
/// at (those in object streams too), with the dictionaries and arrays written inside them.
fn active_content(doc: &Document) -> Option<&'static str> {
    doc.objects
        .values()
        .chain(std::iter::once(&lopdf::Object::Dictionary(
            doc.trailer.clone(),
        )))
        .find_map(|o| active_in(o, 0))
}

/// Nesting deeper than any real document's; deeper still is refused as active (a file built to
/// hide something, or to exhaust the stack).
const MAX_PDF_NESTING: usize = 64;

fn active_in(object: &lopdf::Object, depth: usize) -> Option<&'static str> {
    use lopdf::Object;
    if depth > MAX_PDF_NESTING {
        return Some("nesting");
    }
    let dict = match object {
        Object::Dictionary(d) => d,
        Object::Stream(s) => &s.dict,
        Object::Array(items) => return items.iter().find_map(|o| active_in(o, depth + 1)),
        _ => return None,
    };
    for (key, value) in dict.iter() {
        let name = value.as_name().ok();
        let found = match (key.as_slice(), name) {
            (b"JS" | b"JavaScript", _) => Some("javascript"),
            (b"S", Some(b"JavaScript")) => Some("javascript"),
            (b"S", Some(b"Launch")) => Some("launch"),
            (b"S", Some(b"ImportData" | b"GoToE" | b"SubmitForm")) => Some("action"),
            (b"S", Some(b"RichMediaExecute")) | (b"RichMedia" | b"RichMediaContent", _) => {
                Some("rich_media")
            }
            (b"EmbeddedFiles" | b"EF", _) | (b"Type", Some(b"EmbeddedFile")) => {
                Some("embedded_file")
            }
            (b"XFA", _) => Some("xfa"),
            _ => active_in(value, depth + 1),
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// `%%EOF` within the last 1024 bytes, where PDF readers look for it.
fn ends_with_eof_marker(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    tail.windows(5).any(|w| w == b"%%EOF")
}

/// A raw look for an `/Encrypt` key, for files whose trailer lopdf could not read.
fn mentions_encrypt(bytes: &[u8]) -> bool {
    bytes.windows(8).any(|w| w == b"/Encrypt")
}

fn inspect_image(bytes: &[u8], format: ImageFormat, outcome: &mut Outcome) {
    // zune-jpeg (behind `image`) pads a truncated JPEG with grey instead of failing; check the
    // marker structure runs through to EOI ourselves. PNG and WebP decoders fail on truncation.
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        outcome.fail(Reason::ImageUnreadable);
        return;
    }
    let image = match guarded(|| decode_image(bytes, format)) {
        Some(Ok(Some(image))) => image,
        Some(Ok(None)) => {
            outcome.fail(Reason::ImageTooLarge);
            return;
        }
        _ => {
            outcome.fail(Reason::ImageUnreadable);
            return;
        }
    };
    outcome.width = Some(image.width());
    outcome.height = Some(image.height());
    if image.width() < MIN_IMAGE_SIDE || image.height() < MIN_IMAGE_SIDE {
        outcome.fail(Reason::ImageTooSmall);
    }
    match guarded(|| encode_cleaned(&image, format)) {
        Some(Ok(cleaned)) => outcome.cleaned = Some(cleaned),
        _ => {
            outcome.fail(Reason::ImageUnreadable);
            return;
        }
    }
    match guarded(|| encode_preview(&image)) {
        Some(Ok(preview)) => outcome.preview = Some(preview),
        _ => outcome.fail(Reason::ImageUnreadable),
    }
}

/// Decodes with bounded size and memory, and turns the picture upright: the EXIF orientation is
/// about to be stripped with the rest of the metadata, so it has to be applied to the pixels.
/// `None` when the header declares more than [`MAX_IMAGE_PIXELS`].
fn decode_image(bytes: &[u8], format: ImageFormat) -> image::ImageResult<Option<DynamicImage>> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
        return Ok(None);
    }
    let orientation = decoder.orientation()?;
    let mut image = DynamicImage::from_decoder(decoder)?;
    image.apply_orientation(orientation);
    Ok(Some(image))
}

/// Re-encodes from pixels alone, so nothing of the original file but the picture survives.
fn encode_cleaned(
    image: &DynamicImage,
    format: ImageFormat,
) -> image::ImageResult<(Vec<u8>, &'static str)> {
    let mut out = Vec::new();
    if format == ImageFormat::Jpeg {
        // JPEG decodes to grey or RGB (CMYK is converted); anything else is made RGB.
        let encoder = JpegEncoder::new_with_quality(&mut out, CLEANED_JPEG_QUALITY);
        match image {
            DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => {
                image.write_with_encoder(encoder)?
            }
            other => DynamicImage::ImageRgb8(other.to_rgb8()).write_with_encoder(encoder)?,
        }
        Ok((out, "image/jpeg"))
    } else {
        // PNG keeps alpha and 16-bit depth; WebP becomes PNG because `image` only writes
        // lossless WebP, and PNG is what every browser shows.
        match image {
            DynamicImage::ImageLuma8(_)
            | DynamicImage::ImageLumaA8(_)
            | DynamicImage::ImageRgb8(_)
            | DynamicImage::ImageRgba8(_)
            | DynamicImage::ImageLuma16(_)
            | DynamicImage::ImageLumaA16(_)
            | DynamicImage::ImageRgb16(_)
            | DynamicImage::ImageRgba16(_) => {
                image.write_with_encoder(PngEncoder::new(&mut out))?
            }
            other => DynamicImage::ImageRgba8(other.to_rgba8())
                .write_with_encoder(PngEncoder::new(&mut out))?,
        }
        Ok((out, "image/png"))
    }
}

/// A small JPEG for lists and the review screen. Transparency is laid on white: documents are
/// dark on light, and dropping alpha would leave them dark on black.
fn encode_preview(image: &DynamicImage) -> image::ImageResult<Vec<u8>> {
    let small = if image.width().max(image.height()) > PREVIEW_MAX_SIDE {
        image.thumbnail(PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE)
    } else {
        image.clone()
    };
    let rgb = if small.color().has_alpha() {
        let rgba = small.to_rgba8();
        RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
            let [r, g, b, a] = rgba.get_pixel(x, y).0;
            let over_white = |c: u8| {
                let (c, a) = (u16::from(c), u16::from(a));
                // c·a + 255·(255−a), divided by 255 and rounded; fits in u8 by construction.
                ((c * a + 255 * (255 - a) + 127) / 255) as u8
            };
            image::Rgb([over_white(r), over_white(g), over_white(b)])
        })
    } else {
        small.to_rgb8()
    };
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(rgb).write_with_encoder(JpegEncoder::new_with_quality(
        &mut out,
        PREVIEW_JPEG_QUALITY,
    ))?;
    Ok(out)
}

/// Walks the JPEG marker structure from SOI to EOI: segment lengths, then entropy-coded data up to
/// the next real marker. A file cut anywhere never reaches EOI. Bytes after EOI (some cameras
/// append data there) are allowed; metadata segments are skipped by length, so a thumbnail's
/// own EOI inside APP1 does not count.
fn jpeg_is_complete(b: &[u8]) -> bool {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut i = 2;
    loop {
        // Tolerate stray bytes between segments, as libjpeg does, then skip fill bytes.
        while i < b.len() && b[i] != 0xFF {
            i += 1;
        }
        while i < b.len() && b[i] == 0xFF {
            i += 1;
        }
        let Some(&marker) = b.get(i) else {
            return false;
        };
        i += 1;
        match marker {
            0xD9 => return true,            // EOI
            0x01 | 0xD0..=0xD8 => continue, // TEM, RSTn, SOI: no length
            0x00 => return false,           // stuffed byte outside entropy data
            _ => {
                let Some(len) = b.get(i..i + 2) else {
                    return false;
                };
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                if len < 2 || i + len > b.len() {
                    return false;
                }
                i += len;
                if marker == 0xDA {
                    // Entropy-coded scan data: 0xFF00 is a stuffed byte, 0xFFD0–D7 a restart,
                    // 0xFFFF fill; any other 0xFFxx ends the scan.
                    loop {
                        match (b.get(i), b.get(i + 1)) {
                            (Some(0xFF), Some(0x00 | 0xD0..=0xD7)) => i += 2,
                            (Some(0xFF), Some(0xFF)) => i += 1,
                            (Some(0xFF), Some(_)) => break,
                            (Some(_), _) => i += 1,
                            (None, _) => return false,
                        }
                    }
                }
            }
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb, Rgba};
    use lopdf::dictionary;
    use lopdf::xref::XrefType;

    const DOCS: &[&str] = &["application/pdf", "image/jpeg", "image/png"];
    use crate::fixtures::*;

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn reasons(bytes: &[u8], accepted: &[&str]) -> Vec<Reason> {
        inspect(bytes, accepted).reasons
    }

    // ---------- type detection ----------

    #[test]
    fn empty_bytes_are_empty() {
        let outcome = inspect(&[], DOCS);
        assert!(!outcome.passed);
        assert_eq!(outcome.reasons, [Reason::Empty]);
        assert_eq!(outcome.reasons[0].as_str(), "empty");
    }

    #[test]
    fn random_bytes_are_of_unknown_type() {
        let bytes = noise(4096, 42);
        assert_eq!(sniff(&bytes), None);
        assert_eq!(reasons(&bytes, DOCS), [Reason::UnknownType]);
        assert_eq!(
            reasons(b"just some text, renamed to cv.pdf", DOCS),
            [Reason::UnknownType]
        );
    }

    #[test]
    fn sniff_names_the_formats_by_their_magic_bytes() {
        assert_eq!(sniff(&pdf(1)), Some("application/pdf"));
        assert_eq!(sniff(&png(8, 8)), Some("image/png"));
        assert_eq!(sniff(&jpeg(8, 8)), Some("image/jpeg"));
    }

    #[test]
    fn a_png_where_only_pdf_is_accepted_is_not_allowed() {
        let outcome = inspect(&png(300, 300), &["application/pdf"]);
        assert!(!outcome.passed);
        assert_eq!(
            outcome.reasons,
            [Reason::TypeNotAllowed {
                detected: "image/png".into()
            }]
        );
        assert_eq!(outcome.reasons[0].as_str(), "type_not_allowed");
        assert_eq!(outcome.detected_type.as_deref(), Some("image/png"));
        assert!(outcome.cleaned.is_none());
    }

    #[test]
    fn accepted_types_compare_without_case() {
        assert!(inspect(&pdf(1), &["Application/PDF"]).passed);
    }

    // ---------- PDF ----------

    #[test]
    fn a_valid_pdf_passes_with_its_page_count() {
        let outcome = inspect(&pdf(2), DOCS);
        assert!(outcome.passed, "{:?}", outcome.reasons);
        assert_eq!(outcome.detected_type.as_deref(), Some("application/pdf"));
        assert_eq!(outcome.pages, Some(2));
        assert!(outcome.cleaned.is_none() && outcome.preview.is_none());
        assert_eq!(inspect(&pdf(1), DOCS).pages, Some(1));
    }

    /// Hole 6: many object streams, each allowed to inflate to the single-stream bound, once
    /// added up to more memory than a worker has. The bound is now shared among them.
    #[test]
    fn the_pdf_decompression_budget_is_shared_among_its_streams() {
        assert_eq!(pdf_stream_bound(&pdf(1)), MAX_PDF_STREAM);
        let many: Vec<u8> = b"<< /Type /ObjStm /N 1 >> ".repeat(1000);
        let each = pdf_stream_bound(&many);
        assert_eq!(each, 1024 * 1024);
        let some: Vec<u8> = b"<< /Type /ObjStm >> << /Type /XRef >> ".repeat(8);
        assert_eq!(pdf_stream_bound(&some), MAX_PDF_DECOMPRESSED / 16);
        assert!(pdf_stream_bound(&some) * 16 <= MAX_PDF_DECOMPRESSED);
    }

    /// Hole 13: a PDF that runs JavaScript when opened (or launches a program, carries an
    /// embedded file or an XFA form) once passed; a coordinator opening it in a desktop reader
    /// would run it.
    #[test]
    fn a_pdf_with_active_content_is_refused_with_what_it_carries() {
        use lopdf::Object;
        let js =
            dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)") };
        let launch = dictionary! { "S" => "Launch", "F" => Object::string_literal("calc.exe") };
        let embedded = dictionary! {
            "EmbeddedFiles" => dictionary! { "Names" => vec![Object::string_literal("a.exe"), dictionary! {
                "Type" => "Filespec", "F" => Object::string_literal("a.exe"),
                "EF" => dictionary! { "F" => Object::Null } }.into()] }
        };
        let cases: Vec<(&str, Object, &str)> = vec![
            ("OpenAction", js.into(), "javascript"),
            ("OpenAction", launch.into(), "launch"),
            ("Names", embedded.into(), "embedded_file"),
            ("AcroForm", dictionary! { "XFA" => Object::Null, "Fields" => vec![] }.into(), "xfa"),
            (
                "AA",
                dictionary! { "WC" => dictionary! { "S" => "SubmitForm", "F" => Object::string_literal("http://x") } }.into(),
                "action",
            ),
        ];
        for (key, value, what) in cases {
            let bytes = pdf_with_catalog(&[(key, value)]);
            assert_eq!(
                reasons(&bytes, DOCS),
                [Reason::PdfActiveContent { what }],
                "{key}"
            );
        }
        assert_eq!(
            Reason::PdfActiveContent { what: "launch" }.as_str(),
            "pdf_active_content"
        );
        // An ordinary link action stays fine.
        let uri = dictionary! { "S" => "URI", "URI" => Object::string_literal("https://ustaz.kz") };
        assert!(inspect(&pdf_with_catalog(&[("OpenAction", uri.into())]), DOCS).passed);
    }

    #[test]
    fn a_pdf_cut_in_half_is_unreadable() {
        let full = pdf(2);
        let half = &full[..full.len() / 2];
        assert_eq!(reasons(half, DOCS), [Reason::PdfUnreadable]);
    }

    #[test]
    fn a_pdf_missing_its_end_is_unreadable() {
        // Cut before `%%EOF`, `startxref`, the trailer and the xref data, for both kinds of
        // cross-reference data (a classic table and a PDF 1.5 stream).
        let mut classic = pdf_document(2);
        classic.reference_table.cross_reference_type = XrefType::CrossReferenceTable;
        for full in [save(classic), pdf(2)] {
            assert!(inspect(&full, DOCS).passed);
            let markers: [&[u8]; 5] =
                [b"%%EOF", b"startxref", b"trailer", b"\nxref", b"/Type/XRef"];
            let mut cuts = 0;
            for marker in markers {
                let Some(at) = full.windows(marker.len()).rposition(|w| w == marker) else {
                    continue;
                };
                assert_eq!(
                    reasons(&full[..at], DOCS),
                    [Reason::PdfUnreadable],
                    "cut before {marker:?}"
                );
                cuts += 1;
            }
            assert!(cuts >= 3);
        }
    }

    #[test]
    fn a_pdf_whose_xref_table_is_gone_is_not_accepted_repaired() {
        // Keep `%%EOF` but point `startxref` nowhere: lopdf would rebuild the table by scanning.
        let full = pdf(2);
        let at = full.windows(9).rposition(|w| w == b"startxref").unwrap();
        let mut broken = full[..at].to_vec();
        broken.extend_from_slice(b"startxref\n999999\n%%EOF\n");
        assert_eq!(reasons(&broken, DOCS), [Reason::PdfUnreadable]);
    }

    #[test]
    fn a_pdf_with_a_user_password_is_encrypted() {
        let outcome = inspect(&encrypted_pdf("secret"), DOCS);
        assert_eq!(outcome.reasons, [Reason::PdfEncrypted]);
        assert_eq!(outcome.reasons[0].as_str(), "pdf_encrypted");
        assert_eq!(outcome.pages, None);
    }

    #[test]
    fn a_pdf_with_only_an_owner_password_is_encrypted_too() {
        // lopdf decrypts this one silently with the empty user password; it must not pass.
        assert_eq!(reasons(&encrypted_pdf(""), DOCS), [Reason::PdfEncrypted]);
    }

    #[test]
    fn a_pdf_with_a_hand_written_encrypt_dictionary_is_encrypted() {
        // A security handler lopdf does not know: it cannot authenticate, but must still refuse.
        let mut doc = pdf_document(1);
        let encrypt_id = doc.add_object(dictionary! {
            "Filter" => "Adobe.PubSec", "V" => 4, "R" => 4, "Length" => 128,
        });
        doc.trailer.set("Encrypt", encrypt_id);
        assert_eq!(reasons(&save(doc), DOCS), [Reason::PdfEncrypted]);
    }

    #[test]
    fn a_damaged_encrypted_pdf_is_reported_as_encrypted() {
        // Cut inside the cross-reference stream: lopdf cannot load it at all, but the password
        // is what the applicant has to deal with first.
        let full = encrypted_pdf("secret");
        let at = full.windows(10).rposition(|w| w == b"/Type/XRef").unwrap();
        assert!(Document::load_mem(&full[..at]).is_err());
        assert_eq!(reasons(&full[..at], DOCS), [Reason::PdfEncrypted]);
    }

    #[test]
    fn a_pdf_cut_inside_an_incremental_update_is_unreadable() {
        // The first revision is intact, the appended one is cut short: lopdf rebuilds around it.
        let mut bytes = pdf(2);
        bytes.extend_from_slice(b"\n10 0 obj\n<</Filler (");
        bytes.extend(std::iter::repeat_n(b'x', 3000));
        assert_eq!(reasons(&bytes, DOCS), [Reason::PdfUnreadable]);
    }

    #[test]
    fn a_pdf_must_end_with_its_eof_marker() {
        let mut bytes = pdf(1);
        bytes.extend(std::iter::repeat_n(b' ', 2000));
        assert_eq!(reasons(&bytes, DOCS), [Reason::PdfUnreadable]);
        assert!(ends_with_eof_marker(b"%PDF-1.4 ... %%EOF\r\n"));
        assert!(!ends_with_eof_marker(b"%%EO"));
    }

    #[test]
    fn a_pdf_without_pages_fails() {
        let outcome = inspect(&pdf(0), DOCS);
        assert_eq!(outcome.reasons, [Reason::PdfNoPages]);
        assert_eq!(outcome.pages, Some(0));
    }

    #[test]
    fn pdf_magic_followed_by_garbage_is_unreadable() {
        let mut bytes = b"%PDF-1.7\n".to_vec();
        bytes.extend(noise(2000, 3));
        assert_eq!(reasons(&bytes, DOCS), [Reason::PdfUnreadable]);
    }

    // ---------- images ----------

    #[test]
    fn a_png_passes_and_its_metadata_is_gone() {
        let original = png_with_metadata();
        assert!(contains(&original, GPS) && contains(&original, b"eXIf"));
        let outcome = inspect(&original, DOCS);
        assert!(outcome.passed, "{:?}", outcome.reasons);
        assert_eq!((outcome.width, outcome.height), (Some(300), Some(240)));
        let (cleaned, mime) = outcome.cleaned.unwrap();
        assert_eq!(mime, "image/png");
        assert_eq!(sniff(&cleaned), Some("image/png"));
        assert!(!contains(&cleaned, GPS));
        assert!(!contains(&cleaned, b"GPS"));
        assert!(!contains(&cleaned, b"eXIf") && !contains(&cleaned, b"tEXt"));
        // Same pixels, losslessly.
        let before = image::load_from_memory(&original).unwrap().to_rgb8();
        let after = image::load_from_memory(&cleaned).unwrap().to_rgb8();
        assert_eq!(before, after);
    }

    #[test]
    fn a_jpeg_loses_its_exif_segment() {
        let original = jpeg_with_exif(320, 240, 1);
        assert!(contains(&original, b"Exif\0\0") && contains(&original, b"GPS"));
        let outcome = inspect(&original, DOCS);
        assert!(outcome.passed, "{:?}", outcome.reasons);
        let (cleaned, mime) = outcome.cleaned.unwrap();
        assert_eq!(mime, "image/jpeg");
        assert_eq!(sniff(&cleaned), Some("image/jpeg"));
        assert!(!contains(&cleaned, b"GPS"));
        assert!(!contains(&cleaned, b"Exif"));
        assert!(jpeg_is_complete(&cleaned));
    }

    #[test]
    fn the_exif_orientation_is_applied_before_it_is_stripped() {
        // Orientation 6: the camera was held sideways; viewers rotate 90° clockwise.
        let outcome = inspect(&jpeg_with_exif(320, 240, 6), DOCS);
        assert!(outcome.passed, "{:?}", outcome.reasons);
        assert_eq!((outcome.width, outcome.height), (Some(240), Some(320)));
        let cleaned = image::load_from_memory(&outcome.cleaned.unwrap().0).unwrap();
        assert_eq!((cleaned.width(), cleaned.height()), (240, 320));
    }

    #[test]
    fn the_preview_is_a_jpeg_at_most_480_on_the_long_side() {
        let outcome = inspect(&png(1000, 600), DOCS);
        assert!(outcome.passed, "{:?}", outcome.reasons);
        let preview = outcome.preview.unwrap();
        assert_eq!(sniff(&preview), Some("image/jpeg"));
        let preview = image::load_from_memory(&preview).unwrap();
        assert_eq!(preview.width().max(preview.height()), 480);
        assert_eq!(preview.height(), 288);
        // A small image is not blown up.
        let preview = inspect(&png(300, 200), DOCS).preview.unwrap();
        let preview = image::load_from_memory(&preview).unwrap();
        assert_eq!((preview.width(), preview.height()), (300, 200));
    }

    #[test]
    fn transparent_pixels_preview_as_white() {
        let clear = image::RgbaImage::from_pixel(300, 300, Rgba([0, 0, 0, 0]));
        let mut bytes = Vec::new();
        DynamicImage::ImageRgba8(clear)
            .write_with_encoder(PngEncoder::new(&mut bytes))
            .unwrap();
        let outcome = inspect(&bytes, DOCS);
        assert!(outcome.passed);
        let preview = image::load_from_memory(&outcome.preview.unwrap())
            .unwrap()
            .to_rgb8();
        let Rgb([r, g, b]) = *preview.get_pixel(150, 150);
        assert!(r > 245 && g > 245 && b > 245, "{r} {g} {b}");
        // The cleaned PNG keeps the alpha channel.
        let cleaned = image::load_from_memory(&outcome.cleaned.unwrap().0).unwrap();
        assert!(cleaned.color().has_alpha());
    }

    #[test]
    fn a_small_image_is_too_small() {
        let outcome = inspect(&png(50, 50), DOCS);
        assert_eq!(outcome.reasons, [Reason::ImageTooSmall]);
        assert_eq!(outcome.reasons[0].as_str(), "image_too_small");
        assert_eq!((outcome.width, outcome.height), (Some(50), Some(50)));
        // Too narrow on one side is too small as well.
        assert_eq!(reasons(&jpeg(1000, 150), DOCS), [Reason::ImageTooSmall]);
    }

    #[test]
    fn a_truncated_png_is_unreadable() {
        let full = png(300, 300);
        let outcome = inspect(&full[..full.len() / 2], DOCS);
        assert_eq!(outcome.reasons, [Reason::ImageUnreadable]);
        assert!(outcome.cleaned.is_none() && outcome.preview.is_none());
        // Cut inside the last chunk, just before IEND.
        assert_eq!(
            reasons(&full[..full.len() - 20], DOCS),
            [Reason::ImageUnreadable]
        );
    }

    #[test]
    fn a_truncated_jpeg_is_unreadable() {
        let full = jpeg_with_exif(400, 300, 1);
        for cut in [full.len() / 2, full.len() - 2, 200] {
            assert_eq!(
                reasons(&full[..cut], DOCS),
                [Reason::ImageUnreadable],
                "cut at {cut}"
            );
        }
        // Bytes after EOI are tolerated.
        let mut trailing = full.clone();
        trailing.extend_from_slice(b"camera trailer");
        assert!(inspect(&trailing, DOCS).passed);
    }

    #[test]
    fn a_png_claiming_a_huge_canvas_is_refused_before_decoding() {
        // Patch IHDR of a tiny PNG: 60000×60000 (over the side limit: not even a decoder),
        // 12000×12000 RGBA 16-bit (1.1 GB) and 7000×7000 RGB (49 megapixels; hole 6 of the
        // trust issue: within the sides, over the pixel budget of one document).
        for (side, depth, colour, reason) in [
            (60_000u32, 8u8, 2u8, Reason::ImageUnreadable),
            (12_000, 16, 6, Reason::ImageTooLarge),
            (7_000, 8, 2, Reason::ImageTooLarge),
        ] {
            let mut bytes = png(8, 8);
            let mut ihdr = side.to_be_bytes().to_vec();
            ihdr.extend_from_slice(&side.to_be_bytes());
            ihdr.extend_from_slice(&[depth, colour, 0, 0, 0]);
            bytes.splice(8..PNG_AFTER_IHDR, png_chunk(b"IHDR", &ihdr));
            assert_eq!(reasons(&bytes, DOCS), [reason], "{side}");
        }
        assert_eq!(Reason::ImageTooLarge.as_str(), "image_too_large");
    }

    #[test]
    fn a_webp_is_cleaned_as_png() {
        let pixels = noise(300 * 300 * 3, 9);
        let mut webp = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
            .write_image(&pixels, 300, 300, image::ExtendedColorType::Rgb8)
            .unwrap();
        assert_eq!(sniff(&webp), Some("image/webp"));
        let outcome = inspect(&webp, &["image/webp"]);
        assert!(outcome.passed, "{:?}", outcome.reasons);
        assert_eq!(outcome.cleaned.unwrap().1, "image/png");
        assert_eq!(
            reasons(&webp[..webp.len() / 2], &["image/webp"]),
            [Reason::ImageUnreadable]
        );
    }

    #[test]
    fn jpeg_structure_walk_skips_a_thumbnail_eoi_inside_app1() {
        // An APP1 whose payload ends in FFD9, as an embedded thumbnail does, then a cut.
        let full = jpeg(256, 256);
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD8, 0xFF, 0xD9];
        bytes.extend_from_slice(&full[2..full.len() / 2]);
        assert!(!jpeg_is_complete(&bytes));
        assert!(jpeg_is_complete(&full));
    }

    // ---------- outcome and reasons ----------

    #[test]
    fn codes_are_snake_case_read_back_and_have_a_message_in_every_language() {
        let all = [
            Reason::Empty,
            Reason::UnknownType,
            Reason::TypeNotAllowed {
                detected: "x".into(),
            },
            Reason::PdfUnreadable,
            Reason::PdfEncrypted,
            Reason::PdfNoPages,
            Reason::PdfActiveContent { what: "xfa" },
            Reason::ImageUnreadable,
            Reason::ImageTooSmall,
            Reason::ImageTooLarge,
            Reason::Infected {
                signature: "x".into(),
            },
            Reason::ScanUnavailable,
            Reason::TooDemanding,
        ];
        let locales = [
            include_str!("../../../domain/locales/en.ftl"),
            include_str!("../../../domain/locales/ru.ftl"),
            include_str!("../../../domain/locales/kk.ftl"),
        ];
        for reason in &all {
            let code = reason.as_str();
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code}"
            );
            assert_eq!(
                Reason::from_code(code, reason.detail().as_deref()).as_ref(),
                Some(reason)
            );
            // The applicant's page shows `reason-<code with dashes>`.
            let key = format!("\nreason-{} =", code.replace('_', "-"));
            for locale in locales {
                assert!(locale.contains(&key), "{key} missing");
            }
        }
        for kind in ACTIVE_KINDS {
            let reason = Reason::PdfActiveContent { what: kind };
            assert_eq!(Reason::from_code(reason.as_str(), Some(kind)), Some(reason));
        }
        assert_eq!(
            Reason::Infected {
                signature: "Eicar-Signature".into()
            }
            .to_string(),
            "infected (Eicar-Signature)"
        );
    }

    #[test]
    fn a_scan_result_folds_into_the_outcome() {
        let mut outcome = inspect(&pdf(1), DOCS);
        outcome.record_scan(&Ok(None));
        assert!(outcome.passed);
        outcome.record_scan(&Ok(Some("Eicar-Signature".into())));
        assert!(!outcome.passed);
        let mut outcome = inspect(&pdf(1), DOCS);
        outcome.record_scan(&Err("down".into()));
        assert_eq!(outcome.reasons, [Reason::ScanUnavailable]);
        assert!(!outcome.passed);
    }
}
