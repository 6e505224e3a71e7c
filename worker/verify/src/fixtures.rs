//! Sample documents built in code: valid, truncated and encrypted PDFs, PNGs and JPEGs with
//! and without metadata. The verification tests, the integration tests and the upload
//! benchmark use them, so no binary fixture files live in the repository.

use image::ImageEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use lopdf::{
    Document, EncryptionState, EncryptionVersion, Object, Permissions, Stream, dictionary,
};

/// A string that looks like GPS coordinates, planted in metadata to prove it is stripped.
pub const GPS: &[u8] = b"GPSLatitude 48.858370 N GPSLongitude 2.294481 E";

/// Deterministic noise (an LCG), so images compress poorly and truncation bites.
pub fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect()
}

pub fn pdf_document(pages: usize) -> Document {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut kids = Vec::new();
    for n in 0..pages {
        let text = format!("BT /F1 24 Tf 72 720 Td (Transcript page {}) Tj ET", n + 1);
        let content_id = doc.add_object(Stream::new(dictionary! {}, text.into_bytes()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        kids.push(page_id.into());
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => pages as i64,
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    doc.trailer.set(
        "ID",
        Object::Array(vec![
            Object::string_literal(b"0123456789abcdef".to_vec()),
            Object::string_literal(b"0123456789abcdef".to_vec()),
        ]),
    );
    doc
}

pub fn save(mut doc: Document) -> Vec<u8> {
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

pub fn pdf(pages: usize) -> Vec<u8> {
    save(pdf_document(pages))
}

/// A two-page PDF whose catalog carries `extra` (say an `/OpenAction` running JavaScript).
pub fn pdf_with_catalog(extra: &[(&str, Object)]) -> Vec<u8> {
    let mut doc = pdf_document(2);
    let root = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    let catalog = doc.get_object_mut(root).unwrap().as_dict_mut().unwrap();
    for (key, value) in extra {
        catalog.set(*key, value.clone());
    }
    save(doc)
}

pub fn encrypted_pdf(user_password: &str) -> Vec<u8> {
    let mut doc = pdf_document(2);
    let state = EncryptionState::try_from(EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner",
        user_password,
        key_length: 128,
        permissions: Permissions::all(),
    })
    .unwrap();
    doc.encrypt(&state).unwrap();
    save(doc)
}

pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    chunk.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    chunk
}

/// Signature (8) + IHDR chunk (4 + 4 + 13 + 4): extra chunks go right after it.
pub const PNG_AFTER_IHDR: usize = 33;

pub fn png(width: u32, height: u32) -> Vec<u8> {
    let pixels = noise((width * height * 3) as usize, width ^ height);
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(&pixels, width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// A TIFF structure as EXIF holds it: one IFD with Orientation, then a GPS-looking string.
pub fn exif_tiff(orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // count
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    tiff.extend_from_slice(GPS);
    tiff
}

pub fn png_with_metadata() -> Vec<u8> {
    let plain = png(300, 240);
    let mut text = b"Comment\0".to_vec();
    text.extend_from_slice(GPS);
    let mut out = plain[..PNG_AFTER_IHDR].to_vec();
    out.extend(png_chunk(b"tEXt", &text));
    out.extend(png_chunk(b"eXIf", &exif_tiff(1)));
    out.extend_from_slice(&plain[PNG_AFTER_IHDR..]);
    out
}

pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let pixels = noise((width * height * 3) as usize, 7);
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 85)
        .write_image(&pixels, width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// A JPEG with an APP1 Exif segment right after SOI.
pub fn jpeg_with_exif(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let plain = jpeg(width, height);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(exif_tiff(orientation));
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend(payload);
    out.extend_from_slice(&plain[2..]);
    out
}
