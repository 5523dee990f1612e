//! The end-to-end engine's state (chat-e2e's store traits) over SQLite, so
//! that an engine call and the history write it leads to commit together.
//! Plain rows, no rules: every rule lives in the engine. Records are JSON;
//! their keys are also columns so that they can be looked up and ordered.

use chat_e2e::{
    Pin, PinStore, ReceivingKey, ReceivingKeyStore, RetiredKey, RetiredKeyStore, SendingKey,
    SendingKeyStore, StoreError as E2eStoreError,
};
use rusqlite::params;

use super::records::encode;
use super::{StoreError, Tx};

impl Tx<'_> {
    /// Every user we hold a pin for, sorted (their keys are re-fetched on
    /// every login, so a change made while chatd was away is noticed).
    pub fn pinned_users(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT user FROM pins ORDER BY user")?;
        let users = stmt
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(users)
    }

    /// Every pin, by user.
    pub fn pins(&self) -> Result<Vec<Pin>, StoreError> {
        self.records("SELECT record FROM pins ORDER BY user", [])
    }
}

impl PinStore for Tx<'_> {
    fn pin(&self, user: &str) -> Result<Option<Pin>, E2eStoreError> {
        Ok(self.record("SELECT record FROM pins WHERE user = ?1", [user])?)
    }

    fn put_pin(&mut self, pin: &Pin) -> Result<(), E2eStoreError> {
        self.exec(
            "INSERT INTO pins (user, record) VALUES (?1, ?2) \
             ON CONFLICT (user) DO UPDATE SET record = excluded.record",
            params![pin.user, encode(pin)?.as_str()],
        )?;
        Ok(())
    }
}

impl SendingKeyStore for Tx<'_> {
    fn sending_key(&self, peer: &str) -> Result<Option<SendingKey>, E2eStoreError> {
        Ok(self.record("SELECT record FROM sending_keys WHERE peer = ?1", [peer])?)
    }

    fn put_sending_key(&mut self, key: &SendingKey) -> Result<(), E2eStoreError> {
        self.exec(
            "INSERT INTO sending_keys (peer, record) VALUES (?1, ?2) \
             ON CONFLICT (peer) DO UPDATE SET record = excluded.record",
            params![key.peer, encode(key)?.as_str()],
        )?;
        Ok(())
    }

    fn delete_sending_key(&mut self, peer: &str) -> Result<(), E2eStoreError> {
        self.exec("DELETE FROM sending_keys WHERE peer = ?1", [peer])?;
        Ok(())
    }
}

impl ReceivingKeyStore for Tx<'_> {
    fn receiving_key(
        &self,
        peer: &str,
        key_id: &str,
    ) -> Result<Option<ReceivingKey>, E2eStoreError> {
        Ok(self.record(
            "SELECT record FROM receiving_keys WHERE peer = ?1 AND key_id = ?2",
            [peer, key_id],
        )?)
    }

    fn receiving_keys(&self, peer: &str) -> Result<Vec<ReceivingKey>, E2eStoreError> {
        Ok(self.records(
            "SELECT record FROM receiving_keys WHERE peer = ?1 ORDER BY created_ms, key_id",
            [peer],
        )?)
    }

    fn put_receiving_key(&mut self, key: &ReceivingKey) -> Result<(), E2eStoreError> {
        self.exec(
            "INSERT INTO receiving_keys (peer, key_id, created_ms, record) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (peer, key_id) DO UPDATE SET \
             created_ms = excluded.created_ms, record = excluded.record",
            params![key.peer, key.key_id, key.created_ms, encode(key)?.as_str()],
        )?;
        Ok(())
    }

    fn delete_receiving_key(&mut self, peer: &str, key_id: &str) -> Result<(), E2eStoreError> {
        self.exec(
            "DELETE FROM receiving_keys WHERE peer = ?1 AND key_id = ?2",
            [peer, key_id],
        )?;
        Ok(())
    }
}

impl RetiredKeyStore for Tx<'_> {
    fn retired_key(&self, peer: &str, key_id: &str) -> Result<Option<RetiredKey>, E2eStoreError> {
        Ok(self.record(
            "SELECT record FROM retired_keys WHERE peer = ?1 AND key_id = ?2",
            [peer, key_id],
        )?)
    }

    fn retired_keys(&self, peer: &str) -> Result<Vec<RetiredKey>, E2eStoreError> {
        Ok(self.records(
            "SELECT record FROM retired_keys WHERE peer = ?1 ORDER BY retired_ms, key_id",
            [peer],
        )?)
    }

    fn put_retired_key(&mut self, key: &RetiredKey) -> Result<(), E2eStoreError> {
        self.exec(
            "INSERT INTO retired_keys (peer, key_id, retired_ms, record) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (peer, key_id) DO UPDATE SET \
             retired_ms = excluded.retired_ms, record = excluded.record",
            params![key.peer, key.key_id, key.retired_ms, encode(key)?.as_str()],
        )?;
        Ok(())
    }

    fn delete_retired_key(&mut self, peer: &str, key_id: &str) -> Result<(), E2eStoreError> {
        self.exec(
            "DELETE FROM retired_keys WHERE peer = ?1 AND key_id = ?2",
            [peer, key_id],
        )?;
        Ok(())
    }
}
