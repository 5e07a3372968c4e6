//! `issuesync serve`: the headless process — scheduler plus webhook receiver — with its
//! log as JSON lines on stderr; SIGTERM or SIGINT ends it cleanly.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use issuesync::serve::{ServeEvent, ServeOptions, DEFAULT_BIND};
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct Serve {
    /// Where the webhook receiver listens (POST /webhooks/NAME, GET /healthz)
    #[arg(long, value_name = "ADDR:PORT", default_value = DEFAULT_BIND)]
    bind: SocketAddr,
    /// Do not poll: only act on webhook deliveries
    #[arg(long)]
    no_poll: bool,
}

/// Waits for SIGTERM or SIGINT (Ctrl-C).
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// One JSON object per line, stamped with the time.
fn log_line(event: ServeEvent) {
    let mut value = serde_json::to_value(&event).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "at".into(),
            serde_json::Value::String(issuesync::model::Timestamp::now().to_string()),
        );
    }
    eprintln!("{value}");
}

impl Serve {
    pub async fn run(self, workspace: Workspace) -> anyhow::Result<ExitCode> {
        let options = ServeOptions {
            bind: self.bind,
            poll: !self.no_poll,
            ..ServeOptions::default()
        };
        Arc::new(workspace)
            .serve(options, terminated(), Arc::new(log_line))
            .await?;
        Ok(ExitCode::SUCCESS)
    }
}
