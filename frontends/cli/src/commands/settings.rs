//! `chat settings [read-receipts|typing-indicators on|off]`: chatd's
//! settings, which every frontend follows (chat-tui and chat-gui mark
//! messages read and say when you type, chatd decides whether the other
//! side hears of it).

use chatd_api::{Settings, SettingsPatch};

use super::Ctx;
use crate::cli::{OnOff, SettingChange, SettingsArgs};
use crate::display::table::{Align, render};

/// Shows the settings, or changes one and shows them all.
pub(crate) async fn run(ctx: &Ctx, args: &SettingsArgs) -> anyhow::Result<()> {
    let client = ctx.client().await?;
    let settings = match &args.change {
        None => client.settings().await?,
        Some(change) => client.set_settings(&patch(change)).await?,
    };
    ctx.out.result(&settings, describe)
}

/// The change as the API's patch.
fn patch(change: &SettingChange) -> SettingsPatch {
    match change {
        SettingChange::ReadReceipts { value } => SettingsPatch {
            read_receipts: Some(*value == OnOff::On),
            typing_indicators: None,
        },
        SettingChange::TypingIndicators { value } => SettingsPatch {
            read_receipts: None,
            typing_indicators: Some(*value == OnOff::On),
        },
    }
}

/// The settings as an aligned block, each with what it means now.
pub(crate) fn describe(s: &Settings) -> String {
    let read_receipts = if s.read_receipts {
        "on (people see when you read their messages)"
    } else {
        "off (people see \"delivered\", never \"read\")"
    };
    let typing = if s.typing_indicators {
        "on (people see when you type to them, and you see when they do)"
    } else {
        "off (nobody is told that you type)"
    };
    let rows = vec![
        vec!["read-receipts".to_string(), read_receipts.to_string()],
        vec!["typing-indicators".to_string(), typing.to_string()],
    ];
    render(&rows, &[Align::Left, Align::Left])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_and_off_become_the_patch() {
        let off = SettingChange::ReadReceipts { value: OnOff::Off };
        assert_eq!(patch(&off).read_receipts, Some(false));
        let on = SettingChange::ReadReceipts { value: OnOff::On };
        assert_eq!(patch(&on).read_receipts, Some(true));
        let typing = patch(&SettingChange::TypingIndicators { value: OnOff::Off });
        assert_eq!(
            (typing.read_receipts, typing.typing_indicators),
            (None, Some(false))
        );
    }

    #[test]
    fn the_block_says_what_each_value_means() {
        let on = describe(&Settings {
            read_receipts: true,
            typing_indicators: true,
        });
        assert!(on.contains("read-receipts") && on.contains("on ("), "{on}");
        let off = describe(&Settings {
            read_receipts: false,
            typing_indicators: false,
        });
        assert!(
            off.contains("off (") && off.contains("never \"read\""),
            "{off}"
        );
        assert!(off.contains("nobody is told that you type"), "{off}");
    }
}
