//! The cluster's presence in PostgreSQL: one row per logged-in connection
//! (node, connection, user) and one heartbeat per node. The table, not the
//! bus, says who is online elsewhere: a bus event only makes nodes re-read
//! it sooner. A node that stops heartbeating (killed, cut off) is deleted
//! by the first survivor that notices, its session rows with it, so its
//! users go offline for everyone's watchers.
//!
//! Its own small pool, apart from the store's: presence is the router's
//! business, and the store trait stays the same for every engine.

use std::collections::BTreeSet;
use std::time::Duration;

use deadpool_postgres::{Pool, Runtime};

use crate::router::ConnId;
use crate::store::PgTarget;

/// Connections presence needs: writes and refreshes run one at a time.
const POOL_SIZE: usize = 2;

/// This node's rows in the presence tables.
pub(crate) struct Sessions {
    pool: Pool,
    node: String,
}

type Result<T> = std::result::Result<T, anyhow::Error>;

impl Sessions {
    /// A pool on `target` for node `node` (connections are made on first
    /// use).
    pub(crate) fn open(target: &PgTarget, node: &str, timeout: Duration) -> Result<Self> {
        let pool = Pool::builder(target.manager("chat-server presence"))
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .build()?;
        Ok(Sessions {
            pool,
            node: node.to_owned(),
        })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        Ok(self.pool.get().await?)
    }

    /// Says this node is alive; returns whether its row had to be created
    /// (first beat, or survivors reaped it while it was cut off, in which
    /// case its session rows are gone too and must be written again).
    pub(crate) async fn heartbeat(&self) -> Result<bool> {
        let row = self
            .client()
            .await?
            .query_one(
                "INSERT INTO cluster_nodes (node_id) VALUES ($1) \
                 ON CONFLICT (node_id) DO UPDATE SET heartbeat = now() \
                 RETURNING (xmax = 0) AS created",
                &[&self.node],
            )
            .await?;
        Ok(row.get(0))
    }

    /// Records a session.
    pub(crate) async fn add(&self, user: &str, conn: ConnId) -> Result<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO cluster_sessions (node_id, conn_id, username) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
                &[&self.node, &conn_i64(conn), &user],
            )
            .await?;
        Ok(())
    }

    /// Forgets a session.
    pub(crate) async fn remove(&self, conn: ConnId) -> Result<()> {
        self.client()
            .await?
            .execute(
                "DELETE FROM cluster_sessions WHERE node_id = $1 AND conn_id = $2",
                &[&self.node, &conn_i64(conn)],
            )
            .await?;
        Ok(())
    }

    /// Replaces this node's session rows with `sessions` in one
    /// transaction (after a failed write or a reap).
    pub(crate) async fn rewrite(&self, sessions: &[(String, Vec<ConnId>)]) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "INSERT INTO cluster_nodes (node_id) VALUES ($1) \
             ON CONFLICT (node_id) DO UPDATE SET heartbeat = now()",
            &[&self.node],
        )
        .await?;
        tx.execute(
            "DELETE FROM cluster_sessions WHERE node_id = $1",
            &[&self.node],
        )
        .await?;
        let insert = tx
            .prepare(
                "INSERT INTO cluster_sessions (node_id, conn_id, username) VALUES ($1, $2, $3)",
            )
            .await?;
        for (user, conns) in sessions {
            for conn in conns {
                tx.execute(&insert, &[&self.node, &conn_i64(*conn), user])
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes nodes silent for longer than `timeout` (their sessions go
    /// with them); returns how many.
    pub(crate) async fn reap(&self, timeout: Duration) -> Result<u64> {
        let secs = timeout.as_secs_f64();
        Ok(self
            .client()
            .await?
            .execute(
                "DELETE FROM cluster_nodes \
                 WHERE heartbeat < now() - make_interval(secs => $1) AND node_id <> $2",
                &[&secs, &self.node],
            )
            .await?)
    }

    /// Users with a session on another node that is still heartbeating.
    pub(crate) async fn elsewhere(&self, timeout: Duration) -> Result<BTreeSet<String>> {
        let secs = timeout.as_secs_f64();
        let rows = self
            .client()
            .await?
            .query(
                "SELECT DISTINCT s.username FROM cluster_sessions s \
                 JOIN cluster_nodes n USING (node_id) \
                 WHERE s.node_id <> $1 AND n.heartbeat >= now() - make_interval(secs => $2)",
                &[&self.node, &secs],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Removes this node and its sessions (an orderly shutdown), so that
    /// its users go offline at once instead of after the node timeout.
    pub(crate) async fn leave(&self) -> Result<()> {
        self.client()
            .await?
            .execute(
                "DELETE FROM cluster_nodes WHERE node_id = $1",
                &[&self.node],
            )
            .await?;
        Ok(())
    }
}

/// Connection ids count up from 1 within a process; PostgreSQL has no
/// unsigned BIGINT.
fn conn_i64(conn: ConnId) -> i64 {
    i64::try_from(conn).unwrap_or(i64::MAX)
}
