//! The desktop app's own figures, on the real window under a virtual display: the time from launch
//! to the stored balances painted with the network down (target ≤ 1 s), the frame time while
//! scrolling 12,500 lines (10,000 balances of 2,500 wallets), and the memory the app and its WebKit
//! processes hold with those 10,000 balances shown (resident, and proportional: a page shared by
//! several processes counted once among them). Run under `xvfb-run` after
//! `scripts/setup`: `xvfb-run -a cargo bench -p holdings-desktop --bench window`.
//!
//! The launch time runs from starting tauri-driver (which starts WebKitWebDriver, then the app) to
//! the first balance in the page: an upper bound on what a user waits.

#[path = "../../benches/support/seed.rs"]
mod seed;
#[path = "../tests/window/mod.rs"]
mod window;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::{Value, json};
use window::Window;

const LAUNCHES: usize = 5;
const SCROLL_FRAMES: usize = 600;

#[tokio::main]
async fn main() {
    let mut launches = Vec::new();
    let mut frames = Vec::new();
    let mut idle = Vec::new();
    let mut memory = Vec::new();
    for run in 0..LAUNCHES {
        let dir = tempfile::tempdir().unwrap();
        // every endpoint of the seeded chain refuses connections: the network is down
        seed::seed(dir.path());
        let started = Instant::now();
        let window = Window::open(&app_binary(), dir.path(), &dir.path().join("driver.log")).await;
        let client = window.client.clone();
        let deadline = started + Duration::from_secs(30);
        while client
            .find(Locator::Css(".balance [data-amount]"))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "the stored balances were not painted in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let painted = started.elapsed();
        launches.push(painted);
        println!(
            "launch {}: stored balances painted after {painted:.0?}",
            run + 1
        );

        if run == 0 {
            client
                .find(Locator::Css("input[aria-label='Show all']"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            // the same frames with nothing moving: what this display costs a frame anyway
            idle = frame_times(&client, 0).await;
            frames = frame_times(&client, 200).await;
            memory = memory_of(&window);
        }
        window.close().await;
    }
    launches.sort();
    println!(
        "launch to stored balances painted, network down: median {:.0?}, best {:.0?}, worst {:.0?} ({LAUNCHES} launches)",
        launches[LAUNCHES / 2],
        launches[0],
        launches[LAUNCHES - 1]
    );
    let (mut rss, mut pss) = (0, 0);
    for (pid, name, process_rss, process_pss) in &memory {
        println!(
            "memory at 10,000 balances: {name} (pid {pid}): resident {} MiB, proportional {} MiB",
            mib(*process_rss),
            mib(*process_pss)
        );
        rss += process_rss;
        pss += process_pss;
    }
    println!(
        "memory at 10,000 balances, the app and its WebKit processes together: resident {} MiB, proportional {} MiB",
        mib(rss),
        mib(pss)
    );
    for (what, mut times) in [
        ("idle, nothing moving", idle),
        ("scrolling 12,500 lines at 200 px a frame", frames),
    ] {
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
        println!(
            "frame time {what} ({} frames): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            times.len(),
            at(0.5),
            at(0.95),
            at(1.0)
        );
    }
}

/// The app's and its WebKit processes' memory (the driver and WebKitWebDriver are the test's, not
/// the app's): each one's pid, name, resident and proportional set size in kB.
fn memory_of(window: &Window) -> Vec<(u32, String, u64, u64)> {
    let measured: Vec<_> = window
        .processes()
        .into_iter()
        .filter(|(_, name)| {
            name.starts_with("holdings")
                || name.starts_with("WebKitWebProces")
                || name.starts_with("WebKitNetworkPr")
        })
        .map(|(pid, name)| {
            // smaps_rollup: `Rss:` and `Pss:` in kB, over the process's whole address space
            let rollup =
                std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
            let field = |label: &str| {
                rollup
                    .lines()
                    .find_map(|line| line.strip_prefix(label))
                    .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
                    .unwrap_or(0)
            };
            (pid, name, field("Rss:"), field("Pss:"))
        })
        .collect();
    assert!(
        measured
            .iter()
            .any(|(_, name, _, _)| name.starts_with("holdings")),
        "the app's process was not found among the driver's: {:?}",
        window.processes()
    );
    measured
}

fn mib(kb: u64) -> String {
    format!("{:.1}", kb as f64 / 1024.0)
}

/// Each frame's duration over `SCROLL_FRAMES` frames, scrolling the balance list by `step` px each.
async fn frame_times(client: &fantoccini::Client, step: u32) -> Vec<f64> {
    let deltas = client
        .execute_async(SCROLL_SCRIPT, vec![json!(SCROLL_FRAMES), json!(step)])
        .await
        .expect("the scroll script runs");
    deltas
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_f64)
        .collect()
}

/// Scrolls the balance list by `step` px a frame and reports each frame's duration.
const SCROLL_SCRIPT: &str = r#"
const [frames, step, done] = arguments;
const list = document.querySelector("[role=list][aria-label=Balances]");
const deltas = [];
let last = performance.now();
function frame(now) {
  deltas.push(now - last);
  last = now;
  list.scrollTop = (list.scrollTop + step) % (list.scrollHeight - list.clientHeight);
  if (deltas.length < frames) requestAnimationFrame(frame); else done(deltas.slice(1));
}
requestAnimationFrame(frame);
"#;

fn app_binary() -> PathBuf {
    // what a person installs: the release build of the Tauri CLI
    window::built("release").app.clone()
}
