//! [`Kv`]: a key-value store of independent compare-and-set registers.

use crate::models::cas_register::register_family_model;

/// A key-value store: `read`, `write` and `cas` per `key`, each key an
/// independent [`CasRegister`](crate::models::CasRegister) holding `null`
/// initially. Checked per key (P-compositionality).
#[derive(Debug, Clone, Copy, Default)]
pub struct Kv;

register_family_model!(Kv, "kv", cas: true, expected: "read, write or cas");
