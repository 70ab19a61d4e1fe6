//! The desktop app's own figures, on the real window under a virtual display: the time from launch
//! to the stored balances painted with the network down (target ≤ 1 s), the frame time while
//! scrolling 12,500 lines (10,000 balances of 2,500 wallets), and the memory the app and its WebKit
//! processes hold with those 10,000 balances shown (resident, and proportional: a page shared by
//! several processes counted once among them). Run under `xvfb-run` after
//! `scripts/setup`: `xvfb-run -a cargo bench -p holdings-desktop --bench window`.
//!
//! The launch time is taken twice, both to the frame that painted the stored balances (the page's
//! own mark): from the app's process start, what a user waits once the desktop has started it; and
//! from the page's start, the front end's share.

#[path = "../../benches/support/seed.rs"]
mod seed;
#[path = "../tests/window/mod.rs"]
mod window;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::wd::TimeoutConfiguration;
use serde_json::{Value, json};
use window::Window;

/// One launch moves by ±100 ms from the next on two cores: five gave medians 100 ms apart.
const LAUNCHES: usize = 11;
const SCROLL_FRAMES: usize = 600;
/// The performance mark the window sets at the frame that first paints the stored balances.
const PAINTED_MARK: &str = "stored balances painted";
/// Room for the scroll script: 600 frames take 10 s at 60 fps, and 5 minutes at 2.
const SCRIPT_LIMIT: Duration = Duration::from_secs(300);

#[tokio::main]
async fn main() {
    let mut launches = Vec::new();
    let mut frames = Vec::new();
    let mut idle = Vec::new();
    let mut memory = Vec::new();
    let mut page_launches = Vec::new();
    // Built before any clock starts: the first launch once counted the whole `tauri build`.
    let app = app_binary();
    for run in 0..LAUNCHES {
        let dir = tempfile::tempdir().unwrap();
        // every endpoint of the seeded chain refuses connections: the network is down
        seed::seed(dir.path());
        let window = Window::open(&app, dir.path(), &dir.path().join("driver.log")).await;
        let client = window.client.clone();
        let deadline = Instant::now() + Duration::from_secs(30);
        while client
            .find(Locator::Css(".balance [data-amount]"))
            .await
            .is_err()
        {
            if Instant::now() >= deadline {
                unpainted(&client).await;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let painted = painted_mark(&client).await;
        // two clocks (the page's wall clock, the kernel's since boot) that agree over a second
        let launch = app_age(&window)
            .checked_sub(painted.ago)
            .expect("the stored balances were painted after the app started");
        launches.push(launch);
        page_launches.push(painted.since_page);
        println!(
            "launch {}: stored balances painted {launch} ms after the app started, {} ms after the page did",
            run + 1,
            painted.since_page
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
    for (from, mut times) in [
        ("the app's process start", launches),
        (
            "the page's start (the app and its web view already up)",
            page_launches,
        ),
    ] {
        times.sort();
        println!(
            "launch to stored balances painted, network down, from {from}: median {} ms, best {} ms, worst {} ms ({LAUNCHES} launches)",
            times[LAUNCHES / 2],
            times[0],
            times[LAUNCHES - 1]
        );
    }
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
        // The page's clock is coarsened to whole milliseconds, so a frame near 16.7 ms (60 a
        // second) reads 16 or 17 and the p50 falls on either; frames over the whole run do not.
        let rate = times.len() as f64 * 1000.0 / times.iter().sum::<f64>();
        println!(
            "frame time {what} ({} frames): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms; {rate:.1} frames a second over the run",
            times.len(),
            at(0.5),
            at(0.95),
            at(1.0)
        );
    }
}

/// When the page's mark says the stored balances were painted.
struct Painted {
    /// Milliseconds from the page's start (its navigation, once the app and its web view are up).
    since_page: u64,
    /// Milliseconds before now, by the page's wall clock.
    ago: u64,
}

async fn painted_mark(client: &fantoccini::Client) -> Painted {
    // the balances are in the page a moment before the frame that paints them runs
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let marked = client
            .execute(
                "const [mark] = performance.getEntriesByName(arguments[0]); \
                 return mark ? [mark.startTime, Date.now() - (performance.timeOrigin + mark.startTime)] : null",
                vec![json!(PAINTED_MARK)],
            )
            .await
            .expect("the page's marks are read");
        if let Some([since_page, ago]) = marked.as_array().map(|mark| {
            let ms = |at: usize| mark[at].as_f64().expect("a time in ms") as u64;
            [ms(0), ms(1)]
        }) {
            return Painted { since_page, ago };
        }
        assert!(
            Instant::now() < deadline,
            "the page set no {PAINTED_MARK:?} mark"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Milliseconds since the app's process started, to the 10 ms of the kernel's clock ticks.
fn app_age(window: &Window) -> u64 {
    let (pid, _) = window
        .processes()
        .into_iter()
        .find(|(_, name)| name.starts_with("holdings"))
        .expect("the app's process runs");
    // `/proc/PID/stat` field 22: the start, in clock ticks after boot; `/proc/uptime`: seconds
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = stat.rsplit_once(") ").unwrap().1;
    let started: u64 = after_name
        .split_whitespace()
        .nth(19)
        .unwrap()
        .parse()
        .unwrap();
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let ticks = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .expect("getconf runs");
    let ticks: u64 = String::from_utf8_lossy(&ticks.stdout)
        .trim()
        .parse()
        .unwrap();
    (uptime * 1000.0) as u64 - started * 1000 / ticks
}

/// Fails the bench with what the window shows instead of the balances, and a screenshot of it.
async fn unpainted(client: &fantoccini::Client) -> ! {
    let shot = window::target_dir().join("window-bench-unpainted.png");
    if let Ok(png) = client.screenshot().await {
        let _ = std::fs::write(&shot, png);
    }
    let text = client
        .execute("return document.body.innerText", vec![])
        .await
        .map(|text| text.as_str().unwrap_or_default().to_owned())
        .unwrap_or_else(|err| format!("(unreadable: {err})"));
    panic!(
        "the stored balances were not painted in 30 s; the window says:\n{text}\n(screenshot: {})",
        shot.display()
    );
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
    // WebDriver's 30 s for a script would end a slow run before it says how slow it is.
    client
        .update_timeouts(TimeoutConfiguration::new(Some(SCRIPT_LIMIT), None, None))
        .await
        .expect("the script time limit is set");
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
