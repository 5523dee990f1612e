//! What a `file` or `group_file` payload (PROTOCOL.md §5.1) says about the
//! file: where its blob is, how to open it, and what to call it. The
//! receiver's limits are enforced when the payload is decoded, so chatd
//! never sees a name that is a path, a thumbnail it cannot afford, or a
//! size it would not download; the limits are the ones of FILES13 and
//! D17, the size limit configurable ([`FileLimits`]).

use chat_proto::encoding::{b64_decode, b64_decode_array, b64_encode};
use serde::Serialize;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::chunk::FileOpener;
use super::error::FileError;
use super::ids::{BlobDigest, BlobId, FileKey, NONCE_PREFIX_LEN};
use super::size::{MAX_FILE_SIZE, MAX_SIZE};
use crate::payload::{MAX_TEXT_BYTES, PayloadError};

/// The longest `name`, in bytes of UTF-8.
pub const MAX_NAME_BYTES: usize = 255;
/// The longest `mime`, in bytes (RFC 6838's limit on a type or subtype).
pub const MAX_MIME_BYTES: usize = 127;
/// The largest `thumbnail`, decoded (16 KiB).
pub const MAX_THUMBNAIL_BYTES: usize = 16 * 1024;

/// What a receiver accepts beyond the fixed limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimits {
    /// The largest true `size` (default [`MAX_FILE_SIZE`], 100 MiB). A
    /// value above the construction's [`MAX_SIZE`] counts as `MAX_SIZE`.
    pub max_size: u64,
}

impl Default for FileLimits {
    fn default() -> Self {
        Self {
            max_size: MAX_FILE_SIZE,
        }
    }
}

/// A file as a `file` or `group_file` payload describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAttachment {
    /// The blob holding the sealed file.
    pub blob: BlobId,
    /// The file's key and nonce prefix (`key`, `nonce` on the wire).
    pub key: FileKey,
    /// SHA-256 of the blob.
    pub digest: BlobDigest,
    /// The file's true size in bytes.
    pub size: u64,
    /// The file's name: 1 to 255 bytes, no `/`, `\` or NUL, not `.` or `..`.
    pub name: String,
    /// Its media type as the sender guessed it: 1 to 127 printable ASCII
    /// characters. A hint for display only.
    pub mime: String,
    /// A small preview image (JPEG or PNG), at most 16 KiB.
    pub thumbnail: Option<Vec<u8>>,
    /// Text sent with the file, as a text message's (1 byte to 64 KiB).
    pub caption: Option<String>,
}

impl FileAttachment {
    /// The opener of this file's blob.
    pub fn opener(&self) -> Result<FileOpener, FileError> {
        FileOpener::new(&self.key, self.blob, self.size)
    }

    /// Checks every field as a receiver with `limits` would.
    pub fn check(&self, limits: &FileLimits) -> Result<(), PayloadError> {
        check_size(self.size, limits)?;
        check_name(&self.name)?;
        check_mime(&self.mime)?;
        if let Some(t) = &self.thumbnail {
            check_thumbnail_len(t.len())?;
        }
        if let Some(c) = &self.caption {
            check_caption(c)?;
        }
        Ok(())
    }

    /// Reads the file fields of a payload object.
    pub(crate) fn from_json(
        map: &Map<String, Value>,
        limits: &FileLimits,
    ) -> Result<Self, PayloadError> {
        let blob = BlobId::parse(str_field(map, "blob")?).ok_or(PayloadError::BadField("blob"))?;
        let key = Zeroizing::new(
            b64_decode_array::<32>(str_field(map, "key")?, "key")
                .map_err(|_| PayloadError::BadField("key"))?,
        );
        let nonce = b64_decode_array::<NONCE_PREFIX_LEN>(str_field(map, "nonce")?, "nonce")
            .map_err(|_| PayloadError::BadField("nonce"))?;
        let digest =
            BlobDigest::parse(str_field(map, "digest")?).ok_or(PayloadError::BadField("digest"))?;
        let size = map
            .get("size")
            .and_then(Value::as_u64)
            .ok_or(PayloadError::BadField("size"))?;
        check_size(size, limits)?;
        let name = str_field(map, "name")?;
        check_name(name)?;
        let mime = str_field(map, "mime")?;
        check_mime(mime)?;
        let thumbnail = match map.get("thumbnail") {
            None => None,
            Some(v) => Some(thumbnail(v)?),
        };
        let caption = match map.get("caption") {
            None => None,
            Some(v) => {
                let c = v.as_str().ok_or(PayloadError::BadField("caption"))?;
                check_caption(c)?;
                Some(c.to_string())
            }
        };
        Ok(Self {
            blob,
            key: FileKey::from_parts(*key, nonce),
            digest,
            size,
            name: name.to_string(),
            mime: mime.to_string(),
            thumbnail,
            caption,
        })
    }

    /// The file fields of the wire form, in the order of §5.1.
    pub(crate) fn wire(&self) -> FileWire<'_> {
        FileWire {
            blob: self.blob.to_hex(),
            key: Zeroizing::new(b64_encode(self.key.key_bytes())),
            nonce: b64_encode(self.key.nonce_prefix()),
            digest: self.digest.to_hex(),
            size: self.size,
            name: &self.name,
            mime: &self.mime,
            thumbnail: self.thumbnail.as_ref().map(b64_encode),
            caption: self.caption.as_deref(),
        }
    }
}

/// The file fields as they are written (flattened after the header).
#[derive(Serialize)]
pub(crate) struct FileWire<'a> {
    blob: String,
    #[serde(serialize_with = "zeroizing_str")]
    key: Zeroizing<String>,
    nonce: String,
    digest: String,
    size: u64,
    name: &'a str,
    mime: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    thumbnail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<&'a str>,
}

fn zeroizing_str<S: serde::Serializer>(v: &Zeroizing<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v)
}

fn str_field<'a>(map: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, PayloadError> {
    map.get(name)
        .and_then(Value::as_str)
        .ok_or(PayloadError::BadField(name))
}

fn check_size(size: u64, limits: &FileLimits) -> Result<(), PayloadError> {
    let max = limits.max_size.min(MAX_SIZE);
    if size > max {
        return Err(PayloadError::FileTooLarge { size, max });
    }
    Ok(())
}

/// 1 to 255 bytes; no `/`, `\` or NUL; not `.` or `..`: a name, never a
/// path. Anything else a file system or a terminal minds (control
/// characters, reserved names elsewhere) is the daemon's and the
/// frontends' to handle when they write or show it.
pub fn check_name(name: &str) -> Result<(), PayloadError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && !name.contains(['/', '\\', '\0'])
        && name != "."
        && name != "..";
    ok.then_some(()).ok_or(PayloadError::BadField("name"))
}

/// 1 to 127 bytes of printable ASCII (space to `~`).
fn check_mime(mime: &str) -> Result<(), PayloadError> {
    let ok = !mime.is_empty()
        && mime.len() <= MAX_MIME_BYTES
        && mime.bytes().all(|b| (0x20..=0x7e).contains(&b));
    ok.then_some(()).ok_or(PayloadError::BadField("mime"))
}

fn check_thumbnail_len(len: usize) -> Result<(), PayloadError> {
    if len == 0 || len > MAX_THUMBNAIL_BYTES {
        return Err(PayloadError::BadField("thumbnail"));
    }
    Ok(())
}

fn thumbnail(v: &Value) -> Result<Vec<u8>, PayloadError> {
    let text = v.as_str().ok_or(PayloadError::BadField("thumbnail"))?;
    // Refuse an oversized one before decoding it.
    if text.len() > MAX_THUMBNAIL_BYTES.div_ceil(3) * 4 {
        return Err(PayloadError::BadField("thumbnail"));
    }
    let bytes = b64_decode(text, "thumbnail").map_err(|_| PayloadError::BadField("thumbnail"))?;
    check_thumbnail_len(bytes.len())?;
    Ok(bytes)
}

fn check_caption(caption: &str) -> Result<(), PayloadError> {
    if caption.is_empty() || caption.len() > MAX_TEXT_BYTES {
        return Err(PayloadError::BadField("caption"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use uuid::Uuid;

    use super::*;
    use crate::payload::{FilePayload, GroupFilePayload, Payload};

    const ID: &str = "6c5d130e-8708-4887-80c3-5c82d334a3e7";
    const GID: &str = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
    const BLOB: &str = "00112233445566778899aabbccddeeff";

    fn attachment() -> FileAttachment {
        FileAttachment {
            blob: BlobId::parse(BLOB).unwrap(),
            key: FileKey::from_parts([1; 32], [2; 8]),
            digest: BlobDigest::from_bytes([0xcd; 32]),
            size: 12_345,
            name: "photo \u{e9}.jpg".into(),
            mime: "image/jpeg".into(),
            thumbnail: Some(vec![0xff, 0xd8, 0xff]),
            caption: Some("look \u{2713}".into()),
        }
    }

    fn file_payload(file: FileAttachment) -> Payload {
        Payload::File(FilePayload {
            id: Uuid::parse_str(ID).unwrap(),
            ts: 5,
            file,
        })
    }

    fn round_trip(p: &Payload) -> String {
        let bytes = p.to_bytes().unwrap();
        assert_eq!(&Payload::from_bytes(&bytes).unwrap(), p);
        String::from_utf8(bytes).unwrap()
    }

    const KEY: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    const NONCE: &str = "AgICAgICAgI=";

    #[test]
    fn file_payloads_encode_compactly_in_protocol_order() {
        let digest = "cd".repeat(32);
        let full = round_trip(&file_payload(attachment()));
        assert_eq!(
            full,
            format!(
                "{{\"id\":\"{ID}\",\"ts\":5,\"type\":\"file\",\"blob\":\"{BLOB}\",\"key\":\"{KEY}\",\"nonce\":\"{NONCE}\",\"digest\":\"{digest}\",\"size\":12345,\"name\":\"photo \u{e9}.jpg\",\"mime\":\"image/jpeg\",\"thumbnail\":\"/9j/\",\"caption\":\"look \u{2713}\"}}"
            )
        );
        let bare = FileAttachment {
            thumbnail: None,
            caption: None,
            ..attachment()
        };
        assert!(round_trip(&file_payload(bare.clone())).ends_with("\"mime\":\"image/jpeg\"}"));
        let group = Payload::GroupFile(GroupFilePayload {
            id: Uuid::parse_str(ID).unwrap(),
            ts: 6,
            group_id: Uuid::parse_str(GID).unwrap(),
            version: 3,
            file: bare,
        });
        let text = round_trip(&group);
        assert!(text.starts_with(&format!(
            "{{\"id\":\"{ID}\",\"ts\":6,\"type\":\"group_file\",\"group_id\":\"{GID}\",\"version\":3,\"blob\":\"{BLOB}\","
        )));
        assert_eq!(
            (group.kind(), group.id().unwrap().to_string()),
            ("group_file", ID.into())
        );
    }

    #[test]
    fn the_constructors_check_the_limits() {
        let gid = Uuid::parse_str(GID).unwrap();
        assert!(Payload::file(attachment(), 1).is_ok());
        assert!(Payload::group_file(gid, 1, attachment(), 1).is_ok());
        assert!(Payload::group_file(gid, 0, attachment(), 1).is_err());
        let bad = FileAttachment {
            name: "..".into(),
            ..attachment()
        };
        assert_eq!(Payload::file(bad, 1), Err(PayloadError::BadField("name")));
        let big = FileAttachment {
            size: MAX_FILE_SIZE + 1,
            ..attachment()
        };
        assert_eq!(
            Payload::file(big, 1),
            Err(PayloadError::FileTooLarge {
                size: MAX_FILE_SIZE + 1,
                max: MAX_FILE_SIZE
            })
        );
    }

    fn base(kind: &str) -> Value {
        json!({
            "id": ID, "ts": 1, "type": kind, "group_id": GID, "version": 2,
            "blob": BLOB, "key": KEY, "nonce": NONCE, "digest": "ab".repeat(32),
            "size": 0, "name": "a.txt", "mime": "text/plain",
        })
    }

    fn decode(v: &Value) -> Result<Payload, PayloadError> {
        Payload::from_bytes(v.to_string().as_bytes())
    }

    #[test]
    fn the_receiver_s_limits_hold_at_their_edges() {
        let ok: Vec<(&str, Value)> = vec![
            ("name", "n".repeat(MAX_NAME_BYTES).into()),
            ("name", "\u{e9}".repeat(MAX_NAME_BYTES / 2).into()),
            ("name", "...".into()),
            ("name", ".hidden".into()),
            ("mime", "m".repeat(MAX_MIME_BYTES).into()),
            ("mime", "text/plain; charset=utf-8".into()),
            ("size", MAX_FILE_SIZE.into()),
            ("thumbnail", b64_encode(vec![0; MAX_THUMBNAIL_BYTES]).into()),
            ("caption", "c".repeat(MAX_TEXT_BYTES).into()),
        ];
        for kind in ["file", "group_file"] {
            for (field, value) in &ok {
                let mut v = base(kind);
                v[*field] = value.clone();
                assert!(decode(&v).is_ok(), "{kind}.{field}");
            }
        }
        let bad: Vec<(&str, Value)> = vec![
            ("name", "".into()),
            ("name", "n".repeat(MAX_NAME_BYTES + 1).into()),
            ("name", "a/b".into()),
            ("name", "a\\b".into()),
            ("name", "a\0b".into()),
            ("name", ".".into()),
            ("name", "..".into()),
            ("name", Value::Null),
            ("mime", "".into()),
            ("mime", "m".repeat(MAX_MIME_BYTES + 1).into()),
            ("mime", "text/plain\n".into()),
            ("mime", "t\u{e9}xt/plain".into()),
            (
                "thumbnail",
                b64_encode(vec![0; MAX_THUMBNAIL_BYTES + 1]).into(),
            ),
            ("thumbnail", "".into()),
            ("thumbnail", "not base64!".into()),
            ("thumbnail", Value::Null),
            ("caption", "".into()),
            ("caption", "c".repeat(MAX_TEXT_BYTES + 1).into()),
            ("caption", Value::Null),
            ("size", (-1).into()),
            ("size", 1.0.into()),
            ("size", "1".into()),
            ("key", b64_encode([1u8; 31]).into()),
            ("key", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE".into()),
            ("nonce", b64_encode([2u8; 12]).into()),
            ("blob", BLOB.to_uppercase().into()),
            ("blob", "0011".into()),
            ("digest", "AB".repeat(32).into()),
            ("digest", "ab".repeat(31).into()),
            ("id", "nope".into()),
            ("ts", 1.5.into()),
        ];
        for kind in ["file", "group_file"] {
            for (field, value) in &bad {
                let mut v = base(kind);
                v[*field] = value.clone();
                assert_eq!(
                    decode(&v),
                    Err(PayloadError::BadField(field)),
                    "{kind}.{field} = {value}"
                );
            }
            for missing in ["blob", "key", "nonce", "digest", "size", "name", "mime"] {
                let mut v = base(kind);
                v.as_object_mut().unwrap().remove(missing);
                assert_eq!(decode(&v), Err(PayloadError::BadField(missing)));
            }
        }
        for (field, value) in [
            ("group_id", Value::from(GID.to_uppercase())),
            ("version", 0.into()),
        ] {
            let mut v = base("group_file");
            v[field] = value;
            assert_eq!(decode(&v), Err(PayloadError::BadField(field)));
        }
    }

    #[test]
    fn the_size_limit_is_the_receiver_s() {
        let mut v = base("file");
        v["size"] = (MAX_FILE_SIZE + 1).into();
        assert_eq!(
            decode(&v),
            Err(PayloadError::FileTooLarge {
                size: MAX_FILE_SIZE + 1,
                max: MAX_FILE_SIZE
            })
        );
        let roomy = FileLimits { max_size: 1 << 40 };
        let bytes = v.to_string();
        assert!(Payload::from_bytes_with(bytes.as_bytes(), &roomy).is_ok());
        v["size"] = (MAX_SIZE + 1).into();
        let unlimited = FileLimits { max_size: u64::MAX };
        assert!(matches!(
            Payload::from_bytes_with(v.to_string().as_bytes(), &unlimited),
            Err(PayloadError::FileTooLarge { max: MAX_SIZE, .. })
        ));
    }

    #[test]
    fn unknown_fields_are_ignored_and_other_spellings_accepted() {
        let raw = format!(
            "{{ \"size\": 7, \"mime\": \"x/y\", \"name\": \"n\", \"extra\": [1, {{}}],\n \"digest\": \"{}\", \"nonce\": \"{NONCE}\", \"key\": \"{KEY}\", \"blob\": \"{BLOB}\", \"type\": \"file\", \"ts\": 2, \"id\": \"{}\" }}",
            "ab".repeat(32),
            ID.to_uppercase()
        );
        let Payload::File(f) = Payload::from_bytes(raw.as_bytes()).unwrap() else {
            panic!("not a file")
        };
        assert_eq!((f.id.to_string(), f.file.size), (ID.to_string(), 7));
        assert_eq!(f.file.key.key_bytes(), &[1; 32]);
        assert_eq!(f.file.opener().unwrap().blob_len(), 4096 + 16);
    }
}
