//! An in-memory store, so that the engine can be tested (and a daemon
//! restart simulated by cloning it) without SQLite. It is also the
//! reference for what the store traits mean: plain maps, no rules.

use std::collections::HashMap;

use crate::error::StoreError;
use crate::pins::Pin;
use crate::store::{
    PinStore, ReceivingKey, ReceivingKeyStore, RetiredKey, RetiredKeyStore, SendingKey,
    SendingKeyStore,
};

type PeerKeyId = (String, String);

/// Every record in hash maps. Clone it to model a restart.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    pins: HashMap<String, Pin>,
    sending: HashMap<String, SendingKey>,
    receiving: HashMap<PeerKeyId, ReceivingKey>,
    retired: HashMap<PeerKeyId, RetiredKey>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of live receiving keys and of retired-key records, over all
    /// peers (for tests of the bounds).
    pub fn key_counts(&self) -> (usize, usize) {
        (self.receiving.len(), self.retired.len())
    }
}

fn id(peer: &str, key_id: &str) -> PeerKeyId {
    (peer.to_string(), key_id.to_string())
}

impl PinStore for MemoryStore {
    fn pin(&self, user: &str) -> Result<Option<Pin>, StoreError> {
        Ok(self.pins.get(user).cloned())
    }

    fn put_pin(&mut self, pin: &Pin) -> Result<(), StoreError> {
        self.pins.insert(pin.user.clone(), pin.clone());
        Ok(())
    }
}

impl SendingKeyStore for MemoryStore {
    fn sending_key(&self, peer: &str) -> Result<Option<SendingKey>, StoreError> {
        Ok(self.sending.get(peer).cloned())
    }

    fn put_sending_key(&mut self, key: &SendingKey) -> Result<(), StoreError> {
        self.sending.insert(key.peer.clone(), key.clone());
        Ok(())
    }

    fn delete_sending_key(&mut self, peer: &str) -> Result<(), StoreError> {
        self.sending.remove(peer);
        Ok(())
    }
}

impl ReceivingKeyStore for MemoryStore {
    fn receiving_key(&self, peer: &str, key_id: &str) -> Result<Option<ReceivingKey>, StoreError> {
        Ok(self.receiving.get(&id(peer, key_id)).cloned())
    }

    fn receiving_keys(&self, peer: &str) -> Result<Vec<ReceivingKey>, StoreError> {
        Ok(self
            .receiving
            .values()
            .filter(|k| k.peer == peer)
            .cloned()
            .collect())
    }

    fn put_receiving_key(&mut self, key: &ReceivingKey) -> Result<(), StoreError> {
        self.receiving
            .insert(id(&key.peer, &key.key_id), key.clone());
        Ok(())
    }

    fn delete_receiving_key(&mut self, peer: &str, key_id: &str) -> Result<(), StoreError> {
        self.receiving.remove(&id(peer, key_id));
        Ok(())
    }
}

impl RetiredKeyStore for MemoryStore {
    fn retired_key(&self, peer: &str, key_id: &str) -> Result<Option<RetiredKey>, StoreError> {
        Ok(self.retired.get(&id(peer, key_id)).cloned())
    }

    fn retired_keys(&self, peer: &str) -> Result<Vec<RetiredKey>, StoreError> {
        Ok(self
            .retired
            .values()
            .filter(|k| k.peer == peer)
            .cloned()
            .collect())
    }

    fn put_retired_key(&mut self, key: &RetiredKey) -> Result<(), StoreError> {
        self.retired.insert(id(&key.peer, &key.key_id), key.clone());
        Ok(())
    }

    fn delete_retired_key(&mut self, peer: &str, key_id: &str) -> Result<(), StoreError> {
        self.retired.remove(&id(peer, key_id));
        Ok(())
    }
}
