//! `server`: the Ustaz web server. `server` (or `server serve`) runs the portal; `server migrate`
//! migrates the database (production does this as a release step); `server seed-demo` adds the
//! demo data (embedded default only).

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use worker::{Config, Mode};

#[derive(Parser)]
#[command(
    name = "server",
    version,
    about = "The Ustaz web server: portal, JSON API and (embedded) worker.",
    long_about = "The Ustaz web server.\n\nSettings come from defaults, then an optional TOML file (--config or USTAZ_CONFIG), then USTAZ_-prefixed environment variables: USTAZ_ADDR (default 127.0.0.1:3000), USTAZ_DATA_DIR (default ./data), USTAZ_MODE (embedded|production), USTAZ_DATABASE_URL, USTAZ_REDIS_URL, USTAZ_SMTP_URL, USTAZ_PUBLIC_URL, USTAZ_SITE_ROOT, USTAZ_MAIL_FROM. OTEL_EXPORTER_OTLP_ENDPOINT turns on trace export."
)]
struct Cli {
    /// A TOML file with settings (overridden by USTAZ_* variables).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal and the API (the default).
    Serve,
    /// Apply database migrations; `--grant-to ROLE` then grants the application role access
    /// (PostgreSQL, where the app connects as a role that does not own the tables).
    Migrate {
        #[arg(long)]
        grant_to: Option<String>,
    },
    /// Add the demo tenants and users (embedded default only; idempotent).
    SeedDemo,
    /// Make an account the platform operator's (created without a password if there is none)
    /// and print a one-time link, valid 24 hours, that sets its password. The operator then
    /// creates the tenants. The link is printed, not e-mailed: whoever runs this has the
    /// server's secrets already.
    CreateOperator {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Platform operator")]
        name: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load_or_exit("server", cli.config.as_deref());
    let _telemetry = server::telemetry::init("ustaz-server", config.json_logs);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate { grant_to } => {
            let db = server::open_database(&config).await?;
            server::migrate(&db).await?;
            if let Some(role) = grant_to {
                migrations::grant_app_role(&db, &role).await?;
            }
            println!("migrated");
        }
        Command::CreateOperator { email, name } => {
            let db = server::open_database(&config).await?;
            let path = domain::accounts::service::make_operator(&db, &email, &name)
                .await
                .map_err(|e| anyhow::anyhow!("cannot make {email} the operator: {e}"))?;
            println!(
                "{email} is the platform operator. Open this link within 24 hours to set the password:\n{}{path}",
                config.public_url()
            );
        }
        Command::SeedDemo => {
            if config.mode == Mode::Production {
                anyhow::bail!("demo data is never seeded in production mode");
            }
            let db = server::open_database(&config).await?;
            server::migrate(&db).await?;
            domain::seed::seed_demo(&db).await?;
            println!("demo data ready");
        }
        Command::Serve => {
            tracing::info!(?config, "starting");
            let app = server::start(&config).await?;
            if let Some(addr) = config.metrics_addr {
                let listener = tokio::net::TcpListener::bind(addr).await?;
                tracing::info!(%addr, "answering /metrics");
                let (db, queue, stop) = (app.db.clone(), app.queue.clone(), app.stopping());
                tokio::spawn(async move {
                    if let Err(e) = worker::metrics::serve(listener, db, queue, stop).await {
                        tracing::error!(error = %e, "the metrics endpoint stopped");
                    }
                });
            }
            let listener = tokio::net::TcpListener::bind(config.addr).await?;
            let addr = listener.local_addr()?;
            if config.seed_demo {
                println!(
                    "\nUstaz is running at http://{addr}\nDemo logins (password `{}`):",
                    domain::seed::DEMO_PASSWORD
                );
                for login in domain::seed::demo_logins() {
                    println!("  {login}");
                }
                println!("E-mails are written to {}\n", config.outbox_dir().display());
            } else {
                println!("Ustaz is running at http://{addr}");
            }
            server::serve(app, listener, shutdown_signal()).await?;
            tracing::info!("stopped");
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down gracefully");
}
