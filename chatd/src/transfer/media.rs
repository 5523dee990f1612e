//! What a file is and what to call it: the media type a sender announces,
//! the thumbnail it sends along (§5.1), and the name a receiver writes to
//! disk. All of it is blocking work (decoding an image takes a while) for
//! the caller to run on the blocking pool.
//!
//! Images are decoded with the pure-Rust decoders of the `image` crate
//! for the four formats people send most (JPEG, PNG, GIF, WebP), under
//! limits on dimensions and memory: a small file may claim to be a huge
//! image (a decompression bomb), and a thumbnail is not worth running out
//! of memory for.

use std::path::Path;

use chat_e2e::file::{MAX_MIME_BYTES, MAX_NAME_BYTES, MAX_THUMBNAIL_BYTES};
use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, ImageReader, Limits};

/// The media type sent when none is known.
pub const OCTET_STREAM: &str = "application/octet-stream";
/// A thumbnail fits in a square this many pixels wide.
pub const THUMBNAIL_SIDE: u32 = 160;
/// Largest width or height of an image worth thumbnailing.
const MAX_SIDE: u32 = 12_000;
/// Most memory the decoder may take for one image.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// JPEG qualities tried in turn until the thumbnail fits 16 KiB.
const QUALITIES: [u8; 6] = [85, 75, 65, 50, 35, 20];

/// The media type of a file, guessed from its name's extension;
/// `application/octet-stream` when unknown. Always 1 to 127 bytes of
/// printable ASCII, as `mime` must be (§5.1).
pub fn guess_mime(name: &str) -> String {
    mime_guess::from_path(name)
        .first()
        .map(|m| m.essence_str().to_string())
        .filter(|m| {
            !m.is_empty()
                && m.len() <= MAX_MIME_BYTES
                && m.bytes().all(|b| (0x20..=0x7e).contains(&b))
        })
        .unwrap_or_else(|| OCTET_STREAM.to_string())
}

/// A JPEG preview of the image at `path`, fitting 160x160 and at most
/// 16 KiB; `None` for anything that is not a JPEG, PNG, GIF or WebP image
/// that decodes within the limits.
pub fn thumbnail(path: &Path, mime: &str) -> Option<Vec<u8>> {
    if !matches!(
        mime,
        "image/jpeg" | "image/png" | "image/gif" | "image/webp"
    ) {
        return None;
    }
    let mut reader = ImageReader::open(path).ok()?.with_guessed_format().ok()?;
    // The bytes decide the decoder, not the name: a mislabelled file gets
    // the decoder it needs, and only these four are built in anyway.
    if !matches!(
        reader.format()?,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::Gif | ImageFormat::WebP
    ) {
        return None;
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let image = reader.decode().ok()?;
    // JPEG has no alpha: flatten to RGB.
    let small = image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE).to_rgb8();
    QUALITIES.iter().find_map(|&q| {
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, q)
            .encode_image(&small)
            .ok()?;
        (!out.is_empty() && out.len() <= MAX_THUMBNAIL_BYTES).then_some(out)
    })
}

/// A name safe to create in a directory, from a name a peer sent: no path
/// separators or NUL, no control characters (they could attack the
/// terminal that lists the directory), no leading dots (which would hide
/// the file or name `.`/`..`), no surrounding blanks, at most 255 bytes
/// (keeping the extension), never empty ("file").
pub fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim_start();
    if trimmed.is_empty() {
        return "file".to_string();
    }
    numbered_name(trimmed, 0)
}

/// `name` with " (n)" before its extension for n > 0 ("photo (2).jpg"),
/// cut to at most 255 bytes at a character boundary, the extension kept.
pub fn numbered_name(name: &str, n: u32) -> String {
    let (stem, ext) = split_ext(name);
    let suffix = if n == 0 {
        String::new()
    } else {
        format!(" ({n})")
    };
    let room = MAX_NAME_BYTES.saturating_sub(suffix.len() + ext.len());
    let mut end = stem.len().min(room);
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{suffix}{ext}", &stem[..end])
}

/// Splits "name.ext" into ("name", ".ext"); a short extension only, and
/// never a leading dot.
fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= 16 => name.split_at(i),
        _ => (name, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_numbered_and_cut_before_the_extension() {
        assert_eq!(numbered_name("photo.jpg", 0), "photo.jpg");
        assert_eq!(numbered_name("photo.jpg", 2), "photo (2).jpg");
        assert_eq!(numbered_name("README", 1), "README (1)");
        let long = format!("{}.tar.gz", "é".repeat(200));
        let cut = numbered_name(&long, 12);
        assert!(cut.len() <= 255 && cut.ends_with(" (12).gz"), "{cut}");
    }
}
