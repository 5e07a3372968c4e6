//! `issuesync resolve`: settle one conflicting field; the chosen value is pushed with
//! the next sync (unless it is the tracker's own).

use std::process::ExitCode;

use clap::Args;
use issuesync::model::{Field, FieldValue};
use issuesync::workspace::Resolution;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct Resolve {
    /// NAME:OWNER/REPO#NUMBER or a local id
    #[arg(value_name = "REF")]
    reference: String,
    /// title, body, state, labels, assignees or milestone
    #[arg(long, value_name = "F")]
    field: String,
    /// Keep your value (local) or the tracker's (remote)
    #[arg(long, value_parser = ["local", "remote"], required_unless_present = "value",
          conflicts_with = "value")]
    take: Option<String>,
    /// A value of your own (labels/assignees: comma-separated; milestone: "" for none)
    #[arg(long, value_name = "V")]
    value: Option<String>,
    /// Print the issue as JSON
    #[arg(long)]
    json: bool,
}

impl Resolve {
    pub fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let field: Field = self.field.parse()?;
        let resolution = match (self.take.as_deref(), self.value) {
            (Some("local"), _) => Resolution::Local,
            (Some(_), _) => Resolution::Remote,
            (None, Some(text)) => {
                Resolution::Value(FieldValue::parse_for(field, &text).map_err(|problem| {
                    issuesync::Error::BadFieldValue {
                        field: field.to_string(),
                        value: text.clone(),
                        problem,
                    }
                })?)
            }
            (None, None) => unreachable!("clap requires --take or --value"),
        };
        let issue = workspace.resolve(&self.reference, field, &resolution)?;
        if self.json {
            super::output::json(&issue)?;
        } else {
            println!(
                "{}: {field} resolved ({}); the next issuesync sync pushes it.",
                issue.reference,
                issue.sync_status.as_str()
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
