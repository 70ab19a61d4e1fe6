//! End to end on the real app: the desktop binary in a real window under Xvfb, driven over WebDriver
//! through tauri-driver and WebKitWebDriver, reading a real anvil node through the fault proxy,
//! with a real SQLite data dir and the real OS keyring (Secret Service). Needs what `scripts/test`
//! provides: a display (`xvfb-run`), a D-Bus session with gnome-keyring, and tauri-driver.
//!
//! Screenshots of each step are saved in `$CARGO_TARGET_DIR/e2e-screenshots/`.

#[path = "../../tests/support/mod.rs"]
mod support;

mod window;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256};
use fantoccini::{Client, Locator};
use support::DataDir;
use support::anvil::Anvil;
use support::defillama::DefiLlama;
use support::esplora::{Esplora, Stats};
use support::proxy::Proxy;
use window::{Window, target_dir};

const ALICE: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const BOB: &str = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const API_KEY: &str = "e2e-secret-7f3a91c0";
/// BIP84's test vector account key: a watch key, shown as one balance per chain.
const ZPUB: &str = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";

/// How long the window may take to show what a step expects.
const PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desktop_app_shows_stored_then_fresh_balances_and_works_offline() {
    // Built first: the stored balances' ages below must not include the build's minutes.
    window::built("debug");
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let usdc = anvil.deploy_token("USDC", "USD Coin", 6);
    let frozen = anvil.deploy("FrozenToken", &[]);
    let proxy = Proxy::start(&anvil.url);
    let prices = DefiLlama::start();
    prices.price("coingecko:ethereum", "3000.5");
    prices.price(
        &format!("ethereum:{}", usdc.to_string().to_lowercase()),
        "0.999712",
    );
    prices.price("coingecko:bitcoin", "97000.5");
    // A zpub's two used addresses on a Bitcoin chain read through Esplora's API: 0.0015 BTC
    // received at 0/0, 0.0005 BTC of change at 1/3.
    let esplora = Esplora::start();
    let paid = zpub_addresses(&[
        (holdings::model::Branch::Receive, 0, 150_000),
        (holdings::model::Branch::Change, 3, 50_000),
    ]);
    for (address, sats) in &paid {
        esplora.set(
            address,
            Stats {
                funded: *sats,
                tx_count: 1,
                ..Stats::default()
            },
        );
    }
    let data = DataDir::new();
    data.add_priced_devnet(&[&proxy.url], &prices.url);
    for args in [
        vec!["token", "add", "devnet", &usdc.to_string()],
        vec!["token", "add", "devnet", &frozen.to_string()],
        vec![
            "wallet", "add", ALICE, "--chain", "devnet", "--label", "Alice",
        ],
        vec!["wallet", "add", BOB, "--chain", "devnet", "--label", "Bob"],
        vec![
            "chain",
            "add",
            "e2ebtc",
            "--family",
            "bitcoin",
            "--rpc",
            &esplora.url,
            "--native-price-id",
            "bitcoin",
        ],
        vec![
            "wallet", "add", ZPUB, "--chain", "e2ebtc", "--label", "Savings",
        ],
        // a TRON chain of the test's own, so its key never meets a real one in the keyring
        vec![
            "chain",
            "add",
            "e2etron",
            "--family",
            "tron",
            "--rpc",
            "http://127.0.0.1:9",
        ],
    ] {
        data.holdings(&args).assert().success();
    }
    // Yesterday's balances, stored by an earlier run two minutes ago; the chain has moved on since.
    set_balances(&anvil, usdc, ALICE, "1.5", "1234.5678");
    set_balances(&anvil, usdc, BOB, "2", "0");
    data.holdings(&["preload"]).assert().success();
    age_stored_balances(&data, Duration::from_secs(120));
    // The value of the three days before, as the runs of those days recorded it.
    let recorded = ["9800.5", "11020.75", "10400"];
    record_earlier_days(&data, &recorded);
    set_balances(&anvil, usdc, ALICE, "1.5", "2000.25");

    // The network is slow: the app must paint what the store holds before any answer arrives.
    proxy.reset_counts();
    proxy.hold();
    let mut app = Desktop::launch(&data).await;

    // 1. Stored balances show at start, as cached with their age, while the first read is held.
    proxy.wait_for_requests(1, PATIENCE);
    app.wait_for_row(ALICE, "USDC", "1234.5678", "cached").await;
    let text = app
        .text(&format!(
            "[data-address='{ALICE}'][data-symbol='USDC'] [data-freshness]"
        ))
        .await;
    assert_eq!(text, "cached · 2 min ago");
    app.screenshot("1-stored-balances-cached-at-start").await;

    // 2. The start-up preload turns them fresh, with the exact amounts the chain holds now.
    proxy.release();
    app.wait_for_row(ALICE, "USDC", "2000.25", "fresh").await;
    app.wait_for_row(ALICE, "ETH", "1.5", "fresh").await;
    app.wait_for_row(BOB, "ETH", "2", "fresh").await;

    // 3. The portfolio's total heads the window, as `portfolio --json` has it, rounded once to cents;
    // each wallet and row shows its value.
    let total = data.json(&["portfolio"])["total"].clone();
    assert_eq!(
        total, "12695.424928",
        "1.5 + 2 ETH at $3000.5, 2000.25 USDC at $0.999712, 0.002 BTC at $97000.5"
    );
    app.wait_for_attribute("[data-total]", "data-total", total.as_str().unwrap())
        .await;
    assert_eq!(app.text("[data-total]").await, "$12,695.42");

    // 3'. The chart of the portfolio's value: the days recorded, and today's point the total now.
    let chart = "[aria-label='Portfolio value history']";
    let points = format!("{chart} svg circle");
    app.until("the chart to end at today's total", || async {
        let circles = app.client.find_all(Locator::Css(&points)).await.ok()?;
        let last = circles.last()?.attr("data-exact").await.ok()??;
        (circles.len() == 4 && last == total.as_str().unwrap()).then_some(())
    })
    .await;
    let mut drawn = Vec::new();
    for circle in app.client.find_all(Locator::Css(&points)).await.unwrap() {
        drawn.push(circle.attr("data-exact").await.unwrap().unwrap());
    }
    assert_eq!(drawn[..3], recorded, "each day exactly as recorded");
    let ticks = app
        .client
        .find_all(Locator::Css(&format!("{chart} .values text")))
        .await
        .unwrap();
    assert!(ticks.len() >= 2, "a value axis");
    for tick in ticks {
        let text = tick.text().await.unwrap();
        assert!(text.starts_with('$'), "a value tick in dollars: {text:?}");
    }
    let dates = app
        .client
        .find_all(Locator::Css(&format!("{chart} .dates text")))
        .await
        .unwrap();
    assert!(!dates.is_empty(), "a date axis");
    let month = dates[0].text().await.unwrap();
    assert!(
        [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
        ]
        .iter()
        .any(|name| month.starts_with(name)),
        "a date tick: {month:?}"
    );

    // 3''. The zpub is one balance: its two addresses' BTC summed and folded into one row.
    let folded = "[data-fold][data-chain='e2ebtc'][data-symbol='BTC']";
    app.wait_for_attribute(&format!("{folded} [data-amount]"), "data-amount", "0.002")
        .await;
    assert_eq!(app.attribute(folded, "data-fold").await, "2");
    assert_eq!(
        app.client
            .find_all(Locator::Css("[data-chain='e2ebtc'][data-symbol='BTC']"))
            .await
            .unwrap()
            .len(),
        1,
        "folded: no row of its own per address"
    );
    for (address, _) in &paid {
        assert!(!app.shows(address, "BTC").await, "{address} is folded away");
    }
    assert_eq!(
        app.attribute(&format!("{folded} [data-value]"), "data-value")
            .await,
        "194.001"
    );
    let alice_usdc = format!("[data-address='{ALICE}'][data-symbol='USDC'] [data-value]");
    assert_eq!(
        app.attribute(&alice_usdc, "data-value").await,
        "1999.673928"
    );
    assert_eq!(app.text(&alice_usdc).await, "$1,999.67");
    let headers = app
        .client
        .find_all(Locator::Css("[data-wallet-value]"))
        .await
        .unwrap();
    let mut wallet_values = Vec::new();
    for header in headers {
        wallet_values.push(header.attr("data-wallet-value").await.unwrap().unwrap());
    }
    wallet_values.sort();
    assert_eq!(
        wallet_values,
        ["194.001", "6001", "6500.423928"],
        "Savings', Bob's and Alice's"
    );
    app.screenshot("2-portfolio-total").await;

    // 3a. Wallets go by their labels; the search box narrows the rows to what it names.
    app.wait_for_text("[data-wallet-name]", "Alice").await;
    app.type_into("input[aria-label='Search']", "Bob").await;
    app.wait_for_text("[aria-label='Find balances']", "1 row match")
        .await;
    assert!(app.shows(BOB, "ETH").await);
    assert!(
        !app.shows(ALICE, "USDC").await,
        "Alice's rows are not Bob's"
    );
    app.screenshot("2a-search").await;
    app.type_into("input[aria-label='Search']", "").await;
    app.wait_for_row(ALICE, "USDC", "2000.25", "fresh").await;

    // 3b. By asset, each asset is summed over the wallets exactly, with its value.
    app.click("button[aria-label='By asset']").await;
    app.wait_for_attribute("[data-asset='ETH']", "data-asset-amount", "3.5")
        .await;
    assert_eq!(
        app.attribute("[data-asset='ETH']", "data-asset-value")
            .await,
        "10501.75"
    );
    app.screenshot("2b-by-asset").await;
    app.click("button[aria-label='By wallet']").await;
    app.wait_for_row(ALICE, "USDC", "2000.25", "fresh").await;

    // 4. Preload reads everything again, with a toast when it is done.
    set_balances(&anvil, usdc, ALICE, "7.25", "2000.25");
    app.click("button[aria-label='Preload']").await;
    app.wait_for_text(".toast", "Preload finished").await;
    app.wait_for_row(ALICE, "ETH", "7.25", "fresh").await;
    app.screenshot("3-preload-fresh").await;

    // 5. Show all reveals the zero row and the rows whose every read failed.
    assert!(app.shows(ALICE, "USDC").await);
    assert!(!app.shows(BOB, "USDC").await, "a zero balance is hidden");
    assert!(!app.shows(ALICE, "FRZ").await, "a row never read is hidden");
    app.click("input[aria-label='Show all']").await;
    app.wait_for_row(BOB, "USDC", "0", "fresh").await;
    app.wait_for_row(ALICE, "FRZ", "", "error").await;
    let error_hover = app
        .attribute(
            &format!("[data-address='{ALICE}'][data-symbol='FRZ'] [data-freshness]"),
            "title",
        )
        .await;
    assert!(error_hover.contains("last read failed"), "{error_hover}");
    app.screenshot("4-show-all").await;

    // 6. Refresh on one wallet updates only it.
    set_balances(&anvil, usdc, ALICE, "11", "2000.25");
    set_balances(&anvil, usdc, BOB, "22", "0");
    app.click("button[aria-label='Refresh Alice']").await;
    app.wait_for_row(ALICE, "ETH", "11", "fresh").await;
    app.wait_for_text(".toast", "Refresh finished").await;
    // Bob's row still holds what the preload read (a wait that gives up if it turned to 22)
    app.wait_for_row(BOB, "ETH", "2", "fresh").await;
    app.screenshot("5-refresh-one-wallet").await;

    // 6'. A row's history: each amount Alice's ETH has had, from the row, in a dialog.
    app.click(&format!(
        "button[aria-label='History of ETH at {ALICE} on devnet']"
    ))
    .await;
    let balance_points = "[aria-label='Balance history of ETH'] svg circle";
    app.until("Alice's ETH history", || async {
        let mut amounts = Vec::new();
        for circle in app
            .client
            .find_all(Locator::Css(balance_points))
            .await
            .ok()?
        {
            amounts.push(circle.attr("data-exact").await.ok()??);
        }
        (amounts == ["1.5", "7.25", "11"]).then_some(())
    })
    .await;
    app.screenshot("5a-balance-history").await;
    app.click("button[aria-label='Close history']").await;
    app.until("the dialog to close", || async {
        let open = app
            .client
            .find_all(Locator::Css("dialog[open]"))
            .await
            .ok()?;
        open.is_empty().then_some(())
    })
    .await;

    // 7. With the node gone, a refresh shows the offline banner and the balances stay.
    drop(anvil);
    app.click("button[aria-label='Refresh all']").await;
    app.wait_for_text(
        "[aria-label='Offline'] li[data-chain='devnet']",
        "devnet: last reached",
    )
    .await;
    // a failed refresh marks the last known value stale, and never zeroes it
    app.wait_for_row(ALICE, "ETH", "11", "stale").await;
    app.screenshot("6-offline").await;

    // 8. An address is checked as it is typed, in the engine's words, and cannot be added when bad.
    app.click_text("nav button", "Wallets").await;
    let typed = "input[aria-label='Address, extended public key or descriptor']";
    app.wait_for_element(typed).await;
    let wallet_count = data.json(&["wallet", "list"]).as_array().unwrap().len();
    let bad_checksum = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267";
    app.client
        .find(Locator::Css(typed))
        .await
        .unwrap()
        .send_keys(bad_checksum)
        .await
        .unwrap();
    app.wait_for_text("#wallet-verdict.bad", "checksum").await;
    let add = app
        .client
        .find(Locator::Css("form button[type='submit']"))
        .await
        .unwrap();
    assert_eq!(add.attr("disabled").await.unwrap().as_deref(), Some("true"));
    assert_eq!(
        data.json(&["wallet", "list"]).as_array().unwrap().len(),
        wallet_count
    );
    app.screenshot("7-wallet-checked-as-typed").await;

    // 9. An API key saved in Settings goes to the OS keyring, not into the database.
    app.click_text("nav button", "Settings").await;
    let key_input = "input[aria-label='API key for e2etron endpoint 1']";
    app.wait_for_element(key_input).await;
    app.client
        .find(Locator::Css(key_input))
        .await
        .unwrap()
        .send_keys(API_KEY)
        .await
        .unwrap();
    app.click("button[aria-label='Save API key for e2etron endpoint 1']")
        .await;
    app.wait_for_text(".toast", "saved in the system keyring")
        .await;
    app.screenshot("8-api-key-saved").await;
    app.close().await;

    let reference = holdings::secrets::reference("e2etron", &"http://127.0.0.1:9".parse().unwrap());
    let saved = holdings::secrets::load(&reference).unwrap();
    holdings::secrets::delete(&reference).unwrap();
    assert_eq!(saved.as_deref(), Some(API_KEY));
    let logs = files_in(&data.path().join("logs"));
    assert!(!logs.is_empty(), "the app logs to the data dir's logs/");
    for file in files_in(data.path()).into_iter().chain(logs) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes
                .windows(API_KEY.len())
                .any(|window| window == API_KEY.as_bytes()),
            "the API key is in {}",
            file.display()
        );
    }
}

/// The files directly in `dir`.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect()
}

/// Scrolls the element to the middle of the window; returns what covers its centre there (as HTML),
/// or null if nothing does.
const UNCOVERED: &str = r#"
const [element] = arguments;
element.scrollIntoView({ block: "center", inline: "center" });
const box = element.getBoundingClientRect();
const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
return top === element || element.contains(top) ? null : top.outerHTML.slice(0, 200);
"#;

/// Sets an address's ETH and USDC (6 decimals) on the node, in whole units.
fn set_balances(anvil: &Anvil, usdc: Address, owner: &str, eth: &str, usdc_amount: &str) {
    let owner: Address = owner.parse().unwrap();
    anvil.set_native_balance(owner, units(eth, 18));
    anvil.set_token_balance(usdc, owner, units(usdc_amount, 6));
}

fn units(amount: &str, decimals: u8) -> U256 {
    holdings::model::Amount::parse(amount, decimals)
        .unwrap()
        .raw
}

/// The zpub's addresses at (branch, index), each with the sats paid to it.
fn zpub_addresses(paid: &[(holdings::model::Branch, u32, i64)]) -> Vec<(String, i64)> {
    let key = holdings::model::WatchKey::parse(ZPUB).unwrap();
    paid.iter()
        .map(|&(branch, index, sats)| {
            let address = key
                .address(branch, index, holdings::model::BitcoinNetwork::Mainnet)
                .unwrap();
            (address.to_string(), sats)
        })
        .collect()
}

/// Records the portfolio's value on each of the days before today (oldest first), as the price
/// passes of earlier runs would have.
fn record_earlier_days(data: &DataDir, totals: &[&str]) {
    let conn = rusqlite::Connection::open(data.database()).unwrap();
    let today = holdings::clock::utc_day(now_millis());
    for (back, total) in totals.iter().rev().enumerate() {
        let at = now_millis() - 86_400_000 * (back as i64 + 1);
        let day = holdings::clock::utc_day(at);
        assert_ne!(day, today);
        conn.execute(
            "INSERT INTO portfolio_history (day, currency, total, unpriced, recorded_at) VALUES (?1, 'usd', ?2, 0, ?3)",
            rusqlite::params![day, total, at],
        )
        .unwrap();
    }
}

fn now_millis() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// Makes every stored reading `age` older, as if the earlier run had been that long ago.
fn age_stored_balances(data: &DataDir, age: Duration) {
    let conn = rusqlite::Connection::open(data.database()).unwrap();
    let millis = i64::try_from(age.as_millis()).unwrap();
    conn.execute(
        "UPDATE balances SET fetched_at = fetched_at - ?1, last_error_at = last_error_at - ?1 \
         WHERE fetched_at IS NOT NULL OR last_error_at IS NOT NULL",
        [millis],
    )
    .unwrap();
}

/// The app in its window, and where its screenshots go.
struct Desktop {
    window: Window,
    client: Client,
    screenshots: PathBuf,
    /// The app's logs, kept beside the screenshots when a step fails.
    logs: PathBuf,
}

impl Desktop {
    async fn launch(data: &DataDir) -> Self {
        let app = &window::built("debug").app;
        let screenshots = target_dir().join("e2e-screenshots");
        std::fs::create_dir_all(&screenshots).unwrap();
        let window = Window::open(app, data.path(), &screenshots.join("driver.log")).await;
        Self {
            client: window.client.clone(),
            window,
            screenshots,
            logs: data.path().join("logs"),
        }
    }

    /// Whether a balance row of `address` and `symbol` is on screen.
    async fn shows(&self, address: &str, symbol: &str) -> bool {
        let selector = format!("[data-address='{address}'][data-symbol='{symbol}']");
        let found = self.client.find_all(Locator::Css(&selector)).await;
        !found.expect("the page answers").is_empty()
    }

    /// The amount and freshness a balance row shows, if it shows at all and the page did not redraw
    /// it while it was read.
    async fn row(&self, address: &str, symbol: &str) -> Option<(String, String)> {
        let selector = format!("[data-address='{address}'][data-symbol='{symbol}']");
        let row = self
            .client
            .find_all(Locator::Css(&selector))
            .await
            .ok()?
            .pop()?;
        let amount = row.find(Locator::Css("[data-amount]")).await.ok()?;
        let freshness = row.find(Locator::Css("[data-freshness]")).await.ok()?;
        Some((
            amount.attr("data-amount").await.ok()??,
            freshness.attr("data-freshness").await.ok()??,
        ))
    }

    async fn wait_for_row(&self, address: &str, symbol: &str, amount: &str, freshness: &str) {
        let wanted = Some((amount.to_owned(), freshness.to_owned()));
        let what = format!("{address} {symbol} to show {amount} {freshness}");
        self.until(&what, || async {
            let shown = self.row(address, symbol).await;
            (shown == wanted).then_some(())
        })
        .await;
    }

    /// Waits until the element matching `selector` has `name` set to `value`.
    async fn wait_for_attribute(&self, selector: &str, name: &str, value: &str) {
        self.until(&format!("{selector} to have {name}={value:?}"), || async {
            let element = self.client.find(Locator::Css(selector)).await.ok()?;
            (element.attr(name).await.ok()??.as_str() == value).then_some(())
        })
        .await;
    }

    async fn wait_for_element(&self, selector: &str) {
        self.until(selector, || async {
            self.client.find(Locator::Css(selector)).await.ok()
        })
        .await;
    }

    /// Waits until an element matching `selector` contains `text`.
    async fn wait_for_text(&self, selector: &str, text: &str) {
        self.until(&format!("{selector} to say {text:?}"), || async {
            for element in self.client.find_all(Locator::Css(selector)).await.ok()? {
                if element.text().await.ok()?.contains(text) {
                    return Some(());
                }
            }
            None
        })
        .await;
    }

    async fn text(&self, selector: &str) -> String {
        let element = self.client.find(Locator::Css(selector)).await.unwrap();
        element.text().await.unwrap().trim().to_owned()
    }

    async fn attribute(&self, selector: &str, name: &str) -> String {
        let element = self.client.find(Locator::Css(selector)).await.unwrap();
        element.attr(name).await.unwrap().unwrap_or_default()
    }

    /// Sets what an input holds, as typing it would: the page hears an `input` event.
    async fn type_into(&self, selector: &str, text: &str) {
        self.wait_for_element(selector).await;
        let element = self.client.find(Locator::Css(selector)).await.unwrap();
        self.client
            .execute(
                "const [input, text] = arguments; input.value = text; \
                 input.dispatchEvent(new Event('input', { bubbles: true }));",
                vec![serde_json::to_value(&element).unwrap(), text.into()],
            )
            .await
            .expect("the page answers");
    }

    async fn click(&self, selector: &str) {
        self.wait_for_element(selector).await;
        let element = self.client.find(Locator::Css(selector)).await.unwrap();
        self.click_element(element, selector).await;
    }

    /// Clicks as a person would: only what is on top where they click. WebKitWebDriver clicks
    /// whatever covers the element (a toast, say) without saying so, so this checks first.
    async fn click_element(&self, element: fantoccini::elements::Element, what: &str) {
        let covering = self
            .client
            .execute(UNCOVERED, vec![serde_json::to_value(&element).unwrap()])
            .await
            .expect("the page answers");
        assert_eq!(
            covering,
            serde_json::Value::Null,
            "{what} is covered by {covering}"
        );
        element
            .click()
            .await
            .unwrap_or_else(|err| panic!("cannot click {what}: {err}"));
    }

    /// Clicks the element matching `selector` whose text is `text`.
    async fn click_text(&self, selector: &str, text: &str) {
        for element in self.client.find_all(Locator::Css(selector)).await.unwrap() {
            if element.text().await.unwrap().trim() == text {
                self.click_element(element, text).await;
                return;
            }
        }
        panic!("no {selector} says {text:?}");
    }

    /// Polls `probe` until it gives a value; after [`PATIENCE`], saves what the window shows as
    /// `failed.png` and fails the test.
    async fn until<T, F, Fut>(&self, what: &str, mut probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(value) = probe().await {
                return value;
            }
            if Instant::now() >= deadline {
                if let Ok(png) = self.client.screenshot().await {
                    let _ = std::fs::write(self.screenshots.join("failed.png"), png);
                }
                for log in std::fs::read_dir(&self.logs)
                    .into_iter()
                    .flatten()
                    .flatten()
                {
                    let _ = std::fs::copy(log.path(), self.screenshots.join("failed.log"));
                }
                panic!(
                    "waited {PATIENCE:?} for {what} (see failed.png, failed.log and driver.log in {})",
                    self.screenshots.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn screenshot(&mut self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(self.screenshots.join(format!("{name}.png")), png).unwrap();
    }

    async fn close(self) {
        self.window.close().await;
    }
}
