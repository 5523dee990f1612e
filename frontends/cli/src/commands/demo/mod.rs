//! `chat demo`: the whole system working on this machine in one command,
//! with the real `chat-server` and `chatd` binaries as child processes in a
//! temp dir, cleaned up however the demo ends (success, error, Ctrl-C).

mod binaries;
mod procs;
mod say;
mod script;
pub(crate) mod wait;

use std::time::Instant;

use anyhow::Context;

use crate::cli::DemoArgs;
use crate::display::fingerprint::grouped;
use crate::display::message::mark;
use crate::display::table::{Align, render};
use crate::output::Out;
use procs::Children;
use say::Say;
use script::Summary;

/// Runs the demo.
pub(crate) async fn run(out: Out, args: &DemoArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let say = Say::new(out);
    say.line("SecureChat demo: a server and two daemons on this machine, talking for real.");
    let bins = binaries::locate()?;
    let dir = tempfile::Builder::new()
        .prefix("securechat-demo-")
        .tempdir()
        .context("cannot create a temp dir for the demo")?;
    say.line(&format!("Working in {}", dir.path().display()));

    let mut children = Children::default();
    let mut interrupted = false;
    let outcome = tokio::select! {
        summary = script::run(&say, &bins, dir.path(), &mut children) => summary,
        _ = tokio::signal::ctrl_c() => {
            interrupted = true;
            Err(anyhow::anyhow!("interrupted; nothing is left running"))
        }
    };
    if outcome.is_err() && !interrupted {
        eprintln!(
            "\nThe demo failed; the last lines of each log:\n{}",
            children.log_tails()
        );
        if !args.keep {
            eprintln!("(run `chat demo --keep` to keep the temp dir with all logs)");
        }
    }

    say.step(
        "Cleaning up",
        if args.keep {
            "The children are stopped; the temp dir stays (--keep) with data and logs."
        } else {
            "The children are stopped and the temp dir removed, as after any demo."
        },
    );
    let stopped = children.shutdown().await;
    say.detail(&format!("stopped {stopped} processes"));
    let kept = if args.keep {
        let path = dir.keep();
        say.detail(&format!("kept {}", path.display()));
        Some(path)
    } else {
        let path = dir.path().to_path_buf();
        dir.close()
            .with_context(|| format!("cannot remove {}", path.display()))?;
        say.detail(&format!("removed {}", path.display()));
        None
    };

    let summary = outcome?;
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if out.json() {
        let mut value = serde_json::to_value(&summary)?;
        value["elapsed_ms"] = elapsed_ms.into();
        value["kept"] = serde_json::json!(kept);
        out.json_line(&value)
    } else {
        Ok(out.text(&describe(&summary, elapsed_ms))?)
    }
}

/// The closing summary for people.
fn describe(s: &Summary, elapsed_ms: u64) -> String {
    let short = |f: &str| grouped(&f.chars().take(16).collect::<String>());
    let mut rows = vec![vec![
        "chat-server".to_string(),
        format!(
            "{} over TLS 1.3, key {}…",
            s.server,
            short(&s.server_fingerprint)
        ),
    ]];
    let mut names: Vec<&String> = s.fingerprints.keys().collect();
    names.sort();
    for name in names {
        rows.push(vec![
            name.clone(),
            format!(
                "identity key {}…, verified by the other side",
                short(&s.fingerprints[name])
            ),
        ]);
    }
    for m in &s.messages {
        rows.push(vec![
            format!("{} → {}", m.from, m.to),
            format!("{}  {}", mark(m.status), m.text),
        ]);
    }
    let mut out = String::from("\nWhat just happened\n");
    for line in render(&rows, &[Align::Left, Align::Left]).lines() {
        out.push_str(&format!("  {line}\n"));
    }
    out.push_str(
        "The server stored and relayed only encrypted envelopes; each private key stayed \
         inside its chatd.\n",
    );
    out.push_str(&format!(
        "\nDone in {}.{} s.\n",
        elapsed_ms / 1000,
        (elapsed_ms % 1000) / 100
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatd_api::MessageStatus;
    use script::SummaryMessage;
    use std::collections::HashMap;

    #[test]
    fn the_summary_reads_well() {
        let s = Summary {
            server: "127.0.0.1:4000".into(),
            server_fingerprint: "ab".repeat(32),
            fingerprints: HashMap::from([
                ("bob".to_string(), "01".repeat(32)),
                ("alice".to_string(), "23".repeat(32)),
            ]),
            messages: vec![SummaryMessage {
                from: "alice".into(),
                to: "bob".into(),
                text: "hi".into(),
                status: MessageStatus::Read,
            }],
        };
        let text = describe(&s, 3456);
        assert!(
            text.contains("chat-server  127.0.0.1:4000 over TLS 1.3, key abab abab abab abab…")
        );
        assert!(text.find("alice").unwrap_or(0) < text.find("  bob ").unwrap_or(0));
        assert!(text.contains("  alice → bob  ✓✓ read  hi\n"), "{text}");
        assert!(text.contains("  bob          identity key 0101"), "{text}");
        assert!(text.ends_with("Done in 3.4 s.\n"));
    }
}
