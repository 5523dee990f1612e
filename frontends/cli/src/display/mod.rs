//! Human output, as pure functions from API values to text, so every
//! format is unit-tested without a daemon. `--json` bypasses all of this.

pub mod event;
pub mod file;
pub mod fingerprint;
pub mod group;
pub mod message;
pub mod table;
pub mod text;
pub mod time;
