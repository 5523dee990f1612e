//! `Debug` for the wire messages that never prints a secret, so that a
//! `?msg` in a log line (at any level) cannot leak one: session tokens
//! (`login_ok`) are replaced by `<redacted>`, sealed credentials by
//! `<sealed>` (they hold a password or a token, and a captured blob is
//! worth something on its connection), and envelopes are reduced to their
//! `kind` (SECURITY.md: no envelope is ever logged), and blob pieces to
//! their length. Written out by hand so that a new variant or field cannot
//! appear in logs before someone decided whether it is secret.

use std::fmt;

use serde_json::{Map, Value};

use super::{MultiItem, Request, ServerMessage};

/// Stands in for a value that must not be printed.
struct Redacted(&'static str);

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.0)
    }
}

/// An envelope shown as its kind only.
struct EnvelopeKind<'a>(&'a Map<String, Value>);

impl fmt::Debug for EnvelopeKind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.get("kind").and_then(Value::as_str) {
            Some(kind) => write!(f, "<envelope kind={kind:?}>"),
            None => write!(f, "<envelope>"),
        }
    }
}

/// An envelope that may not even be an object (`send_multi` items).
struct AnyEnvelope<'a>(&'a Value);

impl fmt::Debug for AnyEnvelope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Object(map) => EnvelopeKind(map).fmt(f),
            _ => write!(f, "<not an envelope>"),
        }
    }
}

const SEALED: Redacted = Redacted("sealed");

/// Blob bytes (ciphertext, up to a piece) shown as their length only: a
/// log line must stay a line.
struct B64Len<'a>(&'a str);

impl fmt::Debug for B64Len<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} b64 chars>", self.0.len())
    }
}

impl fmt::Debug for MultiItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MultiItem")
            .field("to", &self.to)
            .field("envelope", &AnyEnvelope(&self.envelope))
            .finish()
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Signup { public_key, .. } => f
                .debug_struct("Signup")
                .field("credentials", &SEALED)
                .field("public_key", public_key)
                .finish(),
            Request::Login { public_key, .. } => f
                .debug_struct("Login")
                .field("credentials", &SEALED)
                .field("public_key", public_key)
                .finish(),
            Request::Resume { deliver, .. } => f
                .debug_struct("Resume")
                .field("credentials", &SEALED)
                .field("deliver", deliver)
                .finish(),
            Request::Logout {} => f.write_str("Logout"),
            Request::ChangePassword { .. } => f
                .debug_struct("ChangePassword")
                .field("credentials", &SEALED)
                .finish(),
            Request::ListUsers {
                prefix,
                limit,
                online_only,
                after,
            } => f
                .debug_struct("ListUsers")
                .field("prefix", prefix)
                .field("limit", limit)
                .field("online_only", online_only)
                .field("after", after)
                .finish(),
            Request::GetKey { username } => f
                .debug_struct("GetKey")
                .field("username", username)
                .finish(),
            Request::Watch { users } => f.debug_struct("Watch").field("users", users).finish(),
            Request::Unwatch { users } => f.debug_struct("Unwatch").field("users", users).finish(),
            Request::Send { to, envelope } => f
                .debug_struct("Send")
                .field("to", to)
                .field("envelope", &EnvelopeKind(envelope))
                .finish(),
            Request::SendEphemeral { to, envelope } => f
                .debug_struct("SendEphemeral")
                .field("to", to)
                .field("envelope", &EnvelopeKind(envelope))
                .finish(),
            Request::SendMulti {
                messages,
                ephemeral,
            } => f
                .debug_struct("SendMulti")
                .field("messages", messages)
                .field("ephemeral", ephemeral)
                .finish(),
            Request::GroupCommit {
                group_id,
                version,
                state_hash,
                members,
                admins,
            } => f
                .debug_struct("GroupCommit")
                .field("group_id", group_id)
                .field("version", version)
                .field("state_hash", state_hash)
                .field("members", members)
                .field("admins", admins)
                .finish(),
            Request::BlobCreate { size } => {
                f.debug_struct("BlobCreate").field("size", size).finish()
            }
            Request::BlobPut {
                blob_id,
                offset,
                data,
            } => f
                .debug_struct("BlobPut")
                .field("blob_id", blob_id)
                .field("offset", offset)
                .field("data", &B64Len(data))
                .finish(),
            Request::BlobStatus { blob_id } => f
                .debug_struct("BlobStatus")
                .field("blob_id", blob_id)
                .finish(),
            Request::BlobFinish { blob_id, digest } => f
                .debug_struct("BlobFinish")
                .field("blob_id", blob_id)
                .field("digest", digest)
                .finish(),
            Request::BlobGet {
                blob_id,
                offset,
                length,
            } => f
                .debug_struct("BlobGet")
                .field("blob_id", blob_id)
                .field("offset", offset)
                .field("length", length)
                .finish(),
            Request::BlobDelete { blob_id } => f
                .debug_struct("BlobDelete")
                .field("blob_id", blob_id)
                .finish(),
            Request::Ack { msg_ids } => f.debug_struct("Ack").field("msg_ids", msg_ids).finish(),
            Request::Ping {} => f.write_str("Ping"),
        }
    }
}

impl fmt::Debug for ServerMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerMessage::Hello {
                protocol,
                server,
                server_key,
                nonce,
                files,
            } => f
                .debug_struct("Hello")
                .field("protocol", protocol)
                .field("server", server)
                .field("server_key", server_key)
                .field("nonce", nonce)
                .field("files", files)
                .finish(),
            ServerMessage::SignupOk { username } => f
                .debug_struct("SignupOk")
                .field("username", username)
                .finish(),
            ServerMessage::LoginOk {
                username,
                token_expires,
                ..
            } => f
                .debug_struct("LoginOk")
                .field("username", username)
                .field("token", &Redacted("redacted"))
                .field("token_expires", token_expires)
                .finish(),
            ServerMessage::LogoutOk {} => f.write_str("LogoutOk"),
            ServerMessage::PasswordChanged {} => f.write_str("PasswordChanged"),
            ServerMessage::Users { users, more } => f
                .debug_struct("Users")
                .field("users", users)
                .field("more", more)
                .finish(),
            ServerMessage::Key {
                username,
                public_key,
                fingerprint,
            } => f
                .debug_struct("Key")
                .field("username", username)
                .field("public_key", public_key)
                .field("fingerprint", fingerprint)
                .finish(),
            ServerMessage::WatchOk { users } => {
                f.debug_struct("WatchOk").field("users", users).finish()
            }
            ServerMessage::UnwatchOk { users } => {
                f.debug_struct("UnwatchOk").field("users", users).finish()
            }
            ServerMessage::Presence {
                username,
                online,
                ts,
            } => f
                .debug_struct("Presence")
                .field("username", username)
                .field("online", online)
                .field("ts", ts)
                .finish(),
            ServerMessage::KeyChanged {
                username,
                fingerprint,
            } => f
                .debug_struct("KeyChanged")
                .field("username", username)
                .field("fingerprint", fingerprint)
                .finish(),
            ServerMessage::Sent { msg_id, ts, queued } => f
                .debug_struct("Sent")
                .field("msg_id", msg_id)
                .field("ts", ts)
                .field("queued", queued)
                .finish(),
            ServerMessage::Deliver {
                msg_id,
                from,
                ts,
                envelope,
            } => f
                .debug_struct("Deliver")
                .field("msg_id", msg_id)
                .field("from", from)
                .field("ts", ts)
                .field("envelope", &EnvelopeKind(envelope))
                .finish(),
            ServerMessage::SentEphemeral {
                msg_id,
                ts,
                delivered,
            } => f
                .debug_struct("SentEphemeral")
                .field("msg_id", msg_id)
                .field("ts", ts)
                .field("delivered", delivered)
                .finish(),
            ServerMessage::SentMulti { ts, results } => f
                .debug_struct("SentMulti")
                .field("ts", ts)
                .field("results", results)
                .finish(),
            ServerMessage::GroupCommitted { group_id, version } => f
                .debug_struct("GroupCommitted")
                .field("group_id", group_id)
                .field("version", version)
                .finish(),
            ServerMessage::DeliverEphemeral {
                msg_id,
                from,
                ts,
                envelope,
            } => f
                .debug_struct("DeliverEphemeral")
                .field("msg_id", msg_id)
                .field("from", from)
                .field("ts", ts)
                .field("envelope", &EnvelopeKind(envelope))
                .finish(),
            ServerMessage::StaleVersion {
                message,
                current_version,
                current_hash,
            } => f
                .debug_struct("StaleVersion")
                .field("message", message)
                .field("current_version", current_version)
                .field("current_hash", current_hash)
                .finish(),
            ServerMessage::BlobCreated { blob_id, expires } => f
                .debug_struct("BlobCreated")
                .field("blob_id", blob_id)
                .field("expires", expires)
                .finish(),
            ServerMessage::BlobAck { blob_id, offset } => f
                .debug_struct("BlobAck")
                .field("blob_id", blob_id)
                .field("offset", offset)
                .finish(),
            ServerMessage::BlobStatus {
                blob_id,
                size,
                offset,
                finished,
                expires,
            } => f
                .debug_struct("BlobStatus")
                .field("blob_id", blob_id)
                .field("size", size)
                .field("offset", offset)
                .field("finished", finished)
                .field("expires", expires)
                .finish(),
            ServerMessage::BlobFinished {
                blob_id,
                size,
                expires,
            } => f
                .debug_struct("BlobFinished")
                .field("blob_id", blob_id)
                .field("size", size)
                .field("expires", expires)
                .finish(),
            ServerMessage::BlobData {
                blob_id,
                offset,
                size,
                data,
            } => f
                .debug_struct("BlobData")
                .field("blob_id", blob_id)
                .field("offset", offset)
                .field("size", size)
                .field("data", &B64Len(data))
                .finish(),
            ServerMessage::BlobDeleted { blob_id } => f
                .debug_struct("BlobDeleted")
                .field("blob_id", blob_id)
                .finish(),
            ServerMessage::BadOffset { message, offset } => f
                .debug_struct("BadOffset")
                .field("message", message)
                .field("offset", offset)
                .finish(),
            ServerMessage::Pong {} => f.write_str("Pong"),
            ServerMessage::Error {
                code,
                message,
                retry_after_ms,
            } => f
                .debug_struct("Error")
                .field("code", code)
                .field("message", message)
                .field("retry_after_ms", retry_after_ms)
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;
    use crate::sealed::Sealed;

    const TOKEN: &str = "c2VjcmV0LXNlc3Npb24tdG9rZW4tMzItYnl0ZXMhISE=";

    fn sealed() -> Sealed {
        Sealed {
            ek: "RVNFQ1JFVC1FSw==".into(),
            nonce: "Tk9OQ0VOT05DRQ==".into(),
            ct: "Q0lQSEVSVEVYVC1PRi1BLVBBU1NXT1JE".into(),
        }
    }

    fn envelope() -> Map<String, Value> {
        json!({"kind": "msg", "key_id": "k", "seq": 1, "nonce": "TUFHSUNOT05DRQ==", "ct": "U0VDUkVUQ1Q="})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn login_ok_never_prints_its_token() {
        let m = ServerMessage::LoginOk {
            username: "alice".into(),
            token: TOKEN.into(),
            token_expires: 42,
        };
        let text = format!("{m:?} {m:#?}");
        assert!(!text.contains(TOKEN), "{text}");
        assert!(
            text.contains("alice") && text.contains("<redacted>"),
            "{text}"
        );
    }

    #[test]
    fn sealed_credentials_are_not_printed() {
        let s = sealed();
        for r in [
            Request::Signup {
                credentials: s.clone(),
                public_key: "PEM".into(),
            },
            Request::Login {
                credentials: s.clone(),
                public_key: "PEM".into(),
            },
            Request::Resume {
                credentials: s.clone(),
                deliver: None,
            },
            Request::ChangePassword {
                credentials: s.clone(),
            },
        ] {
            let text = format!("{r:?}");
            for part in [&s.ek, &s.nonce, &s.ct] {
                assert!(!text.contains(part.as_str()), "{text}");
            }
            assert!(text.contains("<sealed>"), "{text}");
        }
    }

    #[test]
    fn envelopes_show_only_their_kind() {
        let env = envelope();
        let send = Request::Send {
            to: "bob".into(),
            envelope: env.clone(),
        };
        let deliver = ServerMessage::Deliver {
            msg_id: "m1".into(),
            from: "alice".into(),
            ts: 1,
            envelope: env.clone(),
        };
        let ephemeral = Request::SendEphemeral {
            to: "bob".into(),
            envelope: env.clone(),
        };
        let ephemeral_deliver = ServerMessage::DeliverEphemeral {
            msg_id: "m2".into(),
            from: "alice".into(),
            ts: 1,
            envelope: env.clone(),
        };
        let multi = Request::SendMulti {
            messages: vec![
                MultiItem {
                    to: "bob".into(),
                    envelope: Value::Object(env),
                },
                MultiItem {
                    to: "carol".into(),
                    envelope: json!("U0VDUkVUQ1Q="),
                },
            ],
            ephemeral: false,
        };
        let multi_text = format!("{multi:?}");
        assert!(multi_text.contains("<not an envelope>"), "{multi_text}");
        for text in [
            format!("{send:?}"),
            format!("{deliver:?}"),
            format!("{ephemeral:?}"),
            format!("{ephemeral_deliver:?}"),
            multi_text,
        ] {
            assert!(!text.contains("U0VDUkVUQ1Q="), "{text}");
            assert!(!text.contains("TUFHSUNOT05DRQ=="), "{text}");
            assert!(text.contains(r#"<envelope kind="msg">"#), "{text}");
        }
    }

    #[test]
    fn harmless_fields_are_still_shown() {
        let text = format!(
            "{:?}",
            ServerMessage::Sent {
                msg_id: "m7".into(),
                ts: 5,
                queued: true
            }
        );
        assert_eq!(text, r#"Sent { msg_id: "m7", ts: 5, queued: true }"#);
        assert_eq!(format!("{:?}", Request::Ping {}), "Ping");
    }
}
