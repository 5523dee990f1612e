//! A real PostgreSQL 15 for tests (Debian's `postgresql` package), so that
//! the PostgreSQL store is tested against the engine operators run, with
//! its locking, its constraint errors and its durable commits, not a fake.
//!
//! Starting a cluster costs about a second, so a test binary shares one
//! ([`Postgres::shared`]) and gives every test a fresh database
//! ([`Postgres::database`]). PostgreSQL refuses to run as root: when the
//! tests run as root (CI does) the cluster runs as the `postgres` user.
//!
//! The server runs under a small shell that stops it (fast shutdown) and
//! removes its files as soon as its standard input closes. The
//! guard holds the other end of that pipe, so the server goes when the
//! guard is dropped, when a test panics, and also when the test process
//! ends without dropping anything (a shared guard lives in a `static`) or
//! is killed.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use anyhow::{Context, bail};
use tempfile::TempDir;

use crate::wait::Wait;

/// Where Debian installs PostgreSQL 15's server programs.
pub const BIN_DIR: &str = "/usr/lib/postgresql/15/bin";

/// How long the cluster may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs the server, then stops it and deletes its files once stdin closes.
/// Arguments: bin dir, cluster dir, port. The reader of stdin is a
/// background job with stdin redirected explicitly (background jobs of a
/// non-interactive shell otherwise read /dev/null).
const SUPERVISOR: &str = r#"
bin=$1; dir=$2; port=$3
exec 3<&0
"$bin/postgres" -D "$dir/data" -p "$port" -k "$dir" \
    -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on \
    -c full_page_writes=on -c max_connections=400 -c shared_buffers=32MB \
    -c ssl=on \
    >"$dir/postgres.log" 2>&1 &
pid=$!
{ read -r _ ; kill -INT "$pid" 2>/dev/null; } <&3 &
wait "$pid"
status=$?
rm -rf "$dir"
exit $status
"#;

/// Gives the cluster in `data` its TLS certificate and key
/// (`testdata/postgres-tls`, made by its `gen.sh`): PostgreSQL wants the
/// key owned by the user it runs as and readable by nobody else.
fn install_tls(data: &Path, as_postgres: bool) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let fixtures = crate::fixtures::testdata().join("postgres-tls");
    for name in ["server.crt", "server.key"] {
        let to = data.join(name);
        std::fs::copy(fixtures.join(name), &to)
            .with_context(|| format!("copying {name} into the cluster"))?;
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600))?;
        if as_postgres {
            let (uid, gid) = postgres_user()?;
            std::os::unix::fs::chown(&to, Some(uid), Some(gid))
                .with_context(|| format!("handing {name} to the postgres user"))?;
        }
    }
    Ok(())
}

/// A running PostgreSQL cluster on a loopback port, trusting local
/// connections (a test cluster only: no passwords). Stopped on drop.
pub struct Postgres {
    port: u16,
    socket_dir: PathBuf,
    /// Closing it stops the server (see the module docs).
    stdin: Mutex<Option<ChildStdin>>,
    supervisor: Mutex<Child>,
    // Dropped last: the cluster's files.
    _dir: TempDir,
}

static SHARED: OnceLock<Result<Postgres, String>> = OnceLock::new();
static DATABASES: AtomicU32 = AtomicU32::new(0);

impl Postgres {
    /// The cluster shared by this test binary, started on first use and
    /// stopped when the process ends.
    pub fn shared() -> anyhow::Result<&'static Postgres> {
        SHARED
            .get_or_init(|| Postgres::start().map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// Starts a new cluster in a fresh temp dir and waits until it accepts
    /// connections (panics naming the wait and showing the server's log
    /// when it does not within a minute).
    pub fn start() -> anyhow::Result<Postgres> {
        let bin = Path::new(BIN_DIR);
        if !bin.join("postgres").exists() {
            bail!(
                "{} not found: install Debian's `postgresql` package (.ci/packages.d/postgres.txt)",
                bin.join("postgres").display()
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("securechat-pg-")
            .tempdir()
            .context("creating the cluster's temp dir")?;
        let as_postgres = running_as_root()?;
        if as_postgres {
            let (uid, gid) = postgres_user()?;
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .context("handing the cluster's temp dir to the postgres user")?;
        }
        let data = dir.path().join("data");
        let out = command(as_postgres, &bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                // Only initdb's final sync of the template files is skipped;
                // the server itself runs with fsync on.
                "--no-sync",
            ])
            .stdin(Stdio::null())
            .output()
            .context("running initdb")?;
        if !out.status.success() {
            bail!(
                "initdb failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        install_tls(&data, as_postgres)?;
        let port = free_port()?;
        let mut supervisor = command(as_postgres, Path::new("/bin/sh"))
            .arg("-c")
            .arg(SUPERVISOR)
            .arg("sh")
            .arg(bin)
            .arg(dir.path())
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting postgres")?;
        let stdin = supervisor.stdin.take();
        let pg = Postgres {
            port,
            socket_dir: dir.path().to_owned(),
            stdin: Mutex::new(stdin),
            supervisor: Mutex::new(supervisor),
            _dir: dir,
        };
        pg.wait_ready();
        Ok(pg)
    }

    /// Polls `pg_isready`; panics with the server's log when it exits or
    /// times out.
    fn wait_ready(&self) {
        let port = self.port.to_string();
        Wait::new("postgres to accept connections")
            .within(START_TIMEOUT)
            .every(Duration::from_millis(50))
            .until(|| -> Result<(), String> {
                let exited = self
                    .supervisor
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .try_wait();
                if let Ok(Some(status)) = exited {
                    panic!("postgres exited ({status}) while starting: {}", self.log());
                }
                let ready = Command::new(Path::new(BIN_DIR).join("pg_isready"))
                    .args(["-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres"])
                    .args(["-p", &port])
                    .stdin(Stdio::null())
                    .status();
                match ready {
                    Ok(status) if status.success() => Ok(()),
                    Ok(_) => Err(format!("not yet; server log:\n{}", self.log())),
                    Err(e) => Err(format!("running pg_isready: {e}")),
                }
            });
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        let mut log = String::new();
        if let Ok(mut f) = std::fs::File::open(self.socket_dir.join("postgres.log")) {
            let _ = f.read_to_string(&mut log);
        }
        log
    }

    /// The CA (PEM) that signed the cluster's TLS certificate, which
    /// names `localhost` and `127.0.0.1`. The cluster accepts TLS and
    /// plain connections alike.
    pub fn tls_ca() -> PathBuf {
        crate::fixtures::testdata().join("postgres-tls/ca.pem")
    }

    /// A CA that signed nothing the cluster shows: a client verifying
    /// against it must refuse the cluster.
    pub fn other_ca() -> PathBuf {
        crate::fixtures::testdata().join("postgres-tls/other-ca.pem")
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory of its unix socket (`.s.PGSQL.<port>`).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The postmaster's process id (the first line of its `postmaster.pid`),
    /// for reading the CPU time of the cluster's processes, which are its
    /// children; `None` when the file cannot be read.
    pub fn server_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.socket_dir.join("data/postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// A `postgres://` URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates a new, empty database and returns its URL. Blocking (runs
    /// `psql`); call it before entering async code or via `spawn_blocking`.
    pub fn database(&self) -> anyhow::Result<String> {
        let n = DATABASES.fetch_add(1, Ordering::Relaxed);
        let name = format!("test_{}_{n}", std::process::id());
        self.psql(&format!("CREATE DATABASE {name}"))?;
        Ok(self.url(&name))
    }

    /// Runs one SQL command in the `postgres` database as the superuser.
    pub fn psql(&self, sql: &str) -> anyhow::Result<String> {
        let out = Command::new(Path::new(BIN_DIR).join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres"])
            .args(["-p", &self.port.to_string(), "-c", sql])
            .stdin(Stdio::null())
            .output()
            .context("running psql")?;
        if !out.status.success() {
            bail!(
                "psql `{sql}` failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // Closing stdin makes the supervisor stop the server and clean up.
        if let Some(mut stdin) = self
            .stdin
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            let _ = stdin.write_all(b"stop\n");
        }
        let _ = self
            .supervisor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .wait();
    }
}

/// `program` run directly, or as the `postgres` user when we are root.
fn command(as_postgres: bool, program: &Path) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn running_as_root() -> anyhow::Result<bool> {
    let out = Command::new("id")
        .arg("-u")
        .output()
        .context("running id -u")?;
    Ok(String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Uid and gid of the `postgres` user the Debian package creates.
fn postgres_user() -> anyhow::Result<(u32, u32)> {
    let id = |flag: &str| -> anyhow::Result<u32> {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .context("running id")?;
        if !out.status.success() {
            bail!("no `postgres` user: install Debian's `postgresql` package");
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
    };
    Ok((id("-u")?, id("-g")?))
}

/// A loopback port nothing listens on right now.
fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_creates_databases_and_stops_on_drop() {
        let pg = Postgres::start().unwrap();
        let url = pg.database().unwrap();
        assert!(url.starts_with("postgres://postgres@127.0.0.1:"), "{url}");
        let name = url.rsplit('/').next().unwrap().to_owned();
        let found = pg
            .psql(&format!(
                "SELECT count(*) FROM pg_database WHERE datname = '{name}'"
            ))
            .unwrap();
        assert_eq!(found, "1");
        assert_eq!(pg.psql("SHOW fsync").unwrap(), "on");
        let pid = pg.server_pid().expect("postmaster.pid");
        assert!(
            std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "postmaster {pid} runs"
        );
        let other = pg.database().unwrap();
        assert_ne!(url, other);
        let (port, dir) = (pg.port(), pg.socket_dir.clone());
        drop(pg);
        assert!(!dir.exists(), "cluster files removed");
        let still = Command::new(Path::new(BIN_DIR).join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
            .status()
            .unwrap();
        assert!(!still.success(), "server stopped");
    }

    #[test]
    fn shared_is_one_cluster() {
        let a = Postgres::shared().unwrap();
        let b = Postgres::shared().unwrap();
        assert_eq!(a.port(), b.port());
        let url = a.database().unwrap();
        assert!(url.contains(&a.port().to_string()));
    }
}
