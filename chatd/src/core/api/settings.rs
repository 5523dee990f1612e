//! `settings` and `set_settings` (the CLI's `settings`): the person's
//! choices that chatd applies for every frontend (today: whether read
//! receipts and typing indicators are sent). A change is stored and announced as a `settings`
//! event in one transaction, so every open frontend shows it.

use chat_proto::now_ms;
use chatd_api::{ApiError, EventBody, Settings, SettingsPatch};

use crate::core::{Core, CoreError};

pub(super) async fn settings(core: &Core) -> Result<Settings, ApiError> {
    Ok(core.db().call(|tx| tx.settings()).await?)
}

pub(super) async fn set_settings(core: &Core, p: SettingsPatch) -> Result<Settings, ApiError> {
    let (settings, events) = core
        .db()
        .run(move |tx| {
            let before = tx.settings()?;
            let mut after = before.clone();
            if let Some(on) = p.read_receipts {
                after.read_receipts = on;
            }
            if let Some(on) = p.typing_indicators {
                after.typing_indicators = on;
            }
            let mut events = Vec::new();
            if after != before {
                tx.put_settings(&after)?;
                events.push(tx.append_event(
                    &EventBody::Settings {
                        settings: after.clone(),
                    },
                    now_ms(),
                )?);
            }
            Ok::<_, CoreError>((after, events))
        })
        .await?;
    core.hub().announce(events);
    Ok(settings)
}
