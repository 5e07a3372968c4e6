//! `issuesync webhook secret NAME`: generate (or, with `--stdin`, set) the secret a
//! connection's webhook deliveries are signed with; a generated one is printed once.

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use issuesync::secrets::Secret;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct WebhookSecret {
    /// The connection's name
    name: String,
    /// Read the secret from standard input instead of generating one
    #[arg(long)]
    stdin: bool,
}

impl WebhookSecret {
    pub fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let given = if self.stdin {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("could not read the secret from standard input")?;
            Some(Secret::new(text))
        } else {
            None
        };
        let set = workspace.set_webhook_secret(&self.name, given)?;
        if let Some(secret) = &set.generated {
            // Printed once, to paste into the tracker's webhook settings.
            println!("{}", secret.expose());
        }
        let kept = if set.stored {
            "kept in the OS keychain"
        } else {
            "not stored (no keychain here)"
        };
        eprintln!(
            "Webhook secret for {} {}{}.",
            set.connection,
            if set.generated.is_some() {
                "generated and "
            } else {
                ""
            },
            kept
        );
        if set.env_overrides {
            eprintln!(
                "Note: {} is set and is what `issuesync serve` uses.",
                set.env_var
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
