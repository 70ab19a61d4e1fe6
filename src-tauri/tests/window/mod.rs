//! The app's real window over WebDriver: tauri-driver (installed by `scripts/setup`) starts
//! WebKitWebDriver, which starts the app on the display in `DISPLAY`. Shared by the end-to-end test
//! and the window benchmark, with the app as the Tauri CLI builds it.

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

/// How long tauri-driver may take to listen.
const DRIVER_START: Duration = Duration::from_secs(10);

/// A session with the app on `data_dir`, and the tauri-driver behind it (stopped when dropped).
pub struct Window {
    pub client: Client,
    driver: Driver,
}

/// tauri-driver, with WebKitWebDriver and the app in its process group: all stopped when dropped,
/// also when opening the session fails.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Window {
    /// Starts tauri-driver, and through it the app at `app` on the data dir. What the driver,
    /// WebKit and GTK say goes to `log` (thousands of lines of desktop-portal warnings, otherwise).
    pub async fn open(app: &Path, data_dir: &Path, log: &Path) -> Self {
        let port = free_port();
        let native_port = free_port();
        let log = File::create(log).expect("create the driver's log");
        let driver = Command::new(tauri_driver())
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("HOLDINGS_DATA_DIR", data_dir)
            // a group of its own, so that WebKitWebDriver and the app stop with it
            .process_group(0)
            .stdout(log.try_clone().expect("the driver's log"))
            .stderr(log)
            .spawn()
            .map(Driver)
            .expect("start tauri-driver");
        // tauri-driver passes the session on to WebKitWebDriver, which it starts: a session asked
        // for before both listen is dropped mid-answer (hyper's IncompleteMessage).
        let deadline = Instant::now() + DRIVER_START;
        for (who, port) in [("tauri-driver", port), ("WebKitWebDriver", native_port)] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "{who} did not listen within {DRIVER_START:?}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
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

    /// Every process the driver started, itself included, and theirs (the app, WebKitWebDriver,
    /// WebKit's web and network processes): each one's pid and name as the kernel has them.
    #[allow(dead_code)] // the window benchmark measures them; the end-to-end test does not
    pub fn processes(&self) -> Vec<(u32, String)> {
        let parents: Vec<(u32, u32, String)> = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
                let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
                // `pid (name) state ppid ...`: the name may hold spaces and brackets
                let (name, rest) = stat.split_once(" (")?.1.rsplit_once(") ")?;
                let ppid = rest.split_whitespace().nth(1)?.parse().ok()?;
                Some((pid, ppid, name.to_owned()))
            })
            .collect();
        let mut found = vec![(self.driver.0.id(), "tauri-driver".to_owned())];
        let mut at = 0;
        while at < found.len() {
            let parent = found[at].0;
            found.extend(
                parents
                    .iter()
                    .filter(|(_, ppid, _)| *ppid == parent)
                    .map(|(pid, _, name)| (*pid, name.clone())),
            );
            at += 1;
        }
        found
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

/// What `npx tauri build` made: the app with its front end embedded, as a package has it, and
/// the package.
pub struct Built {
    pub app: PathBuf,
    #[allow(dead_code)] // the end-to-end test and the benchmark run the app alone
    pub deb: PathBuf,
}

/// Builds the app and its .deb through the Tauri CLI once per test binary, in `profile`
/// (`debug` or `release`), into the workspace's target dir; its output goes to a log beside them.
pub fn built(profile: &str) -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let target = target_dir();
        let log_path = target.join("tauri-build.log");
        let log = File::create(&log_path).expect("create the build log");
        let mut args = vec!["tauri", "build", "--bundles", "deb", "--ci"];
        if profile == "debug" {
            args.push("--debug");
        }
        let status = Command::new("npx")
            .args(&args)
            .current_dir(root)
            .env("CARGO_TARGET_DIR", &target)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .status()
            .expect("run npx tauri build (scripts/setup installs the Tauri CLI)");
        let output = std::fs::read_to_string(&log_path).unwrap_or_default();
        assert!(
            status.success(),
            "npx tauri build failed; its last lines ({}):\n{}",
            log_path.display(),
            output
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        );
        let bundles = target.join(profile).join("bundle/deb");
        let deb = std::fs::read_dir(&bundles)
            .expect("the deb bundle folder")
            .map(|entry| entry.unwrap().path())
            .find(|path| path.extension().is_some_and(|ext| ext == "deb"))
            .expect("a .deb was made");
        Built {
            app: target.join(profile).join("holdings-desktop"),
            deb,
        }
    })
}

/// The target dir this test or bench binary was built in (`TARGET/PROFILE/deps/NAME`).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).expect("target dir").to_path_buf()
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
