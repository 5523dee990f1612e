//! Everything that decides whether a connection may act as a user: the
//! bounded pool that runs bcrypt and RSA away from the event loop, the
//! failed-login throttle and session tokens.

pub mod pool;
pub mod source;
pub mod throttle;
pub mod tokens;
