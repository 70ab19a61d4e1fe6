//! The app's real window over WebDriver: tauri-driver (installed by `scripts/setup`) starts
//! WebKitWebDriver, which starts the app on the display in `DISPLAY`. Shared by the end-to-end test
//! and the window benchmark.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

/// How long tauri-driver may take to listen.
const DRIVER_START: Duration = Duration::from_secs(10);

/// A session with the app on `data_dir`, and the tauri-driver behind it (stopped when dropped).
pub struct Window {
    pub client: Client,
    driver: Child,
}

impl Window {
    /// Starts tauri-driver, and through it the app at `app` on the data dir.
    pub async fn open(app: &Path, data_dir: &Path) -> Self {
        let port = free_port();
        let driver = Command::new(tauri_driver())
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &free_port().to_string(),
            ])
            .env("HOLDINGS_DATA_DIR", data_dir)
            // a group of its own, so that WebKitWebDriver and the app stop with it
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tauri-driver");
        let deadline = Instant::now() + DRIVER_START;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tauri-driver did not listen within {DRIVER_START:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let capabilities = json!({
            "browserName": "wry",
            "tauri:options": { "application": app },
        });
        let client = ClientBuilder::rustls()
            .expect("a TLS setup")
            .capabilities(capabilities.as_object().unwrap().clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect(
                "a WebDriver session with the app (is DISPLAY set? scripts/test runs xvfb-run)",
            );
        Self { client, driver }
    }

    /// Closes the window, which ends the app.
    pub async fn close(self) {
        self.client
            .clone()
            .close()
            .await
            .expect("the window closes");
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

fn tauri_driver() -> PathBuf {
    let tools = std::env::var_os("HOLDINGS_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                .join(".cache/holdings/tools")
        });
    let path = tools.join("bin/tauri-driver");
    assert!(
        path.exists(),
        "tauri-driver is missing at {}: run scripts/setup",
        path.display()
    );
    path
}
