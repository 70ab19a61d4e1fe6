//! The commands the window may call: each hands one call to the app layer (`holdings::api`).
//! All are async so that none runs on the window's thread.

use holdings::api::{
    AddedWallet, AppError, BalanceHistory, ChainConnectivity, ChainId, ChainSettings, ChainSweep,
    ChainTokens, EndpointRef, ExportFormat, Holdings, PriceSourceSettings, SyncOutcome,
    TtlSettings, WalletId,
};
use tauri::State;

use crate::first_read::FirstOverview;
use crate::wire::OverviewWire;

type Answer<T> = Result<T, AppError>;

/// The balances, what they are worth, the portfolio's history and the wallets, read at once (the
/// first time, read while the window started); the balances in columns, as [`OverviewWire`] says
/// why.
#[tauri::command]
#[specta::specta]
pub async fn overview(
    holdings: State<'_, Holdings>,
    first: State<'_, FirstOverview>,
) -> Answer<OverviewWire> {
    let overview = match first.take().await {
        Some(early) => early,
        None => holdings.overview().await,
    };
    overview.map(OverviewWire::from)
}

/// The values one balance has had; `key` is its row's.
#[tauri::command]
#[specta::specta]
pub async fn balance_history(holdings: State<'_, Holdings>, key: String) -> Answer<BalanceHistory> {
    holdings.balance_history(&key)
}

#[tauri::command]
#[specta::specta]
pub async fn check_wallet(holdings: State<'_, Holdings>, text: String) -> Answer<String> {
    holdings.check_wallet(&text)
}

#[tauri::command]
#[specta::specta]
pub async fn add_wallet(
    holdings: State<'_, Holdings>,
    text: String,
    label: Option<String>,
) -> Answer<AddedWallet> {
    holdings.add_wallet(&text, label, &[])
}

#[tauri::command]
#[specta::specta]
pub async fn import_wallets(
    holdings: State<'_, Holdings>,
    file_name: String,
    text: String,
) -> Answer<u32> {
    holdings.import_wallets(&file_name, &text, &[])
}

#[tauri::command]
#[specta::specta]
pub async fn label_wallet(
    holdings: State<'_, Holdings>,
    wallet: WalletId,
    label: Option<String>,
) -> Answer<()> {
    holdings.label_wallet(wallet, label)
}

#[tauri::command]
#[specta::specta]
pub async fn remove_wallet(holdings: State<'_, Holdings>, wallet: WalletId) -> Answer<()> {
    holdings.remove_wallet(wallet)
}

#[tauri::command]
#[specta::specta]
pub async fn chains(holdings: State<'_, Holdings>) -> Answer<Vec<ChainSettings>> {
    holdings.chains()
}

#[tauri::command]
#[specta::specta]
pub async fn set_chain_active(
    holdings: State<'_, Holdings>,
    chain: ChainId,
    active: bool,
) -> Answer<()> {
    holdings.set_chain_active(chain, active)
}

#[tauri::command]
#[specta::specta]
pub async fn add_endpoint(
    holdings: State<'_, Holdings>,
    chain: ChainId,
    url: String,
) -> Answer<()> {
    holdings.add_endpoint(chain, &url)
}

#[tauri::command]
#[specta::specta]
pub async fn remove_endpoint(
    holdings: State<'_, Holdings>,
    chain: ChainId,
    endpoint: EndpointRef,
) -> Answer<()> {
    holdings.remove_endpoint(chain, &endpoint)
}

#[tauri::command]
#[specta::specta]
pub async fn move_endpoint(
    holdings: State<'_, Holdings>,
    chain: ChainId,
    endpoint: EndpointRef,
    to: u32,
) -> Answer<()> {
    holdings.move_endpoint(chain, &endpoint, to)
}

#[tauri::command]
#[specta::specta]
pub async fn save_api_key(
    holdings: State<'_, Holdings>,
    chain: ChainId,
    endpoint: EndpointRef,
    key: String,
) -> Answer<()> {
    holdings.save_api_key(chain, &endpoint, &key)
}

#[tauri::command]
#[specta::specta]
pub async fn ttls(holdings: State<'_, Holdings>) -> Answer<TtlSettings> {
    Ok(holdings.ttls())
}

#[tauri::command]
#[specta::specta]
pub async fn set_ttls(holdings: State<'_, Holdings>, chosen: TtlSettings) -> Answer<()> {
    holdings.set_ttls(chosen)
}

#[tauri::command]
#[specta::specta]
pub async fn price_source(holdings: State<'_, Holdings>) -> Answer<PriceSourceSettings> {
    holdings.price_source()
}

#[tauri::command]
#[specta::specta]
pub async fn set_price_ttl(holdings: State<'_, Holdings>, seconds: u32) -> Answer<()> {
    holdings.set_price_ttl(seconds)
}

#[tauri::command]
#[specta::specta]
pub async fn start_sync(holdings: State<'_, Holdings>) -> Answer<()> {
    holdings.start_sync();
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn preload(holdings: State<'_, Holdings>) -> Answer<SyncOutcome> {
    holdings.preload(None).await
}

#[tauri::command]
#[specta::specta]
pub async fn refresh(
    holdings: State<'_, Holdings>,
    wallet: Option<WalletId>,
) -> Answer<SyncOutcome> {
    holdings.refresh(wallet).await
}

#[tauri::command]
#[specta::specta]
pub async fn connectivity(holdings: State<'_, Holdings>) -> Answer<Vec<ChainConnectivity>> {
    holdings.connectivity()
}

#[tauri::command]
#[specta::specta]
pub async fn find_tokens(
    holdings: State<'_, Holdings>,
    wallet: WalletId,
) -> Answer<Vec<ChainSweep>> {
    holdings.discover_wallet(wallet).await
}

#[tauri::command]
#[specta::specta]
pub async fn token_counts(holdings: State<'_, Holdings>) -> Answer<Vec<ChainTokens>> {
    holdings.token_counts()
}

/// Saves every balance as CSV where the user chooses in the system's save dialog; the page names
/// no path, so it can reach nothing else on disk. The file's path, or `None` if the user cancelled.
#[tauri::command]
#[specta::specta]
pub async fn export_csv(
    app: tauri::AppHandle,
    holdings: State<'_, Holdings>,
) -> Answer<Option<String>> {
    let Some(path) = save_dialog(&app, "holdings.csv").await else {
        return Ok(None);
    };
    holdings.export_to(&path, ExportFormat::Csv).await?;
    Ok(Some(path.display().to_string()))
}

/// The path the user picks in a save dialog, if they pick one.
async fn save_dialog(app: &tauri::AppHandle, suggested: &str) -> Option<std::path::PathBuf> {
    use tauri_plugin_dialog::DialogExt;
    let (chosen, picked) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .add_filter("CSV", &["csv"])
        .set_file_name(suggested)
        .save_file(move |path| {
            let _ = chosen.send(path);
        });
    picked.await.ok()??.into_path().ok()
}
