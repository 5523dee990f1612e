//! A private D-Bus session bus per test: a real dbus-daemon with a
//! configuration of ours in a temp dir (a socket there, our own
//! `<servicedir>`), never the stock session configuration, which would
//! auto-activate whatever is installed on the machine (a notification
//! daemon, say) and share state between tests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

use anyhow::{Context, bail};

use crate::daemon::DaemonEnv;
use crate::wait::TIMEOUT;

/// A running dbus-daemon of our own; killed (SIGKILL) on drop, its
/// directory removed.
pub struct PrivateBus {
    child: Child,
    /// Its directory: configuration, socket, log, service files.
    pub dir: tempfile::TempDir,
    /// `unix:path=...,guid=...`, as clients take it in
    /// `DBUS_SESSION_BUS_ADDRESS`.
    pub address: String,
    /// The `<servicedir>` D-Bus activation reads (empty at first).
    pub services: PathBuf,
}

impl PrivateBus {
    /// Writes the configuration to a new temp dir, starts dbus-daemon on it
    /// and returns once it has printed its address.
    pub fn start() -> anyhow::Result<Self> {
        Self::start_with(|text| text)
    }

    /// A bus that lets every uid connect (its policy allows any user and
    /// its directory is world-readable), for tests of what chatd does with
    /// callers of another uid.
    pub fn start_open_to_all_users() -> anyhow::Result<Self> {
        use std::os::unix::fs::PermissionsExt;
        let bus = Self::start_with(|text| {
            text.replace(
                r#"<policy context="default">"#,
                "<policy context=\"default\">\n    <allow user=\"*\"/>",
            )
        })?;
        std::fs::set_permissions(bus.dir.path(), std::fs::Permissions::from_mode(0o755))?;
        Ok(bus)
    }

    fn start_with(config_edit: impl FnOnce(String) -> String) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let services = dir.path().join("services");
        std::fs::create_dir_all(&services)?;
        let config = dir.path().join("bus.conf");
        let text = config_edit(config_text(&dir.path().join("bus"), &services));
        std::fs::write(&config, text)?;
        let mut child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--nopidfile", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("bus.log"))?)
            .spawn()
            .context("cannot run dbus-daemon; install the packages in .ci/packages.d/dbus.txt")?;
        let address = match first_line(&mut child) {
            Ok(address) => address,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(dir.path().join("bus.log")).unwrap_or_default();
                return Err(e.context(format!("dbus-daemon's log:\n{log}")));
            }
        };
        Ok(Self {
            child,
            dir,
            address,
            services,
        })
    }

    /// Environment that points a chatd at this bus (and lets it offer its
    /// D-Bus service).
    pub fn env(&self) -> DaemonEnv {
        DaemonEnv {
            set: vec![("DBUS_SESSION_BUS_ADDRESS".into(), self.address.clone())],
            remove: vec![],
            dbus: true,
        }
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address dbus-daemon prints first, within [`TIMEOUT`].
fn first_line(child: &mut Child) -> anyhow::Result<String> {
    let stdout = child.stdout.take().context("no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(TIMEOUT)
        .with_context(|| format!("dbus-daemon printed no address within {TIMEOUT:?}"))?;
    if line.trim().is_empty() {
        bail!("dbus-daemon exited before it printed its address");
    }
    Ok(line.trim().to_string())
}

/// Our bus configuration: a session bus on `socket`, activating only what
/// is in `services`, open to the user running the tests (eavesdropping
/// allowed, for monitors).
fn config_text(socket: &Path, services: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <servicedir>{}</servicedir>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        socket.display(),
        services.display()
    )
}
