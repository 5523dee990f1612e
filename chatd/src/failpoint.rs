//! Failpoints for crash tests: named places where a test-built chatd can be
//! told (by `CHATD_FAILPOINT=<name>`) to stop and wait to be killed, so a
//! test can SIGKILL it exactly between two steps that must not be split.
//! They exist only with the `failpoints` cargo feature, which chatd's own
//! integration tests turn on; in the shipped binary [`pause`] is empty and
//! the variable is never read.

/// The variable that names the failpoint to stop at.
#[cfg(feature = "failpoints")]
pub const VAR: &str = "CHATD_FAILPOINT";

/// Stops here forever, after logging `failpoint reached` with its name,
/// when `CHATD_FAILPOINT` names `name`; returns at once otherwise.
#[cfg(feature = "failpoints")]
pub async fn pause(name: &str) {
    if std::env::var(VAR).is_ok_and(|v| v == name) {
        tracing::warn!(failpoint = name, "failpoint reached; waiting to be killed");
        std::future::pending::<()>().await;
    }
}

/// Without the `failpoints` feature: nothing.
#[cfg(not(feature = "failpoints"))]
pub async fn pause(_name: &str) {}
