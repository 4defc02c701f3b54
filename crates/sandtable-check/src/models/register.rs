//! [`Register`]: a read/write register.

use crate::models::cas_register::register_family_model;

/// A read/write register per key (ops without a key share one), holding
/// `null` initially. Like [`CasRegister`](crate::models::CasRegister)
/// without `cas`. Partitioned per key.
#[derive(Debug, Clone, Copy, Default)]
pub struct Register;

register_family_model!(Register, "register", cas: false, expected: "read or write");
