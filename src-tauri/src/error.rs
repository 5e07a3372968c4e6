//! The one error shape the UI sees: the core's [`ErrorReport`] (`{ code, message }`).
//!
//! Invariant: messages come from the core's errors, which never contain a token.

pub use issuesync::ErrorReport as IpcError;

/// What every fallible command returns.
pub type IpcResult<T> = Result<T, IpcError>;

/// An error of the shell itself (the scheduler stopped, the browser would not open).
pub fn shell_error(message: impl Into<String>) -> IpcError {
    IpcError {
        code: "shell".to_string(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_keep_their_code_and_message() {
        let e: IpcError = issuesync::Error::UnknownConnection { name: "w".into() }.into();
        assert_eq!(e.code, "unknown_connection");
        assert!(e.message.contains("connection list"), "{}", e.message);
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "unknown_connection");
        assert_eq!(shell_error("x").code, "shell");
    }
}
