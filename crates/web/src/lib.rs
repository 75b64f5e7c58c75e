//! Mamori's HTTP layer: server-rendered pages (Japanese first, English second), the JSON API,
//! sign-in, sessions and CSRF protection.
//!
//! A handler parses the request, asks `mamori-core` (validation, authorisation), calls
//! `mamori-store`, and renders. It holds no business rule: every permission check goes through
//! [`auth::Viewer::authorize`], which enforces `core::authz::authorize`.

// `WebError` carries both languages' texts and field errors (~128 bytes); errors are rare, so
// the size of `Result<_, WebError>` is not worth boxing for.
#![allow(clippy::result_large_err)]

pub mod assessments_io;
pub mod auth;
pub mod catalogs_io;
pub mod csrf;
pub mod error;
pub mod i18n;
pub mod mail;
pub mod openapi;
pub mod registers_io;
pub mod routes;
pub mod submissions_io;
pub mod view;

use std::net::SocketAddr;
use std::sync::Arc;

use mamori_core::library::Library;
use mamori_core::password::PasswordPolicy;
use mamori_store::Store;
use tokio::net::TcpListener;

/// Settings of the web layer, with safe defaults.
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub password_policy: PasswordPolicy,
    /// Mark cookies `Secure` (set when served behind TLS).
    pub secure_cookies: bool,
    /// How long a session lives after sign-in.
    pub session_hours: i64,
    /// Largest request body accepted anywhere (uploads included).
    pub max_body_bytes: usize,
    /// Largest import file accepted.
    pub max_import_bytes: usize,
    /// Largest evidence file accepted (default 50 MB).
    pub max_evidence_bytes: usize,
    /// Where reminder e-mails go (None: reminders are shown in the app only).
    pub smtp: Option<mail::SmtpSettings>,
    /// The Japanese font embedded in PDF reports (Debian's fonts-ipaexfont-gothic by default).
    pub report_font: std::path::PathBuf,
    /// Argon2id cost: memory in KiB, iterations. Tests use cheap values.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            password_policy: PasswordPolicy::default(),
            secure_cookies: false,
            session_hours: 12,
            max_body_bytes: 64 * 1024 * 1024,
            max_import_bytes: 64 * 1024 * 1024,
            max_evidence_bytes: mamori_core::evidence::DEFAULT_MAX_BYTES,
            smtp: None,
            report_font: mamori_report::ReportFonts::default_path(),
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub library: Arc<Library>,
    pub config: Arc<WebConfig>,
    /// Sends e-mail when SMTP is configured.
    pub mailer: Option<Arc<mail::Mailer>>,
    /// The report font, read on first use.
    report_fonts: Arc<tokio::sync::OnceCell<Arc<mamori_report::ReportFonts>>>,
    /// A hash of a random password, checked when a sign-in names an unknown e-mail address so
    /// that response times do not reveal which addresses have accounts.
    dummy_hash: Arc<tokio::sync::OnceCell<String>>,
}

impl AppState {
    pub fn new(store: Store, library: Library, config: WebConfig) -> AppState {
        let mailer = config.smtp.as_ref().and_then(|s| match mail::Mailer::new(s) {
            Ok(m) => Some(Arc::new(m)),
            Err(e) => {
                tracing::error!(error = %e, "SMTP settings are invalid: reminders are shown in the app only");
                None
            }
        });
        AppState {
            store,
            library: Arc::new(library),
            config: Arc::new(config),
            mailer,
            report_fonts: Arc::new(tokio::sync::OnceCell::new()),
            dummy_hash: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// The report font, read from `config.report_font` once.
    pub async fn report_fonts(&self) -> Result<Arc<mamori_report::ReportFonts>, error::WebError> {
        self.report_fonts
            .get_or_try_init(|| async {
                let path = self.config.report_font.clone();
                let loaded = tokio::task::spawn_blocking(move || mamori_report::ReportFonts::load(&path))
                    .await
                    .map_err(|e| error::WebError::internal(e.to_string()))?;
                loaded.map(Arc::new).map_err(|e| error::WebError {
                    detail: Some(e.to_string()),
                    ..error::WebError::new(error::ErrorKind::Internal, e.text())
                })
            })
            .await
            .cloned()
    }

    pub async fn dummy_hash(&self) -> Result<&str, error::WebError> {
        self.dummy_hash
            .get_or_try_init(|| async {
                let secret = auth::random_secret()?;
                auth::hash_password(&self.config, &secret).await
            })
            .await
            .map(String::as_str)
    }
}

/// Serves the app on an already bound listener until the process is stopped.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let app = routes::router(state);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
