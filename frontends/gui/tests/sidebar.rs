//! The sidebar's "Online now" section, fed presence and messages by hand:
//! it counts everyone online, lists only those without a conversation
//! (the others have their row above), and says which of the two cases an
//! empty list is.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chat_gui::backend::Update;
use chatd_api::{Direction, Event, EventBody, Message, MessageStatus};
use common::*;

fn feed(h: &mut egui_kittest::Harness<'static, chat_gui::ui::App>, body: EventBody) {
    h.state_mut()
        .model
        .apply(Update::Event(Event { seq: 1, body }));
}

fn presence(user: &str, online: bool) -> EventBody {
    EventBody::Presence {
        user: user.into(),
        online,
    }
}

#[test]
fn online_now_counts_everyone_and_lists_those_without_a_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = logged_in_window(&dir, "alice");
    wait_label(&mut h, "ONLINE NOW · 0");
    wait_label(&mut h, "Nobody else is online");

    // bob writes and is online: he has his row among the conversations.
    feed(
        &mut h,
        EventBody::Message {
            message: Message {
                id: "m1".into(),
                from: "bob".into(),
                to: "alice".into(),
                text: "hi".into(),
                ts: 1_700_000_000_000,
                direction: Direction::In,
                status: MessageStatus::Delivered,
                group: None,
                receipts: None,
                file: None,
            },
            focused: false,
        },
    );
    feed(&mut h, presence("bob", true));
    wait_label(&mut h, "ONLINE NOW · 1");
    wait_label(&mut h, "Everyone online is in your conversations");

    // carol, with no conversation yet, is listed under it.
    feed(&mut h, presence("carol", true));
    wait_label(&mut h, "ONLINE NOW · 2");
    wait_gone(&mut h, "Everyone online is in your conversations");
    wait_label(&mut h, "Chat with carol");

    feed(&mut h, presence("bob", false));
    feed(&mut h, presence("carol", false));
    wait_label(&mut h, "Nobody else is online");
}
