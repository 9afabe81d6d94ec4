//! `redress customers ...`: call the customers service.

use clap::Subcommand;

use super::Context;

/// Customer commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Get one customer by name (`customers/{id}`).
    Get {
        /// The customer's name.
        name: String,
    },
}

/// Runs a customer command.
pub async fn run(command: Command, context: &Context) -> anyhow::Result<()> {
    let _ = (command, context);
    anyhow::bail!("not built yet")
}
