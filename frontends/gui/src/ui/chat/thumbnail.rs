//! Image previews of file messages: the sender's b64 JPEG or PNG, decoded
//! once per message into a texture. The bytes come from a peer, so they
//! are bounded before and while decoding (length, dimensions, memory), and
//! a preview that does not decode is simply not shown.

use std::collections::{HashMap, VecDeque};
use std::io::Cursor;

use base64::Engine as _;
use egui::{ColorImage, TextureHandle, TextureOptions};

/// b64 characters of a preview at most: 16 KiB encoded, with slack for
/// line breaks.
const MAX_B64: usize = 24 * 1024;
/// Pixels a preview may have on a side.
const MAX_SIDE: u32 = 1024;
/// Bytes the decoder may allocate for one preview.
const MAX_ALLOC: u64 = 8 << 20;
/// The largest a preview is kept (and drawn): at most 240×180 pixels,
/// about 170 KiB of texture.
pub const KEPT_SIZE: [u32; 2] = [240, 180];
/// Previews kept at once; the oldest go first (and are decoded again when
/// shown), so a long history of images cannot hold memory.
const KEPT: usize = 1024;

/// Decoded previews by message id (`None`: it did not decode; not tried
/// again).
#[derive(Default)]
pub struct Thumbnails {
    cache: HashMap<String, Option<TextureHandle>>,
    /// The ids in `cache`, oldest first.
    order: VecDeque<String>,
}

impl std::fmt::Debug for Thumbnails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Thumbnails({})", self.cache.len())
    }
}

impl Thumbnails {
    /// The texture of message `id`'s preview `b64`, decoded on first use.
    pub fn get(&mut self, ctx: &egui::Context, id: &str, b64: &str) -> Option<TextureHandle> {
        if let Some(known) = self.cache.get(id) {
            return known.clone();
        }
        while self.cache.len() >= KEPT
            && let Some(oldest) = self.order.pop_front()
        {
            self.cache.remove(&oldest);
        }
        let texture = decode(b64).map(|image| {
            ctx.load_texture(format!("thumbnail-{id}"), image, TextureOptions::LINEAR)
        });
        self.cache.insert(id.to_string(), texture.clone());
        self.order.push_back(id.to_string());
        texture
    }
}

/// A preview's pixels, or `None` when it is too big or not a JPEG or PNG
/// that decodes.
pub fn decode(b64: &str) -> Option<ColorImage> {
    if b64.len() > MAX_B64 {
        return None;
    }
    let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()?;
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut image = reader.decode().ok()?;
    if image.width() > KEPT_SIZE[0] || image.height() > KEPT_SIZE[1] {
        image = image.thumbnail(KEPT_SIZE[0], KEPT_SIZE[1]);
    }
    let rgba = image.into_rgba8();
    let size = [
        usize::try_from(rgba.width()).ok()?,
        usize::try_from(rgba.height()).ok()?,
    ];
    if size[0] == 0 || size[1] == 0 {
        return None;
    }
    Some(ColorImage::from_rgba_unmultiplied(size, rgba.as_raw()))
}

/// The size to draw a `size` preview at: within `max` on both sides,
/// never enlarged.
pub fn fit(size: egui::Vec2, max: egui::Vec2) -> egui::Vec2 {
    if size.x <= 0.0 || size.y <= 0.0 {
        return egui::Vec2::ZERO;
    }
    let scale = (max.x / size.x).min(max.y / size.y).min(1.0);
    size * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `w`×`h` PNG, b64.
    fn png(w: u32, h: u32) -> String {
        let image = image::RgbaImage::from_pixel(w, h, image::Rgba([200, 30, 30, 255]));
        let mut out = Cursor::new(Vec::new());
        image
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap_or_else(|e| panic!("{e}"));
        base64::engine::general_purpose::STANDARD.encode(out.into_inner())
    }

    #[test]
    fn a_png_preview_decodes_to_its_pixels() {
        let image = decode(&png(3, 2)).unwrap_or_else(|| panic!("no image"));
        assert_eq!(image.size, [3, 2]);
        assert_eq!(image.pixels[0], egui::Color32::from_rgb(200, 30, 30));
    }

    #[test]
    fn a_large_preview_is_kept_small() {
        let image = decode(&png(960, 360)).unwrap_or_else(|| panic!("no image"));
        assert_eq!(image.size, [240, 90]);
    }

    #[test]
    fn a_bad_or_oversized_preview_is_ignored() {
        assert!(decode("not b64 at all!").is_none());
        assert!(decode("aGVsbG8=").is_none(), "b64 of text");
        assert!(decode(&"A".repeat(MAX_B64 + 4)).is_none());
        // Small in bytes, huge in pixels: refused before allocating.
        assert!(decode(&png(MAX_SIDE + 1, 1)).is_none());
    }

    #[test]
    fn previews_fit_without_growing() {
        let max = egui::vec2(240.0, 180.0);
        assert_eq!(fit(egui::vec2(480.0, 180.0), max), egui::vec2(240.0, 90.0));
        assert_eq!(fit(egui::vec2(40.0, 30.0), max), egui::vec2(40.0, 30.0));
        assert_eq!(fit(egui::vec2(0.0, 30.0), max), egui::Vec2::ZERO);
    }
}
