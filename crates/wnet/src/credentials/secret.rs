//! [`Secret`]: a password that is zeroed when dropped and never printed.

use std::fmt;

use zeroize::Zeroize as _;

/// A password. Its memory is overwritten when it is dropped, and it prints as `<redacted>`
/// (both `Debug` and `Display`); it has no serde implementation, so it cannot be serialized
/// by accident.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `password`.
    pub fn new(password: String) -> Secret {
        Secret(password)
    }

    /// The password itself, for the authentication that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the password is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
