//! The Ustaz web server: the portal (Leptos pages and server functions), the JSON API, health
//! checks, and, in the embedded default, the job worker in the same process.

pub mod api;
pub mod errors;
pub mod form_echo;
pub mod form_once;
pub mod http;
pub mod matching;
pub mod recruitment;
pub mod reports;
pub mod selection;
pub mod support;
pub use worker::telemetry;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::routing::get;
use frontend::state::AppState;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, file_and_error_handler, generate_route_list};
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;
use tokio::sync::watch;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use worker::mail::Mailer;
use worker::{Config, JobQueue, WorkerState};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The portal's routes, listed once per process. Listing them renders the app with a switch
/// that is global to the process (leptos_server's `IS_SUPPRESSING_RESOURCE_LOAD`, leptos issue
/// #4773): a page being rendered by another server of the same process meanwhile has its first
/// resource parked for good, and never answers. The tests start dozens of servers in one
/// process; that was the page that hung now and then under the full suite. Listed once, before
/// the first server serves, nothing renders while the switch is on.
static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();

/// A started application: its router and the background work it owns.
pub struct App {
    pub router: Router,
    pub db: DatabaseConnection,
    pub queue: JobQueue,
    stop: watch::Sender<bool>,
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl App {
    /// Turns true when the app stops: for listeners of its own (`/metrics`).
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Stops the outbox relay and the in-process worker; running jobs finish first.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for handle in self.background {
            let _ = tokio::time::timeout(Duration::from_secs(30), handle).await;
        }
    }
}

/// Opens the database named by the configuration (a SQLite file in `data_dir` by default).
pub async fn open_database(config: &Config) -> anyhow::Result<DatabaseConnection> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)?;
    }
    let db = domain::db::connect(&config.database_url(), config.database_max_connections).await?;
    Ok(db)
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    migrations::Migrator::up(db, None).await?;
    Ok(())
}

/// The job queue the configuration asks for.
pub async fn open_queue(config: &Config, db: &DatabaseConnection) -> anyhow::Result<JobQueue> {
    match &config.redis_url {
        Some(url) => {
            JobQueue::redis(
                url,
                &config.queue_name,
                worker::queue::Liveness::from_config(config),
            )
            .await
        }
        None if db.get_database_backend() == sea_orm::DbBackend::Sqlite => {
            JobQueue::sqlite(
                db,
                &config.queue_name,
                worker::queue::Liveness::from_config(config),
            )
            .await
        }
        None => anyhow::bail!("with PostgreSQL the job queue is Redis: set USTAZ_REDIS_URL"),
    }
}

pub fn open_mailer(config: &Config) -> anyhow::Result<Mailer> {
    match &config.smtp_url {
        Some(url) => Mailer::smtp(url),
        None => Mailer::files(config.outbox_dir()),
    }
}

/// Everything the server needs, started: database (SQLite migrated at start), demo data when
/// asked, queue, outbox relay, in-process worker, and the router.
pub async fn start(config: &Config) -> anyhow::Result<App> {
    let db = open_database(config).await?;
    // SQLite migrates itself at start. PostgreSQL is migrated by `server migrate`, run as the
    // role that owns the tables; the server connects as a role that may not create any.
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        migrate(&db).await?;
    }
    domain::db::check_app_role(&db)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    if config.seed_demo {
        domain::seed::seed_demo(&db).await?;
    }
    let queue = open_queue(config, &db).await?;
    let storage = config.open_storage().await?;
    let (stop, stop_rx) = watch::channel(false);
    let mut background = Vec::new();
    background.push(tokio::spawn(recruitment::sweep_loop(
        db.clone(),
        storage.clone(),
        stop_rx.clone(),
    )));
    background.push(tokio::spawn(worker::outbox::relay_loop(
        db.clone(),
        queue.clone(),
        Duration::from_millis(500),
        stop_rx.clone(),
    )));
    if config.in_process_worker {
        let state = WorkerState {
            db: db.clone(),
            mailer: open_mailer(config)?,
            mail_from: config.mail_from.clone(),
            public_url: config.public_url(),
            storage: storage.clone(),
            checks: config.checks()?,
            pause_before_recording: Duration::ZERO,
        };
        background.push(tokio::spawn(worker::run_supervised(
            queue.clone(),
            state,
            4,
            stop_rx.clone(),
        )));
        let scheduler = worker::schedule::Scheduler {
            db: db.clone(),
            reminder_hour: config.reminder_hour,
        };
        let (cron, stop_scheduler) = (config.schedule.clone(), stop_rx.clone());
        background.push(tokio::spawn(async move {
            if let Err(e) = worker::schedule::run_scheduler(scheduler, &cron, stop_scheduler).await
            {
                tracing::error!(error = %e, "the scheduler stopped");
            }
        }));
    }

    let mut leptos_options = get_configuration(None)?.leptos_options;
    leptos_options.site_root = config.site_root.to_string_lossy().into_owned().into();
    leptos_options.output_name = "ustaz".into();
    leptos_options.site_addr = config.addr;
    // A built bundle is named by its content (`cargo xtask`, issue 20); `hash.txt` says the
    // names. Leptos reads it from where this path points (absolute: wherever the binary is).
    let hashes = config.site_root.join("hash.txt");
    if hashes.is_file() {
        leptos_options.hash_files = true;
        leptos_options.hash_file = std::path::absolute(&hashes)?
            .to_string_lossy()
            .into_owned()
            .into();
    }
    let state = AppState {
        leptos_options: leptos_options.clone(),
        db: db.clone(),
        secure_cookies: config.secure_cookies(),
        storage,
    };
    let trusted = http::TrustedProxies(std::sync::Arc::new(config.trusted_proxies()?));
    let router = router(state, queue.clone(), config.max_body_bytes, trusted);
    Ok(App {
        router,
        db,
        queue,
        stop,
        background,
    })
}

/// The whole HTTP surface: pages, server functions, API, OpenAPI document, health checks.
pub fn router(
    state: AppState,
    queue: JobQueue,
    max_body_bytes: usize,
    trusted_proxies: http::TrustedProxies,
) -> Router {
    let routes = ROUTES
        .get_or_init(|| generate_route_list(frontend::App))
        .clone();
    let (api, openapi) = api::router();
    let openapi_json = serde_json::to_value(&openapi).expect("the OpenAPI document serialises");
    let health = worker::health::router(state.db.clone(), queue);
    let options = state.leptos_options.clone();
    let echoes = form_echo::Echoes::default();
    Router::new()
        .leptos_routes(&state, routes, {
            let options = options.clone();
            move || frontend::shell(options.clone())
        })
        .route(
            "/t/{tenant}/applications/{id}/documents",
            axum::routing::post(recruitment::page_upload)
                .layer(DefaultBodyLimit::max(api::UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/t/{tenant}/candidates/{id}/contract/scan",
            axum::routing::post(selection::page_contract_scan)
                .layer(DefaultBodyLimit::max(api::UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/t/{tenant}/children/{id}/consent",
            axum::routing::post(matching::page_consent)
                .layer(DefaultBodyLimit::max(api::UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/t/{tenant}/pairs/{id}/guest-permission",
            axum::routing::post(matching::page_guest_permission)
                .layer(DefaultBodyLimit::max(api::UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/t/{tenant}/pairs/{id}/attachments",
            axum::routing::post(support::page_attachment)
                .layer(DefaultBodyLimit::max(api::UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/t/{tenant}/documents/{id}/file",
            get(recruitment::page_download),
        )
        .route(
            "/t/{tenant}/reports/{id}/files/{format}",
            get(reports::page_download),
        )
        .route(
            "/t/{tenant}/children/{id}/export",
            get(matching::page_export_child),
        )
        .route(
            "/t/{tenant}/programmes/save",
            axum::routing::post(recruitment::page_save_programme),
        )
        .merge(api)
        .route(
            "/api/v1/{*rest}",
            axum::routing::any(errors::unknown_operation),
        )
        .route(
            "/api/openapi.json",
            get(move || async move { axum::Json(openapi_json.clone()) }),
        )
        .fallback(file_and_error_handler::<AppState, _>(frontend::shell))
        .layer(axum::middleware::from_fn(errors::api_refusals))
        .layer(axum::middleware::from_fn(errors::server_fn_statuses))
        // Outside `server_fn_statuses`: a refusal is known by its status.
        .layer(axum::middleware::from_fn_with_state(
            state.db.clone(),
            form_once::once_per_form,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.db.clone(),
            form_once::once_per_idempotency_key,
        ))
        // Inside `request_context`: a refused form's message is in the person's language.
        .layer(axum::middleware::from_fn_with_state(
            echoes.clone(),
            form_echo::remember_refused_forms,
        ))
        .layer(axum::middleware::from_fn_with_state(
            echoes,
            form_echo::refill_echoed_forms,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::request_context,
        ))
        .layer(axum::middleware::from_fn(http::same_origin_writes))
        // Outside `request_context`, which reads the address it sets.
        .layer(axum::middleware::from_fn_with_state(
            trusted_proxies,
            http::client_address,
        ))
        .layer(axum::middleware::from_fn(http::static_caching))
        .layer(axum::middleware::from_fn_with_state(
            http::OverHttps(state.secure_cookies),
            http::security_headers,
        ))
        // Innermost of the request's span (the trace layer below), so its warnings name the
        // request.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::warn_when_slow,
        ))
        .layer(axum::middleware::from_fn(http::count_request))
        .with_state(state)
        .merge(health)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        // Compressed on the way out (issue 20): pages and API answers here; the bundle's files
        // are sent as the precompressed copies `ServeDir` finds, which this layer leaves alone.
        .layer(
            tower_http::compression::CompressionLayer::new().compress_when({
                use tower_http::compression::Predicate;
                tower_http::compression::predicate::DefaultPredicate::new().and(http::is_text)
            }),
        )
        .layer(axum::middleware::from_fn(http::uncompressed_across_sites))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let request_id = req
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!(
                    "request",
                    method = %req.method(),
                    path = %req.uri().path(),
                    request_id,
                    tenant = http::tenant_of(req.uri().path()).unwrap_or_default(),
                    // Recorded where the organisation is found (`find_tenant`).
                    tenant_id = tracing::field::Empty,
                    user_id = tracing::field::Empty,
                )
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        // Outermost: it sees the body the handlers left unread once they have answered.
        .layer(axum::middleware::from_fn(http::finish_request_body))
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops background work.
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let router = app.router.clone();
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    app.shutdown().await;
    Ok(())
}
