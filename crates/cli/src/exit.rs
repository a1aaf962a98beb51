//! Exit codes and the way failures are reported.

/// A failure that ends the command, with the exit code scripts can test.
///
/// Exit codes: 0 success; 1 the operation failed; 2 the command line is wrong (clap's usage
/// errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    /// The process exit code.
    pub code: u8,
    /// A short machine-readable kind, used as `error` in JSON output.
    pub kind: &'static str,
    /// The message for people.
    pub message: String,
}

impl Exit {
    /// The operation failed (exit code 1), with a kind for JSON and a message for people.
    pub fn failed(kind: &'static str, message: impl Into<String>) -> Self {
        Exit {
            code: 1,
            kind,
            message: message.into(),
        }
    }

    /// A usage error found after parsing (exit code 2), such as a malformed name.
    pub fn usage(message: impl Into<String>) -> Self {
        Exit {
            code: 2,
            kind: "usage",
            message: message.into(),
        }
    }

    /// Prints the failure (to standard error, or as a JSON object on standard output when
    /// `json` is set) and returns the exit code.
    pub fn report(&self, json: bool) -> u8 {
        if json {
            let body = serde_json::json!({ "error": self.kind, "message": self.message });
            println!("{body}");
        } else {
            eprintln!("{}", self.message);
        }
        self.code
    }
}
