//! The group payloads of §4.1 as they arrive, applied inside the
//! delivery's transaction so that the state, the message, the receipt in
//! the outbox and the events commit together with the engine's own
//! records (a crash redelivers the envelope, and nothing is half done).
//!
//! Nothing here waits on the network: a request for missing states is a
//! payload queued in the outbox, and a signer whose key is not pinned is
//! named in [`Effects::learn`] for the inbound loop to fetch afterwards.
//! What cannot be applied yet is held in the store (`group_held`) and
//! examined again by [`reexamine`] whenever a state is accepted or a key
//! arrives, for 7 days.

use chat_e2e::group::{Accepted, GroupError, SignedGroupState, accept};
use chat_e2e::payload::{GroupFilePayload, GroupStatePayload, GroupStateRequest, GroupText};
use chat_e2e::{Payload, PinState, PinStore, PublicIdentity, ReceiptStatus};
use chatd_api::{Direction, Event, EventBody, GroupRef, Message, MessageStatus, SecurityReason};
use uuid::Uuid;

use super::{HOLD_MS, Online, diff, view};
use crate::core::CoreError;
use crate::core::outbound::queue;
use crate::store::{StoreError, StoredFile, Tx};

/// The most states one `group_state_request` is answered with.
const MAX_ANSWER: usize = 64;

/// What a transaction of the inbound pipeline leads to once committed.
#[derive(Debug, Default)]
pub struct Effects {
    /// Events to announce.
    pub events: Vec<Event>,
    /// Users whose key to fetch (then examine what waits for it).
    pub learn: Vec<String>,
    /// A group state was accepted (wakes membership changes that wait).
    pub accepted: bool,
}

/// Who is receiving, and what the transaction may need to know.
pub struct Ctx<'a> {
    /// Our account.
    pub me: &'a str,
    /// Presence now (for the groups reported in events).
    pub online: &'a Online,
    /// Whether a frontend shows this conversation (by sender or group id).
    pub focused: &'a dyn Fn(&str) -> bool,
    /// Now, Unix ms.
    pub now: i64,
}

/// Whether a group payload was applied, or must wait.
enum Step {
    Done,
    Hold,
}

/// A `group_state` from `from`.
pub fn on_state(
    tx: &mut Tx<'_>,
    cx: &Ctx<'_>,
    from: &str,
    p: GroupStatePayload,
    fx: &mut Effects,
) -> Result<(), CoreError> {
    let signed = match p.state {
        Ok(s) => s,
        Err(e) => {
            refuse(tx, cx, from, &e, None, fx)?;
            return Ok(());
        }
    };
    let gid = signed.state().group_id();
    if let Step::Hold = state(tx, cx, from, &signed, true, fx)? {
        let bytes = Payload::group_state(signed, cx.now)
            .and_then(|p| p.to_bytes())
            .map_err(chat_e2e::E2eError::from)?;
        hold(tx, gid, from, &bytes, cx.now)?;
    }
    reexamine_if(tx, cx, fx)
}

/// A `group_text` from `from`.
pub fn on_text(
    tx: &mut Tx<'_>,
    cx: &Ctx<'_>,
    from: &str,
    t: GroupText,
    fx: &mut Effects,
) -> Result<(), CoreError> {
    let gid = t.group_id;
    let bytes = Payload::GroupText(t.clone())
        .to_bytes()
        .map_err(chat_e2e::E2eError::from)?;
    if let Step::Hold = post(tx, cx, from, Post::from(t), true, fx)? {
        hold(tx, gid, from, &bytes, cx.now)?;
    }
    Ok(())
}

/// A `group_file` from `from` (§5.1): a `group_text` whose content is a
/// file, under the same rules, held the same way.
pub fn on_file(
    tx: &mut Tx<'_>,
    cx: &Ctx<'_>,
    from: &str,
    f: GroupFilePayload,
    fx: &mut Effects,
) -> Result<(), CoreError> {
    let gid = f.group_id;
    let bytes = Payload::GroupFile(f.clone())
        .to_bytes()
        .map_err(chat_e2e::E2eError::from)?;
    if let Step::Hold = post(tx, cx, from, Post::from(f), true, fx)? {
        hold(tx, gid, from, &bytes, cx.now)?;
    }
    Ok(())
}

/// What a group message says, text or file.
struct Post {
    id: Uuid,
    ts: i64,
    group_id: Uuid,
    version: u64,
    text: String,
    file: Option<StoredFile>,
}

impl From<GroupText> for Post {
    fn from(t: GroupText) -> Self {
        Self {
            id: t.id,
            ts: t.ts,
            group_id: t.group_id,
            version: t.version,
            text: t.text,
            file: None,
        }
    }
}

impl From<GroupFilePayload> for Post {
    fn from(f: GroupFilePayload) -> Self {
        Self {
            id: f.id,
            ts: f.ts,
            group_id: f.group_id,
            version: f.version,
            file: Some(StoredFile::received(&f.file)),
            text: f.file.caption.unwrap_or_default(),
        }
    }
}

/// A `group_state_request` from `from`: the states after `have`, as far
/// as we hold them without a gap, each as a `group_state` to `from`,
/// when `from` is a member of one of them or of the state held (nobody
/// else learns a group's membership from us).
pub fn on_request(
    tx: &mut Tx<'_>,
    cx: &Ctx<'_>,
    from: &str,
    r: GroupStateRequest,
) -> Result<(), CoreError> {
    let Some(held) = tx.group_held(r.group_id)? else {
        return Ok(());
    };
    let states = tx.group_states_after(r.group_id, r.have, MAX_ANSWER)?;
    let entitled = held.state().is_member(from) || states.iter().any(|s| s.state().is_member(from));
    if !entitled || from == cx.me {
        tracing::info!(peer = %from, "a group_state_request from a non-member was not answered");
        return Ok(());
    }
    for s in states {
        let payload = Payload::group_state(s, cx.now).map_err(chat_e2e::E2eError::from)?;
        queue(tx, from, &payload, None, cx.now)?;
    }
    Ok(())
}

/// Applies one state (§4.4). `fresh`: it just arrived (a gap then asks an
/// admin for the missing states; when examined again, it does not).
fn state(
    tx: &mut Tx<'_>,
    cx: &Ctx<'_>,
    from: &str,
    signed: &SignedGroupState,
    fresh: bool,
    fx: &mut Effects,
) -> Result<Step, CoreError> {
    let s = signed.state();
    let gid = s.group_id();
    let signer = s.signer();
    let pin = PinStore::pin(tx, signer).map_err(StoreError::from)?;
    let Some(pin) = pin else {
        fx.learn.push(signer.to_string());
        return Ok(Step::Hold);
    };
    if pin.state == PinState::Changed {
        // Held like any envelope from them until `trust` (D5).
        return Ok(Step::Hold);
    }
    let Ok(key) = PublicIdentity::from_pem(&pin.public_pem) else {
        let e = GroupError::BadSignature {
            signer: signer.to_string(),
        };
        refuse(tx, cx, from, &e, Some(gid), fx)?;
        return Ok(Step::Done);
    };
    let held = tx.group_held(gid)?;
    match accept(
        held.as_ref().map(SignedGroupState::state),
        signed,
        &key,
        cx.me,
    ) {
        Ok(Accepted::Duplicate) => Ok(Step::Done),
        Ok(_) => {
            record(
                tx,
                cx,
                signed,
                held.as_ref().map(SignedGroupState::state),
                fx,
            )?;
            Ok(Step::Done)
        }
        Err(GroupError::VersionGap { held: have, .. }) => {
            if fresh && let Some(h) = &held {
                ask_for_states(tx, cx, h.state(), from, have)?;
            }
            Ok(Step::Hold)
        }
        Err(e) => {
            refuse(tx, cx, from, &e, Some(gid), fx)?;
            Ok(Step::Done)
        }
    }
}

/// Records an accepted state and reports it.
pub fn record(
    tx: &mut Tx<'_>,
    cx: &Ctx<'_>,
    signed: &SignedGroupState,
    old: Option<&chat_e2e::group::GroupState>,
    fx: &mut Effects,
) -> Result<(), CoreError> {
    let s = signed.state();
    if !tx.put_group_state(signed, cx.me, cx.now)? {
        return Ok(());
    }
    fx.accepted = true;
    let change = diff(old, s, cx.me);
    if let Some(group) = view(tx, s.group_id(), cx.online)? {
        let body = EventBody::Group {
            group: Box::new(group),
            by: s.signer().to_string(),
            change,
        };
        fx.events.push(tx.append_event(&body, cx.now)?);
    }
    Ok(())
}

/// Sends a `group_state_request` (have = the version held) to an admin of
/// the state held other than us, or to `from` when there is none.
fn ask_for_states(
    tx: &mut Tx<'_>,
    cx: &Ctx<'_>,
    held: &chat_e2e::group::GroupState,
    from: &str,
    have: u64,
) -> Result<(), CoreError> {
    let to = held
        .admins()
        .iter()
        .find(|a| a.as_str() != cx.me)
        .map_or(from, String::as_str)
        .to_string();
    if to == cx.me {
        return Ok(());
    }
    let payload = Payload::group_state_request(held.group_id(), have, cx.now)
        .map_err(chat_e2e::E2eError::from)?;
    queue(tx, &to, &payload, None, cx.now)?;
    Ok(())
}

/// Applies one `group_text` (§4.1).
fn post(
    tx: &mut Tx<'_>,
    cx: &Ctx<'_>,
    from: &str,
    t: Post,
    fresh: bool,
    fx: &mut Effects,
) -> Result<Step, CoreError> {
    let held = tx.group_held(t.group_id)?;
    let held_version = held.as_ref().map_or(0, |h| h.state().version());
    if t.version > held_version {
        // The sender knows a state we have not got yet: wait for it (and
        // ask for it when we are a member).
        if fresh
            && let Some(h) = &held
            && h.state().is_member(cx.me)
        {
            ask_for_states(tx, cx, h.state(), from, held_version)?;
        }
        return Ok(Step::Hold);
    }
    let Some(held) = held else {
        return Ok(Step::Hold);
    };
    let h = held.state();
    if !h.is_member(cx.me) || !h.is_member(from) {
        let e = GroupError::NotMember {
            user: from.to_string(),
        };
        refuse(tx, cx, from, &e, Some(t.group_id), fx)?;
        return Ok(Step::Done);
    }
    let gid = t.group_id.hyphenated().to_string();
    let message = Message {
        id: t.id.to_string(),
        from: from.to_string(),
        to: gid.clone(),
        text: t.text,
        ts: t.ts,
        direction: Direction::In,
        status: MessageStatus::Delivered,
        group: Some(GroupRef {
            id: gid.clone(),
            name: h.name().to_string(),
        }),
        receipts: None,
        file: t.file.as_ref().map(StoredFile::info),
    };
    if tx.insert_message(&message)? {
        if let Some(file) = &t.file {
            tx.set_message_file(&message.id, file)?;
        }
        let receipt = Payload::receipt(ReceiptStatus::Delivered, vec![t.id], cx.now)
            .map_err(chat_e2e::E2eError::from)?;
        queue(tx, from, &receipt, None, cx.now)?;
        let focused = (cx.focused)(&gid);
        fx.events
            .push(tx.append_event(&EventBody::Message { message, focused }, cx.now)?);
    }
    Ok(Step::Done)
}

/// Examines every held group payload again, oldest first, until none
/// moves; drops those older than [`HOLD_MS`] (a state then reported as
/// `group_version_gap`).
pub fn reexamine(tx: &mut Tx<'_>, cx: &Ctx<'_>, fx: &mut Effects) -> Result<(), CoreError> {
    // Each pass removes at least one row or ends the loop.
    loop {
        let mut moved = false;
        for held in tx.group_held_all()? {
            let payload = Payload::from_bytes(held.payload.as_bytes());
            if held.received_ms < cx.now - HOLD_MS {
                tx.group_held_remove(held.row)?;
                if let Ok(Payload::GroupState(_)) = payload {
                    let e = GroupError::VersionGap { held: 0, got: 0 };
                    refuse(tx, cx, &held.sender, &e, Some(held.group_id), fx)?;
                }
                continue;
            }
            let step = match payload {
                Ok(Payload::GroupState(GroupStatePayload { state: Ok(s), .. })) => {
                    state(tx, cx, &held.sender, &s, false, fx)?
                }
                Ok(Payload::GroupText(t)) => post(tx, cx, &held.sender, t.into(), false, fx)?,
                Ok(Payload::GroupFile(f)) => post(tx, cx, &held.sender, f.into(), false, fx)?,
                _ => Step::Done,
            };
            if let Step::Done = step {
                tx.group_held_remove(held.row)?;
                moved = true;
            }
        }
        if !moved {
            return Ok(());
        }
    }
}

/// [`reexamine`] after a state was accepted.
fn reexamine_if(tx: &mut Tx<'_>, cx: &Ctx<'_>, fx: &mut Effects) -> Result<(), CoreError> {
    if fx.accepted {
        reexamine(tx, cx, fx)?;
    }
    Ok(())
}

fn hold(tx: &mut Tx<'_>, gid: Uuid, from: &str, bytes: &[u8], now: i64) -> Result<(), CoreError> {
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| CoreError::Internal("an encoded payload is not UTF-8".into()))?;
    tx.group_hold(gid, from, &text, now)?;
    Ok(())
}

/// Reports a refused group payload as a `security` event.
fn refuse(
    tx: &mut Tx<'_>,
    cx: &Ctx<'_>,
    from: &str,
    e: &GroupError,
    group: Option<Uuid>,
    fx: &mut Effects,
) -> Result<(), CoreError> {
    let Some(code) = e.reason() else {
        tracing::error!(error = %e, "a group payload could not be examined");
        return Ok(());
    };
    tracing::warn!(peer = %from, error = %e, "refused a group payload");
    let body = EventBody::Security {
        user: from.to_string(),
        reason: SecurityReason::from_code(code),
        group: group.map(|g| g.hyphenated().to_string()),
    };
    fx.events.push(tx.append_event(&body, cx.now)?);
    Ok(())
}
