//! A real nats-server for tests (Debian's `nats-server` package), so that
//! the cluster's bus is tested against the server operators run, with its
//! disconnects and reconnects, not a fake.
//!
//! Started as a child on a free loopback port and killed on drop. A test
//! can stop it ([`Nats::stop`], SIGKILL: the nodes see the bus vanish as
//! in a crash) and start it again on the same port ([`Nats::restart`]), so
//! that the nodes' clients reconnect to the address they were given.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context;

use crate::wait::Wait;

/// Where Debian installs the server (bookworm: /usr/sbin), else on PATH.
fn binary() -> anyhow::Result<std::path::PathBuf> {
    for dir in ["/usr/sbin", "/usr/bin"] {
        let path = Path::new(dir).join("nats-server");
        if path.exists() {
            return Ok(path);
        }
    }
    let paths = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&paths)
        .map(|d| d.join("nats-server"))
        .find(|p| p.exists())
        .context("nats-server not found: install Debian's `nats-server` package (.ci/packages.d/nats.txt)")
}

/// How long the server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running nats-server on a loopback port; killed on drop.
pub struct Nats {
    port: u16,
    monitor: u16,
    child: Option<Child>,
}

impl Nats {
    /// Starts a server on a free port and waits until it accepts
    /// connections.
    pub fn start() -> anyhow::Result<Nats> {
        let mut nats = Nats {
            port: free_port()?,
            monitor: free_port()?,
            child: None,
        };
        nats.restart()?;
        Ok(nats)
    }

    /// The `nats://` URL the nodes are given.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the server with SIGKILL (no goodbye to its clients).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again) on the same port, after [`Nats::stop`],
    /// and waits until it accepts connections.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        let child = Command::new(binary()?)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-m", &self.monitor.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting nats-server")?;
        self.child = Some(child);
        let port = self.port;
        Wait::new("nats-server to accept connections")
            .within(START_TIMEOUT)
            .every(Duration::from_millis(20))
            .until(|| -> Result<(), String> {
                if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                    panic!("nats-server exited ({status}) while starting on port {port}");
                }
                TcpStream::connect(("127.0.0.1", port))
                    .map(drop)
                    .map_err(|e| format!("port {port}: {e}"))
            });
        Ok(())
    }
}

impl Nats {
    /// How many clients are connected with at least one subscription (from
    /// the server's monitoring endpoint): a node counts once its bus client
    /// has (re)connected and (re)subscribed.
    pub fn subscribed_clients(&self) -> anyhow::Result<usize> {
        let mut tcp = TcpStream::connect(("127.0.0.1", self.monitor))
            .context("connecting to nats-server's monitoring port")?;
        tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
        tcp.write_all(b"GET /connz?subs=1 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
        let mut reply = String::new();
        tcp.read_to_string(&mut reply)?;
        let body = reply
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .context("no body in the monitoring reply")?;
        let connz: serde_json::Value = serde_json::from_str(body)?;
        Ok(connz["connections"].as_array().map_or(0, |conns| {
            conns
                .iter()
                .filter(|c| c["subscriptions"].as_u64().unwrap_or(0) > 0)
                .count()
        }))
    }
}

/// A loopback port nothing listens on right now.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")
        .context("finding a free port")?
        .local_addr()?
        .port())
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_stops_and_restarts_on_the_same_port() {
        let mut nats = Nats::start().unwrap();
        let port = nats.port();
        assert!(nats.url().ends_with(&format!(":{port}")));
        TcpStream::connect(("127.0.0.1", port)).unwrap();
        let pid = nats.pid().expect("running");
        assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
        nats.stop();
        assert_eq!(nats.pid(), None);
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "stopped");
        nats.restart().unwrap();
        TcpStream::connect(("127.0.0.1", port)).unwrap();
        assert_eq!(nats.subscribed_clients().unwrap(), 0);
        drop(nats);
        assert!(
            TcpStream::connect(("127.0.0.1", port)).is_err(),
            "killed on drop"
        );
    }
}
