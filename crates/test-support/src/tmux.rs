//! A terminal program driven end to end in a tmux pane, the way a person
//! at a terminal would: keys go in with `send-keys`, the screen is read
//! with `capture-pane`, and every wait is named and polls the screen until
//! a deadline. Each [`Tmux`] is its own tmux server (`-L`), killed when it
//! is dropped, however the test ends. Shared so that chat-tui's own tests
//! and the tests of other frontends (chat-gui's file scenario watches
//! chat-tui too) drive chat-tui one way. Needs `tmux` (and `script` from
//! util-linux for [`Tmux::report_focus`]); .ci/packages.d/tui.txt lists
//! them. A helper that cannot drive tmux has nothing to hand back but a
//! panic naming what failed, hence `expect` here.
#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::wait::Wait;

/// How long a screen may take to show what a test waits for.
pub const WAIT: Duration = Duration::from_secs(30);

/// A private tmux server running one program in window 0.
pub struct Tmux {
    name: String,
    /// The server's socket, removed at the end (kill-server leaves it).
    socket: Option<PathBuf>,
    /// Where the shell writes the program's exit code.
    exit_file: PathBuf,
    /// A client attached through a pseudo-terminal (`script`), so that
    /// tmux has a focused client and reports focus to the pane.
    client: Option<Child>,
}

impl Tmux {
    /// Starts `chat-tui --utc ARGS` (the binary at `bin`) in a `width` x
    /// `height` pane, talking to the chatd at `socket` and keeping its
    /// state file (and the exit-code file) in `state`.
    pub fn chat_tui(
        bin: &Path,
        socket: &Path,
        state: &Path,
        args: &[&str],
        width: u16,
        height: u16,
    ) -> Tmux {
        let mut all = vec!["--utc"];
        all.extend(args);
        let env = [
            ("CHATD_SOCKET", socket.display().to_string()),
            ("XDG_STATE_HOME", state.display().to_string()),
        ];
        Self::start(bin, &all, &env, state, (width, height))
    }

    /// Starts `program ARGS` with `env` set in a `size` (columns, rows)
    /// pane; the shell around it writes its exit code into `dir`.
    pub fn start(
        program: &Path,
        args: &[&str],
        env: &[(&str, String)],
        dir: &Path,
        size: (u16, u16),
    ) -> Tmux {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "securechat-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        std::fs::create_dir_all(dir).expect("a directory for the exit code");
        let exit_file = dir.join(format!("{name}.exit"));
        let command = format!(
            "{} {}; echo $? > {}",
            program.display(),
            args.join(" "),
            exit_file.display()
        );
        let mut me = Tmux {
            name,
            socket: None,
            exit_file,
            client: None,
        };
        let (width, height) = (size.0.to_string(), size.1.to_string());
        let env: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut new = vec![
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            &width,
            "-y",
            &height,
        ];
        for e in &env {
            new.extend(["-e", e]);
        }
        new.extend([&command, ";", "set-option", "-g", "remain-on-exit", "on"]);
        me.run(&new);
        let path = me.run(&["display-message", "-p", "#{socket_path}"]).stdout;
        me.socket = Some(String::from_utf8_lossy(&path).trim().into());
        me
    }

    /// Turns on tmux's focus reports and attaches a client: from now on
    /// the pane gets focus-in and focus-out as windows change, as in a
    /// real tmux (a detached tmux has no focused client at all). The
    /// window takes the client's size (80x24 less the status line);
    /// `window-size manual` would keep it but crashes tmux 3.3a on
    /// `new-window`.
    pub fn report_focus(&mut self) {
        self.run(&["set-option", "-g", "focus-events", "on"]);
        let client = Command::new("script")
            .args([
                "-qfc",
                &format!("tmux -L {} attach", self.name),
                "/dev/null",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("script runs (util-linux)");
        self.client = Some(client);
        Wait::new("a tmux client to attach")
            .within(WAIT)
            .every(Duration::from_millis(50))
            .until(|| {
                let out = self.run(&["list-clients"]).stdout;
                match out.is_empty() {
                    false => Ok(()),
                    true => Err("no client yet".to_string()),
                }
            });
    }

    /// Runs a tmux command on this server; it must succeed.
    pub fn run(&self, args: &[&str]) -> Output {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.name)
            .args(args)
            .output()
            .expect("tmux runs (install it: apt-get install tmux)");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Types text literally.
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "0", "-l", text]);
    }

    /// Presses keys by tmux name (`Enter`, `C-n`, `Tab`).
    pub fn press(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend(keys);
        self.run(&args);
    }

    /// What window 0 shows now.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "0"]).stdout).into_owned()
    }

    /// Polls the screen until it contains `needle`; returns that screen.
    pub fn wait_for(&self, what: &str, needle: &str) -> String {
        self.wait_until(what, |s| s.contains(needle))
    }

    /// Polls the screen until `ok` holds for it; returns that screen.
    pub fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        Wait::new(what)
            .within(WAIT)
            .every(Duration::from_millis(50))
            .until(|| {
                let screen = self.screen();
                match ok(&screen) {
                    true => Ok(screen),
                    false => Err(format!("the screen:\n{screen}")),
                }
            })
    }

    /// Waits for the program to exit and returns its exit code, as the
    /// shell around it wrote it (tmux does not always collect it in time).
    pub fn wait_exit(&self) -> String {
        Wait::new("the program in tmux to exit")
            .within(WAIT)
            .every(Duration::from_millis(50))
            .until(|| match std::fs::read_to_string(&self.exit_file) {
                Ok(code) if code.ends_with('\n') => Ok(code.trim().to_string()),
                _ => Err(format!("the screen:\n{}", self.screen())),
            })
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        if let Some(mut client) = self.client.take() {
            let _ = client.kill();
            let _ = client.wait();
        }
        let _ = Command::new("tmux")
            .args(["-L", &self.name, "kill-server"])
            .output();
        if let Some(socket) = &self.socket {
            let _ = std::fs::remove_file(socket);
        }
    }
}
