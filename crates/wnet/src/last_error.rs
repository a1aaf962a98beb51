//! The per-thread last extended error (`WNetGetLastError`): when a function fails with
//! ERROR_EXTENDED_ERROR, the provider's own code, text and name are kept here for the thread
//! that called it.

use std::cell::RefCell;

/// A provider's extended error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtendedError {
    /// The provider's error code.
    pub code: u32,
    /// Its description.
    pub text: String,
    /// The provider's name.
    pub provider: String,
}

thread_local! {
    static LAST_ERROR: RefCell<ExtendedError> = RefCell::new(ExtendedError::default());
}

/// Records the extended error of the current thread.
pub fn set_last_error(code: u32, text: impl Into<String>, provider: impl Into<String>) {
    let error = ExtendedError {
        code,
        text: text.into(),
        provider: provider.into(),
    };
    LAST_ERROR.with(|last| *last.borrow_mut() = error);
}

/// The current thread's last extended error: `(code, text, provider)`; `(0, "", "")` when none
/// was recorded.
pub fn get_last_error() -> (u32, String, String) {
    LAST_ERROR.with(|last| {
        let last = last.borrow();
        (last.code, last.text.clone(), last.provider.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_thread_sees_its_own_last_error() {
        set_last_error(1326, "bad password", "Microsoft Windows Network");
        let other = std::thread::spawn(get_last_error).join().unwrap();
        assert_eq!(other, (0, String::new(), String::new()));
        assert_eq!(
            get_last_error(),
            (
                1326,
                "bad password".to_owned(),
                "Microsoft Windows Network".to_owned()
            )
        );
    }
}
